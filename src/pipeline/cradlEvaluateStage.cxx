// evaluate: maps + labels -> OUT/metrics.json (AnomalyMapEvaluator), then the report from the files.
#include "cradlPipeline.h"
#include "cradlStageFrame.h"
#include "cradlMetricsJson.h"
#include "cradlReport.h"

#include "itkAnomalyMapEvaluator.h"
#include "itkCradlDatasetBuilder.h"
#include "itkCradlImageIO.h"
#include "itkLabelFreeThresholdCalculator.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

namespace cradl_pipeline
{

namespace
{
// The label-free threshold from the chosen mixture's validation maps, which
// the select stage kept: nothing is scored again. Also notes the anomaly
// kinds the validation scans hold (the others were never seen in selection).
double
labelFreeThreshold(const PipelineConfig & config, const Layout & layout, std::set<unsigned int> & validationKinds)
{
  const auto manifest = readManifest(config, config.validation, "validation");
  auto       threshold = itk::LabelFreeThresholdCalculator::New();
  threshold->SetQuantile(config.thresholdQuantile);
  for (std::size_t row = 0; row < manifest->GetNumberOfEntries(); ++row)
  {
    const auto        scan = manifest->LoadScan(row);
    const std::string path = layout.validationMap(stemOf(manifest->GetEntry(row).Image));
    if (!fs::exists(path))
      throw std::runtime_error("no '" + path + "': run cradl select first");
    const auto map = itk::CradlManifest::ReadScanImage(path, "validation map");
    threshold->AddScores(map, scan.Mask, scan.Label);
    if (scan.Kinds)
    {
      const auto * codes = scan.Kinds->GetBufferPointer();
      for (itk::SizeValueType i = 0; i < scan.Kinds->GetLargestPossibleRegion().GetNumberOfPixels(); ++i)
        if (codes[i] != 0)
          validationKinds.insert(codes[i]);
    }
  }
  return threshold->Compute();
}

nlohmann::json
metricsJson(const itk::AnomalyMapEvaluator::Metrics & m, const PipelineConfig & config,
            const std::set<unsigned int> & validationKinds)
{
  nlohmann::json metrics = evaluationJson(m);
  metrics["pixels"] = "all pixels of every scan pooled (the paper's protocol)";
  if (m.Thresholded)
    metrics["label_free_threshold"].update(
      { { "quantile", config.thresholdQuantile },
        { "source", "post-processed scores in the brain on healthy validation slices" } });
  for (const auto & kind : m.Kinds)
    metrics["per_kind"][kind.Name]["in_validation"] = validationKinds.count(kind.Code) > 0;
  metrics["config"] = config.toJson();
  return metrics;
}

// The pages' curves of one evaluator: the map's and the baseline's.
nlohmann::json
curvesOf(const itk::AnomalyMapEvaluator::Metrics & m, bool brain)
{
  return { { "chosen", curveJson(brain ? m.PixelsInBrain : m.Pixels) },
           { "baseline", curveJson(brain ? m.BaselinePixelsInBrain : m.BaselinePixels) },
           { "modes", nlohmann::json::object() } };
}

void
printMetricsTable(const nlohmann::json & metrics)
{
  std::printf("%-28s %8s %8s %8s %9s\n", "", "AUROC", "AUPRC", "FPR95", "best Dice");
  for (const char * key : { "cradl", "cradl_slice", "baseline_abs_zscore", "cradl_brain_only", "baseline_brain_only" })
  {
    const auto & m = metrics[key];
    std::printf("%-28s %8.4f %8.4f %8.4f %9.4f\n", key, m["auroc"].get<double>(), m["auprc"].get<double>(),
                m["fpr_at_95_tpr"].get<double>(), m["best_dice"].get<double>());
  }
  if (metrics.contains("modes"))
  {
    std::printf("\nevery map (the chosen one above: %s)   AUROC    AUPRC   brain AUROC  AUPRC\n",
                metrics.contains("score_mode") ? metrics["score_mode"].get<std::string>().c_str() : "-");
    for (const auto & [mode, m] : metrics["modes"].items())
      std::printf("  %-36s %6.4f   %6.4f        %6.4f %6.4f\n", mode.c_str(), m["pixels"]["auroc"].get<double>(),
                  m["pixels"]["auprc"].get<double>(), m["brain_only"]["auroc"].get<double>(),
                  m["brain_only"]["auprc"].get<double>());
  }
  if (metrics.contains("per_kind"))
  {
    std::printf("\nper anomaly kind, inside the brain   AUROC    AUPRC  baseline AUROC  AUPRC   AUPRC ratio\n");
    for (const auto & [name, kind] : metrics["per_kind"].items())
    {
      const auto & ours = kind["cradl_brain_only"];
      const auto & base = kind["baseline_brain_only"];
      const std::string label = name + (kind["in_validation"].get<bool>() ? "" : " (never in validation)");
      std::printf("  %-34s %6.4f   %6.4f          %6.4f %6.4f   %6.2fx\n", label.c_str(), ours["auroc"].get<double>(),
                  ours["auprc"].get<double>(), base["auroc"].get<double>(), base["auprc"].get<double>(),
                  ours["auprc"].get<double>() / std::max(1e-12, base["auprc"].get<double>()));
    }
  }
  if (metrics.contains("label_free_threshold"))
  {
    const auto & threshold = metrics["label_free_threshold"];
    std::printf("label-free threshold (%.3g quantile of healthy validation scores) %.4g: Dice %.4f\n",
                threshold["quantile"].get<double>(), threshold["value"].get<double>(), threshold["dice"].get<double>());
  }
}


// With --score-mode auto, score wrote every mode's maps: each is evaluated too.
std::map<std::string, itk::AnomalyMapEvaluator::Pointer>
modeEvaluators(const PipelineConfig & config, const Layout & layout)
{
  std::map<std::string, itk::AnomalyMapEvaluator::Pointer> byMode;
  for (const char * mode : ScoringModes)
  {
    if (config.scoreMode == "auto" && fs::is_directory(layout.out / "maps" / "modes" / mode))
    {
      byMode[mode] = itk::AnomalyMapEvaluator::New();
      byMode[mode]->SetAnomalyKinds(itk::CradlDatasetBuilder::GetAnomalyKindNames());
    }
  }
  return byMode;
}

// --score-mode auto: every mode's figures beside the chosen map's, and their curves.
void
addModeMetrics(nlohmann::json & metrics, nlohmann::json & curves,
               std::map<std::string, itk::AnomalyMapEvaluator::Pointer> & byMode)
{
  for (auto & [mode, modeEvaluator] : byMode)
  {
    modeEvaluator->Compute();
    const auto & m = modeEvaluator->GetMetrics();
    metrics["modes"][mode] = { { "pixels", rankingJson(m.Pixels) }, { "brain_only", rankingJson(m.PixelsInBrain) } };
    curves["brain"]["modes"][mode] = curveJson(m.PixelsInBrain);
    curves["pixels"]["modes"][mode] = curveJson(m.Pixels);
    for (const auto & kind : m.Kinds)
      metrics["modes"][mode]["per_kind"][kind.Name] = rankingJson(kind.PixelsInBrain);
  }
}

// Each stage's wall time, from the records of the runs that made its outputs.
nlohmann::json
stageSeconds(const Layout & layout)
{
  nlohmann::json seconds = nlohmann::json::object();
  for (const char * stage : { "train", "fit", "select", "score" })
  {
    const fs::path path = layout.out / ".cradl" / (std::string(stage) + ".json");
    std::ifstream  file(path);
    if (!file)
      continue;
    const auto record = nlohmann::json::parse(file, nullptr, false);
    if (record.is_object() && record.contains("run"))
      seconds[stage] = record["run"]["seconds"];
  }
  return seconds;
}

// Each test scan's map against its label (and the segmentation at the
// label-free threshold): OUT/metrics.json, OUT/segmentations and the curves
// the report draws (OUT/report/curves.json).
nlohmann::json
evaluateOnThisProcess(const PipelineConfig & config, const std::string & manifestPath)
{
  std::cerr << "cradl: evaluate: running" << std::endl; // cheap and always current: never skipped
  const auto            started = std::chrono::steady_clock::now();
  const Layout          layout{ config.out };
  std::set<std::string> segmentations; // written by this run
  const auto            manifest = readManifest(config, manifestPath, "evaluation");
  const auto            sliceScores = readSliceScores(layout);
  auto                  evaluator = itk::AnomalyMapEvaluator::New();
  evaluator->SetAnomalyKinds(itk::CradlDatasetBuilder::GetAnomalyKindNames());
  std::set<unsigned int> validationKinds;
  if (hasValidation(config))
  {
    evaluator->SetThreshold(labelFreeThreshold(config, layout, validationKinds));
    itk::CradlMakeFolder((layout.out / "segmentations").string());
  }
  else
    std::cerr << "cradl: evaluate: no --val: the label-free threshold, its Dice and the segmentations are skipped "
                 "(the threshold is a quantile of the healthy validation scans' scores)"
              << std::endl;
  auto byMode = modeEvaluators(config, layout);
  for (std::size_t row = 0; row < manifest->GetNumberOfEntries(); ++row)
  {
    const auto        scan = manifest->LoadScan(row);
    const std::string stem = stemOf(manifest->GetEntry(row).Image);
    if (!scan.Label)
      throw std::runtime_error("manifest '" + manifestPath + "' row " + std::to_string(row + 1) +
                               " has no label: evaluation needs the anomaly ground truth");
    const auto map = itk::CradlManifest::ReadScanImage(layout.map(stem, "anomaly"), "anomaly map of " + stem);
    const auto scores = sliceScores.find(stem);
    if (scores == sliceScores.end())
      throw std::runtime_error("'" + layout.scores() + "' has no slice scores of " + stem + ": run cradl score again");
    const auto segmentation = onScan(*manifest, row, [&] {
      return evaluator->AddScan(stem, scan.Image, scan.Mask, scan.Label, map, scores->second, scan.Kinds);
    });
    if (segmentation)
    {
      itk::CradlWriteImage(segmentation.GetPointer(), layout.segmentation(stem));
      segmentations.insert(layout.segmentation(stem));
    }
    for (auto & [mode, modeEvaluator] : byMode)
    {
      const auto modeMap = itk::CradlManifest::ReadScanImage(layout.modeMap(mode, stem), mode + " map of " + stem);
      modeEvaluator->AddScan(stem, scan.Image, scan.Mask, scan.Label, modeMap, scores->second, scan.Kinds);
    }
  }
  removeStaleFiles(layout.out / "segmentations", segmentations, "evaluate", "segmentation(s)");
  evaluator->Compute();
  const auto &   computed = evaluator->GetMetrics();
  nlohmann::json metrics = metricsJson(computed, config, validationKinds);
  nlohmann::json curves = { { "brain", curvesOf(computed, true) }, { "pixels", curvesOf(computed, false) } };
  nlohmann::json threshold;
  if (computed.Thresholded)
    threshold = { { "brain", operatingPoint(computed.PixelsInBrain, computed.Threshold) },
                  { "pixels", operatingPoint(computed.Pixels, computed.Threshold) } };
  if (fs::exists(layout.mixture()))
    metrics["score_mode"] = scoringSettings(config, itk::GaussianMixtureModel::Load(layout.mixture())).Mode;
  addModeMetrics(metrics, curves, byMode);
  metrics["stage_seconds"] = stageSeconds(layout);
  metrics["stage_seconds"]["evaluate"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  itk::CradlWriteFileAtomically((layout.out / "metrics.json").string(), metrics.dump(2) + "\n");
  itk::CradlMakeFolder(layout.report());
  itk::CradlWriteFileAtomically(layout.curves(), nlohmann::json{ { "curves", curves }, { "threshold", threshold } }.dump() + "\n");
  printMetricsTable(metrics);
  return metrics;
}
} // namespace

nlohmann::json
evaluateStage(const PipelineConfig & config, const std::string & manifestPath)
{
  // Reading maps and counting: rank 0 alone; the others get no metrics.
  nlohmann::json metrics = nlohmann::json::object();
  if (leader())
  {
    metrics = evaluateOnThisProcess(config, manifestPath);
    std::cout << "report: " << writeReport(config, manifestPath) << std::endl;
  }
  stageDoneOnEveryProcess();
  return metrics;
}

} // namespace cradl_pipeline
