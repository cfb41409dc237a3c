// score: test scans -> OUT/maps, OUT/slices, OUT/scores.csv (CradlScanScorer).
#include "cradlPipeline.h"
#include "cradlStageFrame.h"
#include "cradlProgressLine.h"

#include "itkCradlImageIO.h"
#include "itkCradlScanScorer.h"

#include <cstdio>
#include <iostream>

namespace cradl_pipeline
{

namespace
{
// What score writes: scores.csv, and each scan's maps (every mode's too with --score-mode auto).
std::vector<std::string>
scoreOutputs(const Layout & layout, const itk::CradlManifest & manifest, bool everyMap, bool withPatch)
{
  std::vector<std::string> outputs{ layout.scores() };
  for (const auto & entry : manifest.GetEntries())
  {
    const std::string stem = stemOf(entry.Image);
    outputs.insert(outputs.end(), { layout.map(stem, "anomaly"), layout.map(stem, "raw"), layout.sliceMap(stem) });
    if (everyMap)
      for (const char * mode : ScoringModes)
        if (std::string(mode) != "patch" || withPatch)
          outputs.push_back(layout.modeMap(mode, stem));
  }
  return outputs;
}

// The chosen map's scorer, and the fused map's (whose parts are every mode's map).
struct Scorers
{
  itk::CradlScanScorer::Pointer chosen = itk::CradlScanScorer::New();
  itk::CradlScanScorer::Pointer fused = itk::CradlScanScorer::New();

  Scorers(const PipelineConfig & config, const Layout & layout)
  {
    const auto encoder = itk::ContrastiveEncoderModel::Load(layout.encoder());
    const auto mixture = itk::GaussianMixtureModel::Load(layout.mixture());
    chosen->SetEncoder(encoder);
    chosen->SetMixture(mixture);
    chosen->SetSettings(scoringSettings(config, mixture));
    fused->SetEncoder(encoder);
    fused->SetMixture(mixture);
    auto fusedSettings = chosen->GetSettings();
    fusedSettings.Mode = "fused";
    fused->SetSettings(fusedSettings);
  }
};

// A scan's maps (and with every mode, each mode's map); returns its lines of scores.csv.
std::string
writeScanOutputs(const Layout & layout, const std::string & stem, const itk::CradlScanScorer::Result & scored,
                 const itk::CradlScanScorer::Result * fused)
{
  if (fused)
  {
    itk::CradlWriteImage(fused->AnomalyMap.GetPointer(), layout.modeMap("fused", stem));
    for (const char * mode : { "gradient", "patch" })
      if (fused->Components.count(mode))
        itk::CradlWriteImage(fused->Components.at(mode).GetPointer(), layout.modeMap(mode, stem));
  }
  itk::CradlWriteImage(scored.AnomalyMap.GetPointer(), layout.map(stem, "anomaly"));
  itk::CradlWriteImage(scored.RawMap.GetPointer(), layout.map(stem, "raw"));
  itk::CradlWriteImage(scored.SliceMap.GetPointer(), layout.sliceMap(stem));
  std::string lines;
  for (std::size_t slice = 0; slice < scored.SliceNLL.size(); ++slice)
  {
    char line[256];
    std::snprintf(line, sizeof line, "%s,%zu,%.17g\n", stem.c_str(), slice, scored.SliceNLL[slice]);
    lines += line;
  }
  return lines;
}
} // namespace

void
scoreStage(const PipelineConfig & config, const std::string & manifestPath)
{
  const Layout layout{ config.out };
  const auto   manifest = readManifest(config, manifestPath, "scoring");
  StageRecord  record(config.out, "score");
  record.addSettings(config.settingsOf("score"));
  record.addFile("encoder", layout.encoder());
  record.addFile("mixture", layout.mixture());
  record.addManifest("test manifest", manifestPath);
  const bool               everyMap = config.scoreMode == "auto";
  const bool               withPatch = everyMap && hasPatchDensity(layout);
  if (upToDate(record, scoreOutputs(layout, *manifest, everyMap, withPatch), config, "score"))
    return;
  itk::CradlMakeFolder((layout.out / "maps").string());
  itk::CradlMakeFolder((layout.out / "slices").string());
  if (everyMap)
    for (const char * mode : ScoringModes)
      itk::CradlMakeFolder((layout.out / "maps" / "modes" / mode).string());
  else if (leader())
    removeStaleFiles(layout.out / "maps" / "modes", {}, "score", "map(s) of every mode (--score-mode auto)");
  itk::CradlRuntime::SetNumberOfThreads(config.threads);
  const Scorers scorers(config, layout);
  const auto &  scorer = scorers.chosen;
  const auto &  fusedScorer = scorers.fused;
  // Several processes: each scores its contiguous share of the scans and
  // writes their maps; rank 0 writes scores.csv in the manifest's order.
  const std::size_t processes = itk::CradlRuntime::GetDistributedWorldSize();
  const std::size_t rank = itk::CradlRuntime::GetDistributedRank();
  const std::size_t scans = manifest->GetNumberOfEntries();
  const std::size_t first = scans * rank / processes;
  const std::size_t last = scans * (rank + 1) / processes;
  std::string       scores;
  ProgressLine      progress("score", static_cast<double>(last - first));
  for (std::size_t row = first; row < last; ++row)
  {
    const auto                   scan = manifest->LoadScan(row);
    const std::string            stem = stemOf(manifest->GetEntry(row).Image);
    // Every mode's map beside the chosen one's (--score-mode auto), for
    // evaluate's comparison, from one scoring pass; the chosen map is finished
    // from the same pass, unless it is the patch map, whose slice scores are
    // its own filter's.
    itk::CradlScanScorer::Result fused;
    const auto                   scored = onScan(*manifest, row, [&] {
      if (!everyMap)
        return scorer->Score(scan.Image, scan.Mask);
      const auto   raw = fusedScorer->ScoreRaw(scan.Image, scan.Mask);
      const auto & chosen = scorer->GetSettings().Mode;
      fused = fusedScorer->Finish(raw, scan.Mask);
      return chosen == "fused" ? fused : chosen == "patch" ? scorer->Score(scan.Image, scan.Mask) : scorer->Finish(raw, scan.Mask);
    });
    scores += writeScanOutputs(layout, stem, scored, everyMap ? &fused : nullptr);
    if (leader())
      progress.update(static_cast<double>(row + 1 - first), stem);
  }
  if (processes > 1)
  {
    std::string all;
    for (const auto & part : itk::CradlRuntime::DistributedGatherText(scores))
      all += part;
    scores = all;
  }
  if (leader())
  {
    itk::CradlWriteFileAtomically(layout.scores(), "image,slice,nll\n" + scores);
    record.write(true, config.device);
  }
  stageDoneOnEveryProcess();
}

} // namespace cradl_pipeline
