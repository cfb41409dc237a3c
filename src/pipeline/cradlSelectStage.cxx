// select: the mixture, map and sigma by validation AUPRC (BIC without labels) -> OUT/mixture.pt, OUT/validation (MixtureModelSelector).
#include "cradlPipeline.h"
#include "cradlStageFrame.h"
#include "cradlProgressLine.h"

#include "itkCradlImageIO.h"
#include "itkCradlScanScorer.h"
#include "itkMixtureModelSelector.h"

#include <iostream>

namespace cradl_pipeline
{

namespace
{
void
selectOnThisProcess(const PipelineConfig & config)
{
  const Layout layout{ config.out };
  StageRecord  record(config.out, "select");
  record.addSettings(config.settingsOf("select"));
  record.addFile("encoder", layout.encoder());
  for (const unsigned int components : config.components)
    record.addFile("candidate K=" + std::to_string(components), layout.candidate(components));
  std::vector<std::string>    outputs{ layout.mixture(), layout.mixtureNpz() };
  itk::CradlManifest::Pointer validation;
  if (hasValidation(config))
  {
    record.addManifest("validation manifest", config.validation);
    validation = readManifest(config, config.validation, "validation");
    for (const auto & entry : validation->GetEntries())
      outputs.push_back(layout.validationMap(stemOf(entry.Image)));
  }
  if (upToDate(record, outputs, config, "select", false))
    return;
  itk::CradlMakeFolder((layout.out / "validation").string());
  itk::CradlRuntime::SetNumberOfThreads(config.threads);
  const auto encoder = itk::ContrastiveEncoderModel::Load(layout.encoder());
  auto       selector = itk::MixtureModelSelector::New();
  selector->SetEncoder(encoder);
  selector->SetScoringSettings(scoringSettings(config));
  if (config.scoreMode == "auto")
  {
    selector->SetScoringModes({ std::begin(ScoringModes), std::end(ScoringModes) });
    selector->SetGaussianSigmas(config.selectSigmas);
  }
  std::vector<itk::GaussianMixtureModel::Pointer> candidates;
  for (const unsigned int components : config.components)
  {
    candidates.push_back(itk::GaussianMixtureModel::Load(layout.candidate(components)));
    selector->AddCandidate(candidates.back());
  }
  std::vector<itk::CradlManifest::Scan> scans;
  std::vector<std::size_t>              labelled; // rows that choose the mixture
  for (std::size_t row = 0; validation && row < validation->GetNumberOfEntries(); ++row)
  {
    scans.push_back(validation->LoadScan(row));
    if (scans.back().Label)
    {
      selector->AddValidationScan(scans.back().Image, scans.back().Mask, scans.back().Label);
      labelled.push_back(row);
    }
  }
  ProgressLine progress("select", 100, 10);
  selector->AddObserver(itk::ProgressEvent(), [&](const itk::EventObject &) {
    progress.update(100.0 * selector->GetProgress(), "of validation maps per candidate");
  });
  selector->Update();
  for (unsigned int c = 0; c < selector->GetCandidates().size(); ++c)
  {
    const auto & candidate = selector->GetCandidates()[c];
    std::cerr << "cradl: select: K=" << candidate.NumberOfComponents << " " << candidate.ScoringMode << " sigma "
              << candidate.GaussianSigma << " BIC " << candidate.BIC
              << (candidate.ValidationAUPRC >= 0 ? " validation AUPRC " + std::to_string(candidate.ValidationAUPRC) : "")
              << (c == selector->GetSelectedIndex() ? "  <- kept (" + std::string(selector->GetSelectionCriterion()) + ")" : "")
              << std::endl;
  }
  // The chosen mixture's validation maps, kept for the label-free threshold;
  // scans without a label are scored here with the same recipe.
  auto scorer = itk::CradlScanScorer::New();
  scorer->SetEncoder(encoder);
  scorer->SetMixture(selector->GetOutput());
  scorer->SetSettings(selector->GetSelectedScoringSettings());
  for (std::size_t row = 0, next = 0; row < scans.size(); ++row)
  {
    const bool chose = next < labelled.size() && labelled[next] == row;
    const auto map = chose ? selector->GetValidationResults()[next++].AnomalyMap
                           : onScan(*validation, row, [&] { return scorer->Score(scans[row].Image, scans[row].Mask); }).AnomalyMap;
    itk::CradlWriteImage(map.GetPointer(), layout.validationMap(stemOf(validation->GetEntry(row).Image)));
  }
  selector->GetOutput()->ExportNpz(layout.mixtureNpz());
  selector->GetOutput()->Save(layout.mixture());
  record.write(true, config.device);
}
} // namespace

void
selectStage(const PipelineConfig & config)
{
  // Validation scans are few: rank 0 alone.
  if (leader())
    selectOnThisProcess(config);
  stageDoneOnEveryProcess();
}

} // namespace cradl_pipeline
