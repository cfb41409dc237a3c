#include "cradlPipeline.h"

#include "cradlMachine.h"
#include "cradlProgressLine.h"
#include "cradlReport.h"
#include "cradlStageRecord.h"

#include "itkAnomalyMapEvaluator.h"
#include "itkContrastiveEncoderTrainer.h"
#include "itkCradlDatasetBuilder.h"
#include "itkCradlImageIO.h"
#include "itkCradlManifest.h"
#include "itkCradlRuntime.h"
#include "itkCradlScanScorer.h"
#include "itkGaussianMixtureFitter.h"
#include "itkLabelFreeThresholdCalculator.h"
#include "itkMixtureModelSelector.h"

#include <chrono>
#include <cmath>
#include <ctime>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

namespace cradl_cli
{

namespace
{
namespace fs = std::filesystem;
using ScanType = itk::CradlManifest::ScanImageType;
using MaskType = itk::CradlManifest::MaskImageType;

// Where each stage keeps its outputs.
struct Layout
{
  fs::path out;

  std::string
  encoder() const
  {
    return (out / "encoder.pt").string();
  }
  std::string
  checkpoint() const
  {
    return (out / "checkpoint.pt").string();
  }
  std::string
  candidate(unsigned int components) const
  {
    return (out / "candidates" / ("mixture-K" + std::to_string(components) + ".pt")).string();
  }
  std::string
  mixture() const
  {
    return (out / "mixture.pt").string();
  }
  std::string
  mixtureNpz() const
  {
    return (out / "mixture.npz").string();
  }
  std::string
  validationMap(const std::string & stem) const
  {
    return (out / "validation" / (stem + "_anomaly.nii.gz")).string();
  }
  std::string
  map(const std::string & stem, const char * kind) const
  {
    return (out / "maps" / (stem + "_" + kind + ".nii.gz")).string();
  }
  // --score-mode auto: every mode's post-processed map, for the comparison.
  std::string
  modeMap(const std::string & mode, const std::string & stem) const
  {
    return (out / "maps" / "modes" / mode / (stem + "_anomaly.nii.gz")).string();
  }
  std::string
  sliceMap(const std::string & stem) const
  {
    return (out / "slices" / (stem + "_slices.nii.gz")).string();
  }
  std::string
  scores() const
  {
    return (out / "scores.csv").string();
  }
  std::string
  segmentation(const std::string & stem) const
  {
    return (out / "segmentations" / (stem + "_segmentation.nii.gz")).string();
  }
  std::string
  report() const
  {
    return (out / "report").string();
  }
};

// Several processes (torchrun, srun, cradl --nproc) share OUT: rank 0
// decides, writes the records and models and reports; every process
// computes its share of train, fit and score; select and evaluate run on
// rank 0. A stage ends when every process has finished it.
bool
leader()
{
  return itk::CradlRuntime::GetDistributedRank() == 0;
}

void
stageDoneOnEveryProcess()
{
  if (itk::CradlRuntime::GetDistributedWorldSize() > 1)
    itk::CradlRuntime::DistributedBarrier();
}

// Whether a stage may be skipped: its record matches the present inputs and
// its outputs exist. Says in one line what it does and why. Rank 0 decides
// and, for a stage that every process runs, tells the others. A stage that
// runs first marks its record unfinished: should it fail part-way, no earlier
// "finished" record vouches for a mix of old and new outputs.
bool
upToDate(const StageRecord & record, const std::vector<std::string> & outputs, const PipelineConfig & config,
         const char * stage, bool everyProcessRuns = true)
{
  bool skip = false;
  if (leader())
  {
    const std::string reason = config.force ? std::string() : record.reasonToRun(outputs);
    skip = !config.force && reason.empty();
    std::cerr << "cradl: " << stage << ": "
              << (config.force ? "--force, running" : skip ? "up to date, skipped (--force to redo)" : reason + ", running")
              << std::endl;
    if (!skip)
      record.write(false);
  }
  return everyProcessRuns && itk::CradlRuntime::GetDistributedWorldSize() > 1 ? itk::CradlRuntime::DistributedBroadcast(skip)
                                                                              : skip;
}

// The path of a manifest that a stage needs, or a clear error when none was given.
const std::string &
requireManifestPath(const std::string & path, const char * role)
{
  if (path.empty())
    throw std::runtime_error(std::string("no ") + role + " manifest given");
  return path;
}

// The maps --score-mode auto chooses among; without labelled validation
// scans the selector keeps the first (and the mixture of lowest BIC): the
// fused map, the best of the three on the default data set for every seed.
constexpr const char * ScoringModes[] = { "fused", "gradient", "patch" };

bool
hasPatchDensity(const Layout & layout)
{
  return fs::exists(layout.mixture()) && itk::GaussianMixtureModel::Load(layout.mixture())->HasPatchDensity();
}

itk::CradlManifest::Pointer
readManifest(const PipelineConfig & config, const std::string & path, const char * role)
{
  auto manifest = itk::CradlManifest::New();
  manifest->Read(requireManifestPath(path, role));
  manifest->SetZeroNonFiniteVoxels(config.nanPolicy == "zero");
  return manifest;
}

std::string
stemOf(const std::string & path)
{
  std::string name = fs::path(path).filename().string();
  for (const std::string extension : { ".nii.gz", ".nii", ".nrrd", ".mha", ".mhd", ".png" })
  {
    if (name.size() > extension.size() && name.compare(name.size() - extension.size(), extension.size(), extension) == 0)
      return name.substr(0, name.size() - extension.size());
  }
  return name;
}

// The scoring recipe of the settings; with --score-mode auto, the mode the
// select stage chose (recorded in the mixture), else "gradient".
itk::CradlScoringSettings
scoringSettings(const PipelineConfig & config, const itk::GaussianMixtureModel * chosen = nullptr)
{
  itk::CradlScoringSettings settings;
  settings.Device = itk::CradlRuntime::GetDistributedDevice(config.device);
  settings.MixedPrecision = config.scoreMixedPrecision;
  settings.MedianRadius = config.medianRadius;
  settings.GaussianSigma = config.sigma;
  settings.GaussianRadius = config.gaussianRadius;
  if (config.scoreMode != "auto")
    settings.Mode = config.scoreMode;
  else if (chosen != nullptr && !chosen->GetSelectedScoringMode().empty())
  {
    settings.Mode = chosen->GetSelectedScoringMode();
    if (std::isfinite(chosen->GetSelectedGaussianSigma()))
      settings.GaussianSigma = chosen->GetSelectedGaussianSigma();
  }
  return settings;
}

// Files in `folder` that this run did not write are an earlier run's, which
// a reader would take for this one's: removed, and said.
void
removeStaleFiles(const fs::path & folder, const std::set<std::string> & written, const char * stage,
                 const std::string & what)
{
  if (!fs::is_directory(folder))
    return;
  std::vector<fs::path> stale;
  for (const auto & entry : fs::recursive_directory_iterator(folder))
    if (entry.is_regular_file() && written.count(entry.path().string()) == 0)
      stale.push_back(entry.path());
  for (const auto & path : stale)
    fs::remove(path);
  if (!stale.empty())
    std::cerr << "cradl: " << stage << ": removed " << stale.size() << " " << what << " of an earlier run from '"
              << folder.string() << "' (this run does not make them)" << std::endl;
}

// Runs `work` on row `row` of `manifest`: an error it raises starts with the
// row and its image, so that the user knows which scan it was.
template <typename Work>
auto
onScan(const itk::CradlManifest & manifest, std::size_t row, Work && work) -> decltype(work())
{
  try
  {
    return work();
  }
  catch (const itk::ExceptionObject & error)
  {
    throw std::runtime_error(manifest.DescribeEntry(row) + ": " + error.GetDescription());
  }
  catch (const std::exception & error)
  {
    throw std::runtime_error(manifest.DescribeEntry(row) + ": " + itk::CradlRuntime::ErrorMessage(error));
  }
}

// Validation scans with a label choose the mixture; the rest only add healthy
// pixels to the label-free threshold.
bool
hasValidation(const PipelineConfig & config)
{
  return !config.validation.empty();
}

std::string
trainingProgressDetail(const itk::ContrastiveEncoderTrainer & trainer)
{
  std::ostringstream detail;
  detail << "epoch " << trainer.GetCurrentEpoch() << " step " << trainer.GetCurrentStep() << " loss "
         << trainer.GetCurrentLoss() << " val ";
  if (trainer.GetLastValidationLoss() > 0) // NT-Xent is positive: 0 means not validated yet
    detail << trainer.GetLastValidationLoss();
  else
    detail << "-";
  detail << " lr " << trainer.GetCurrentLearningRate() << " " << static_cast<int>(trainer.GetViewsPerSecond())
         << " views/s";
  return detail.str();
}

// The whole training's time from its first steps, said once: long runs
// should not start silently. The first step (allocation, oneDNN's choice of
// kernels) is left out; validation is counted as one more step per epoch.
struct TrainingEstimate
{
  using Clock = std::chrono::steady_clock;
  Clock::time_point afterFirst;
  unsigned int      seen = 0;
  bool              said = false;

  void
  step(const itk::ContrastiveEncoderTrainer & trainer, unsigned int epochs)
  {
    if (said)
      return;
    if (++seen == 1)
    {
      afterFirst = Clock::now();
      return;
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - afterFirst).count();
    if (elapsed < 5.0 && seen < 20)
      return;
    const double perStep = elapsed / (seen - 1);
    const double steps = static_cast<double>(trainer.GetStepsPerEpoch() + 1) * epochs;
    const double remaining = perStep * steps * std::max(0.0, 1.0 - static_cast<double>(trainer.GetProgress()));
    std::cerr << "cradl: train: about " << humanDuration(remaining) << " to go (" << epochs << " epochs of "
              << trainer.GetStepsPerEpoch() << " steps at " << std::setprecision(3) << perStep
              << " s per step, measured on step" << (seen > 2 ? "s 2 to " : " ") << seen << ")" << std::endl;
    said = true;
  }

  static std::string
  humanDuration(double seconds)
  {
    char text[64];
    if (seconds < 120)
      std::snprintf(text, sizeof text, "%.0f s", seconds);
    else if (seconds < 7200)
      std::snprintf(text, sizeof text, "%.0f min", seconds / 60);
    else
      std::snprintf(text, sizeof text, "%.1f h", seconds / 3600);
    return text;
  }
};

std::map<std::string, std::vector<double>>
readSliceScores(const Layout & layout)
{
  std::ifstream scores(layout.scores());
  if (!scores)
    throw std::runtime_error("no '" + layout.scores() + "': run cradl score first");
  std::map<std::string, std::vector<double>> sliceScores;
  std::string                                line;
  std::getline(scores, line);
  while (std::getline(scores, line))
  {
    const auto first = line.find(',');
    const auto second = line.find(',', first + 1);
    sliceScores[line.substr(0, first)].push_back(std::stod(line.substr(second + 1)));
  }
  return sliceScores;
}

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
summary(const itk::CradlRankingMetrics & m)
{
  nlohmann::json fields = nlohmann::json::object();
  itk::CradlVisitMetricFields(m, [&](const char * key, auto value) { fields[key] = value; });
  return fields;
}

nlohmann::json
metricsJson(const itk::AnomalyMapEvaluator::Metrics & m, const PipelineConfig & config,
            const std::set<unsigned int> & validationKinds)
{
  nlohmann::json metrics;
  metrics["pixels"] = "all pixels of every scan pooled (the paper's protocol)";
  metrics["cradl"] = summary(m.Pixels);
  metrics["cradl_slice"] = summary(m.Slices);
  metrics["baseline_abs_zscore"] = summary(m.BaselinePixels);
  metrics["cradl_brain_only"] = summary(m.PixelsInBrain);
  metrics["baseline_brain_only"] = summary(m.BaselinePixelsInBrain);
  if (m.Thresholded)
  {
    metrics["label_free_threshold"] = { { "quantile", config.thresholdQuantile },
                                        { "value", m.Threshold },
                                        { "dice", m.Dice },
                                        { "source", "post-processed scores in the brain on healthy validation slices" } };
  }
  for (const auto & kind : m.Kinds)
  {
    metrics["per_kind"][kind.Name] = { { "cradl_brain_only", summary(kind.PixelsInBrain) },
                                       { "baseline_brain_only", summary(kind.BaselinePixelsInBrain) },
                                       { "in_validation", validationKinds.count(kind.Code) > 0 } };
  }
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

// The number of rows of a manifest, or 0 without one.
std::size_t
scansIn(const PipelineConfig & config, const std::string & path, const char * role)
{
  return path.empty() ? 0 : readManifest(config, path, role)->GetNumberOfEntries();
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

} // namespace

void
trainStage(const PipelineConfig & config)
{
  const Layout layout{ config.out };
  itk::CradlMakeFolder(config.out);
  StageRecord record(config.out, "train");
  record.addSettings(config.settingsOf("train"));
  record.addManifest("training manifest", requireManifestPath(config.train, "training"));
  record.addManifest("validation manifest", requireManifestPath(config.validation, "validation"));
  const bool resumable = leader() && record.matchesUnfinished(); // before upToDate marks this run unfinished
  if (upToDate(record, { layout.encoder() }, config, "train"))
    return;
  if (leader())
  {
    if (fs::exists(layout.checkpoint()) && (config.force || !resumable))
    {
      std::cerr << "cradl: train: starting afresh; the checkpoint came from "
                << (config.force ? "before --force" : "other inputs") << std::endl;
      fs::remove(layout.checkpoint());
    }
    else if (fs::exists(layout.checkpoint()))
      std::cerr << "cradl: train: resuming from its checkpoint '" << layout.checkpoint() << "'" << std::endl;
    const unsigned int processes = itk::CradlRuntime::GetDistributedWorldSize();
    if (processes > 1)
      std::cerr << "cradl: train: data-parallel over " << processes << " processes, global batch " << config.batch
                << " (" << config.batch / processes << (config.batch % processes ? "-" + std::to_string(config.batch / processes + 1) : "")
                << " per process)" << std::endl;
  }
  stageDoneOnEveryProcess(); // no rank reads a checkpoint before rank 0 has judged it
  const auto train = readManifest(config, config.train, "training");
  const auto validation = readManifest(config, config.validation, "validation");
  auto       trainer = itk::ContrastiveEncoderTrainer::New();
  // Scans stay alive in the trainer's inputs.
  for (std::size_t row = 0; row < train->GetNumberOfEntries(); ++row)
  {
    const auto scan = train->LoadScan(row);
    trainer->AddTrainingScan(scan.Image, scan.Mask);
  }
  for (std::size_t row = 0; row < validation->GetNumberOfEntries(); ++row)
  {
    const auto scan = validation->LoadScan(row);
    trainer->AddValidationScan(scan.Image, scan.Mask);
  }
  trainer->SetSliceSize(config.sliceSize);
  trainer->SetNumberOfFilters(config.nf);
  trainer->SetRepresentationSize(config.nz);
  trainer->SetNumberOfEpochs(config.epochs);
  trainer->SetBatchSize(config.batch);
  trainer->SetWarmupEpochs(config.warmupEpochs);
  trainer->SetLearningRate(config.learningRate);
  trainer->SetMixedPrecision(config.mixedPrecision);
  trainer->SetSeed(config.seed);
  trainer->SetDevice(config.device);
  trainer->SetNumberOfThreads(config.threads);
  trainer->SetCheckpointFileName(layout.checkpoint());
  trainer->ResumeOn(); // a killed run continues where its last epoch ended
  ProgressLine progress("train", config.epochs);
  double       validated = 0.0;
  if (leader() && config.device == "cpu" && config.sliceSize >= cradl::defaults::SliceSize &&
      config.nf >= cradl::defaults::NumberOfFilters && config.epochs >= cradl::defaults::Epochs)
    std::cerr << "cradl: train: this is the paper's GPU configuration (" << config.sliceSize << " px, nf " << config.nf
              << ", " << config.epochs << " epochs) on the CPU: expect many hours; on a CPU use --config "
              << "examples/demo-config.json (64 px, nf 32, 30 epochs: about a minute on 2 cores), or --device cuda"
              << std::endl;
  TrainingEstimate estimate;
  trainer->AddObserver(itk::IterationEvent(), [&](const itk::EventObject &) {
    if (!leader())
      return;
    // An epoch's last step and its validation report the same progress; the
    // logged line per epoch is the one that carries the validation loss.
    const bool epochEnd = trainer->GetLastValidationLoss() != validated;
    validated = trainer->GetLastValidationLoss();
    progress.update(trainer->GetProgress() * config.epochs - (epochEnd ? 0.0 : 1e-9), trainingProgressDetail(*trainer));
    if (!epochEnd)
      estimate.step(*trainer, config.epochs);
  });
  trainer->Update();
  if (leader())
  {
    trainer->GetOutput()->Save(layout.encoder());
    record.write(true, config.device);
  }
  stageDoneOnEveryProcess();
}

void
fitStage(const PipelineConfig & config)
{
  const Layout layout{ config.out };
  itk::CradlMakeFolder((layout.out / "candidates").string());
  StageRecord record(config.out, "fit");
  record.addSettings(config.settingsOf("fit"));
  record.addFile("encoder", layout.encoder());
  record.addManifest("training manifest", requireManifestPath(config.train, "training"));
  std::vector<std::string> outputs;
  for (const unsigned int components : config.components)
    outputs.push_back(layout.candidate(components));
  if (upToDate(record, outputs, config, "fit"))
    return;
  const auto encoder = itk::ContrastiveEncoderModel::Load(layout.encoder());
  const auto train = readManifest(config, config.train, "training");
  auto       fitter = itk::GaussianMixtureFitter::New();
  fitter->SetEncoder(encoder);
  for (std::size_t row = 0; row < train->GetNumberOfEntries(); ++row)
  {
    const auto scan = train->LoadScan(row);
    fitter->AddScan(scan.Image, scan.Mask);
  }
  fitter->SetComponentCandidates(config.components);
  fitter->SetPatchDensityLayers(config.patchLayers);
  fitter->SetPatchPositionGrid(config.patchGrid);
  fitter->SetPatchDepthBins(config.patchDepthBins);
  fitter->SetPatchPriorWeight(config.patchPriorWeight);
  fitter->SetTolerance(config.tolerance);
  fitter->SetCovarianceRegularization(config.regularization);
  fitter->SetInitialization(config.initialization);
  fitter->SetSeed(config.seed);
  fitter->SetDevice(config.device);
  fitter->SetNumberOfThreads(config.threads);
  ProgressLine progress("fit", 100, 10);
  fitter->AddObserver(itk::ProgressEvent(), [&](const itk::EventObject &) {
    if (leader())
      progress.update(100.0 * fitter->GetProgress(), "of slices, representations, EM per K");
  });
  fitter->Update();
  for (unsigned int c = 0; c < fitter->GetCandidates().size() && leader(); ++c)
  {
    const auto & candidate = fitter->GetCandidates()[c];
    std::cerr << "cradl: fit: K=" << candidate.NumberOfComponents << " iterations " << candidate.Iterations
              << " mean log-likelihood " << candidate.MeanLogLikelihood << " BIC " << candidate.BIC << std::endl;
    fitter->GetCandidateModel(c)->Save(layout.candidate(candidate.NumberOfComponents));
  }
  if (leader())
    record.write(true, config.device);
  stageDoneOnEveryProcess();
}

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
  std::vector<std::string> outputs{ layout.scores() };
  for (const auto & entry : manifest->GetEntries())
  {
    const std::string stem = stemOf(entry.Image);
    outputs.insert(outputs.end(), { layout.map(stem, "anomaly"), layout.map(stem, "raw"), layout.sliceMap(stem) });
    if (everyMap)
      for (const char * mode : ScoringModes)
        if (std::string(mode) != "patch" || withPatch)
          outputs.push_back(layout.modeMap(mode, stem));
  }
  if (upToDate(record, outputs, config, "score"))
    return;
  itk::CradlMakeFolder((layout.out / "maps").string());
  itk::CradlMakeFolder((layout.out / "slices").string());
  if (everyMap)
    for (const char * mode : ScoringModes)
      itk::CradlMakeFolder((layout.out / "maps" / "modes" / mode).string());
  else if (leader())
    removeStaleFiles(layout.out / "maps" / "modes", {}, "score", "map(s) of every mode (--score-mode auto)");
  itk::CradlRuntime::SetNumberOfThreads(config.threads);
  const auto encoder = itk::ContrastiveEncoderModel::Load(layout.encoder());
  const auto mixture = itk::GaussianMixtureModel::Load(layout.mixture());
  auto       scorer = itk::CradlScanScorer::New();
  scorer->SetEncoder(encoder);
  scorer->SetMixture(mixture);
  scorer->SetSettings(scoringSettings(config, mixture));
  auto fusedScorer = itk::CradlScanScorer::New();
  fusedScorer->SetEncoder(encoder);
  fusedScorer->SetMixture(mixture);
  auto fusedSettings = scorer->GetSettings();
  fusedSettings.Mode = "fused";
  fusedScorer->SetSettings(fusedSettings);
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
    if (everyMap)
    {
      itk::CradlWriteImage(fused.AnomalyMap.GetPointer(), layout.modeMap("fused", stem));
      for (const char * mode : { "gradient", "patch" })
        if (fused.Components.count(mode))
          itk::CradlWriteImage(fused.Components.at(mode).GetPointer(), layout.modeMap(mode, stem));
    }
    itk::CradlWriteImage(scored.AnomalyMap.GetPointer(), layout.map(stem, "anomaly"));
    itk::CradlWriteImage(scored.RawMap.GetPointer(), layout.map(stem, "raw"));
    itk::CradlWriteImage(scored.SliceMap.GetPointer(), layout.sliceMap(stem));
    for (std::size_t slice = 0; slice < scored.SliceNLL.size(); ++slice)
    {
      char line[256];
      std::snprintf(line, sizeof line, "%s,%zu,%.17g\n", stem.c_str(), slice, scored.SliceNLL[slice]);
      scores += line;
    }
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

namespace
{
nlohmann::json
evaluateOnThisProcess(const PipelineConfig & config, const std::string & manifestPath)
{
  std::cerr << "cradl: evaluate: running" << std::endl; // cheap and always current: never skipped
  const auto     started = std::chrono::steady_clock::now();
  const Layout   layout{ config.out };
  nlohmann::json report = { { "scans", nlohmann::json::array() },
                            { "slices", nlohmann::json::array() },
                            { "dataset", { { "kinds", nlohmann::json::object() } } } };
  std::set<std::string> grids;
  std::set<std::string> segmentations; // written by this run
  const auto   manifest = readManifest(config, manifestPath, "evaluation");
  const auto   sliceScores = readSliceScores(layout);
  auto         evaluator = itk::AnomalyMapEvaluator::New();
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
  itk::CradlMakeFolder(layout.report());
  // With --score-mode auto, score wrote every mode's maps: each is evaluated too.
  std::map<std::string, itk::AnomalyMapEvaluator::Pointer> byMode;
  for (const char * mode : ScoringModes)
  {
    if (config.scoreMode == "auto" && fs::is_directory(layout.out / "maps" / "modes" / mode))
    {
      byMode[mode] = itk::AnomalyMapEvaluator::New();
      byMode[mode]->SetAnomalyKinds(itk::CradlDatasetBuilder::GetAnomalyKindNames());
    }
  }
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
    auto pictures = writeScanPictures(layout.report(), stem, scan.Image, map, scan.Mask, scan.Label,
                                      segmentation.GetPointer(), scores->second);
    // What the page says of the scan: its anomaly kinds, its slices' labels.
    const auto size = scan.Image->GetLargestPossibleRegion().GetSize();
    const auto inSlice = size[0] * size[1];
    std::vector<bool> anomalous(size[2], false);
    for (itk::SizeValueType i = 0; i < inSlice * size[2]; ++i)
      if (scan.Label->GetBufferPointer()[i] != 0)
        anomalous[i / inSlice] = true;
    for (std::size_t slice = 0; slice < scores->second.size() && slice < anomalous.size(); ++slice)
      report["slices"].push_back({ scores->second[slice], anomalous[slice] ? 1 : 0 });
    pictures["kinds"] = nlohmann::json::object();
    if (scan.Kinds)
    {
      const auto names = itk::CradlDatasetBuilder::GetAnomalyKindNames();
      for (itk::SizeValueType i = 0; i < inSlice * size[2]; ++i)
      {
        const unsigned int code = scan.Kinds->GetBufferPointer()[i];
        if (code != 0 && code <= names.size())
        {
          pictures["kinds"][names[code - 1]] = pictures["kinds"].value(names[code - 1], 0) + 1;
          report["dataset"]["kinds"][names[code - 1]] = report["dataset"]["kinds"].value(names[code - 1], 0) + 1;
        }
      }
    }
    grids.insert(std::to_string(size[0]) + " x " + std::to_string(size[1]) + " x " + std::to_string(size[2]) +
                 " voxels of " + pictures["spacing"].dump() + " mm");
    report["scans"].push_back(pictures);
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
  report["curves"] = { { "brain", curvesOf(computed, true) }, { "pixels", curvesOf(computed, false) } };
  if (computed.Thresholded)
    report["threshold"] = { { "brain", operatingPoint(computed.PixelsInBrain, computed.Threshold) },
                            { "pixels", operatingPoint(computed.Pixels, computed.Threshold) } };
  if (fs::exists(layout.mixture()))
    metrics["score_mode"] = scoringSettings(config, itk::GaussianMixtureModel::Load(layout.mixture())).Mode;
  for (auto & [mode, modeEvaluator] : byMode)
  {
    modeEvaluator->Compute();
    const auto & m = modeEvaluator->GetMetrics();
    metrics["modes"][mode] = { { "pixels", summary(m.Pixels) }, { "brain_only", summary(m.PixelsInBrain) } };
    report["curves"]["brain"]["modes"][mode] = curveJson(m.PixelsInBrain);
    report["curves"]["pixels"]["modes"][mode] = curveJson(m.Pixels);
    for (const auto & kind : m.Kinds)
      metrics["modes"][mode]["per_kind"][kind.Name] = summary(kind.PixelsInBrain);
  }
  // Each stage's wall time, from the records of the runs that made its outputs.
  for (const char * stage : { "train", "fit", "select", "score" })
  {
    const fs::path path = layout.out / ".cradl" / (std::string(stage) + ".json");
    std::ifstream  file(path);
    if (!file)
      continue;
    const auto record = nlohmann::json::parse(file, nullptr, false);
    if (record.is_object() && record.contains("run"))
      metrics["stage_seconds"][stage] = record["run"]["seconds"];
  }
  metrics["stage_seconds"]["evaluate"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  itk::CradlWriteFileAtomically((layout.out / "metrics.json").string(), metrics.dump(2) + "\n");
  printMetricsTable(metrics);

  // The report: its data beside the pictures, then the page.
  report["dataset"]["sets"] = {
    { "training", { { "manifest", config.train }, { "scans", scansIn(config, config.train, "training") } } },
    { "validation", { { "manifest", config.validation }, { "scans", scansIn(config, config.validation, "validation") } } },
    { "test", { { "manifest", manifestPath }, { "scans", manifest->GetNumberOfEntries() } } }
  };
  report["dataset"]["grids"] = grids;
  report["dataset"]["slice_size"] = config.sliceSize;
  const std::time_t now = std::time(nullptr);
  char              when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  report["evaluate"] = { { "seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() },
                         { "finished_at", when },
                         { "machine", describeMachine() } };
  writeColorBar(layout.report());
  itk::CradlWriteFileAtomically(layout.report() + "/report.json", report.dump() + "\n");
  std::cout << "report: " << writeReportPage(config.out) << std::endl;
  return metrics;
}
} // namespace

nlohmann::json
evaluateStage(const PipelineConfig & config, const std::string & manifestPath)
{
  // Reading maps and counting: rank 0 alone; the others get no metrics.
  nlohmann::json metrics = nlohmann::json::object();
  if (leader())
    metrics = evaluateOnThisProcess(config, manifestPath);
  stageDoneOnEveryProcess();
  return metrics;
}

namespace
{
// Files an interrupted run left under a temporary name (the atomic writers'
// "<name>.part" and "partial-<name>"): never read, so removed before work starts.
void
removeLeftoverTemporaries(const PipelineConfig & config)
{
  namespace fs = std::filesystem;
  if (!fs::is_directory(config.out))
    return;
  std::vector<fs::path> leftovers;
  for (const auto & entry : fs::recursive_directory_iterator(config.out))
  {
    if (entry.is_regular_file() && itk::CradlIsTemporaryFileName(entry.path().filename().string()))
      leftovers.push_back(entry.path());
  }
  for (const auto & path : leftovers)
    fs::remove(path);
  if (!leftovers.empty())
    std::cerr << "cradl: removed " << leftovers.size() << " temporary file(s) an interrupted run left in '" << config.out
              << "'" << std::endl;
}

// OUT/config.json: the resolved settings of the run.
void
recordConfig(const PipelineConfig & config)
{
  itk::CradlMakeFolder(config.out);
  itk::CradlWriteFileAtomically((std::filesystem::path(config.out) / "config.json").string(),
                                config.toJson().dump(2) + "\n");
}

} // namespace

void
validateInputs(const PipelineConfig & config, const std::string & command)
{
  struct Manifest
  {
    const char *        role;
    const std::string & path;
    bool                needed; // else read only when given
  };
  const bool everything = command == "run";
  for (const Manifest & manifest :
       { Manifest{ "training", config.train, everything || command == "train" || command == "fit" },
         Manifest{ "validation", config.validation, everything || command == "train" },
         Manifest{ "test", config.test, everything || command == "score" || command == "evaluate" } })
  {
    if (manifest.needed || !manifest.path.empty())
      readManifest(config, manifest.path, manifest.role); // refuses a missing, malformed or empty one
  }
  itk::CradlRuntime::ValidateDevice(itk::CradlRuntime::GetDistributedDevice(config.device));
  if (fs::exists(config.out) && !fs::is_directory(config.out))
    throw std::runtime_error("--out '" + config.out + "' is a file, not a folder: name a folder for the outputs");
}

void
prepareOutput(const PipelineConfig & config, bool recordsConfig)
{
  // Several processes: joined here, before any stage (NCCL for CUDA).
  itk::CradlRuntime::JoinDistributedRun(itk::CradlRuntime::GetDistributedDevice(config.device));
  if (leader())
  {
    removeLeftoverTemporaries(config);
    if (recordsConfig)
      recordConfig(config);
  }
  stageDoneOnEveryProcess();
}

nlohmann::json
runStages(const PipelineConfig & config)
{
  trainStage(config);
  fitStage(config);
  selectStage(config);
  scoreStage(config, config.test);
  return evaluateStage(config, config.test);
}

nlohmann::json
runPipeline(const PipelineConfig & config)
{
  validateInputs(config, "run");
  prepareOutput(config, true);
  return runStages(config);
}

} // namespace cradl_cli
