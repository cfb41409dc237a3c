#include "cradlPipeline.h"

#include "cradlCliSupport.h"
#include "cradlNpy.h"
#include "cradlReport.h"
#include "cradlStageRecord.h"
#include "cradlText.h"

#include "itkAUPRCMetric.h"
#include "itkContrastiveEncoderTrainer.h"
#include "itkCradlImageIO.h"
#include "itkCradlManifest.h"
#include "itkCradlRuntime.h"
#include "itkGaussianMixtureFitter.h"
#include "itkMedianGaussianPostprocessImageFilter.h"
#include "itkRepresentationNLLGradientImageFilter.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <unistd.h>

namespace cradl_cli
{

namespace
{
namespace fs = std::filesystem;
using ScanType = itk::CradlManifest::ScanImageType;
using MaskType = itk::CradlManifest::MaskImageType;

// Whether a stage may be skipped: its record matches the present inputs and
// its outputs exist. Says in one line what it does and why.
bool
upToDate(const StageRecord & record, const std::vector<std::string> & outputs, const PipelineConfig & config,
         const char * stage)
{
  if (config.force)
  {
    std::cerr << "cradl: " << stage << ": --force, running" << std::endl;
    return false;
  }
  const std::string reason = record.reasonToRun(outputs);
  if (reason.empty())
  {
    std::cerr << "cradl: " << stage << ": up to date, skipped (--force to redo)" << std::endl;
    return true;
  }
  std::cerr << "cradl: " << stage << ": " << reason << ", running" << std::endl;
  return false;
}

// The path of a manifest that a stage needs, or a clear error when none was given.
const std::string &
requireManifestPath(const std::string & path, const char * role)
{
  if (path.empty())
    throw std::runtime_error(std::string("no ") + role + " manifest given");
  return path;
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
  for (const char * extension : { ".nii.gz", ".nii", ".nrrd", ".mha", ".mhd", ".png" })
  {
    const std::string e(extension);
    if (name.size() > e.size() && cradl::endsWith(name, e))
      return name.substr(0, name.size() - e.size());
  }
  return name;
}

struct ScoredScan
{
  ScanType::Pointer   anomaly;  // post-processed, scan grid
  ScanType::Pointer   raw;      // |d NLL / dx|, scan grid
  ScanType::Pointer   sliceMap; // |d NLL / dx|, slice grid
  std::vector<double> nll;      // per slice
};

ScoredScan
scoreScan(const PipelineConfig &                config,
          const itk::ContrastiveEncoderModel *  encoder,
          const itk::GaussianMixtureModel *     mixture,
          const itk::CradlManifest::Scan &      scan)
{
  auto gradient = itk::RepresentationNLLGradientImageFilter<ScanType, MaskType>::New();
  gradient->SetInput(scan.Image);
  if (scan.Mask)
    gradient->SetMaskImage(scan.Mask);
  gradient->SetEncoder(encoder);
  gradient->SetMixture(mixture);
  gradient->SetDevice(config.device);
  gradient->SetMixedPrecision(config.scoreMixedPrecision);
  auto post = itk::MedianGaussianPostprocessImageFilter<ScanType, MaskType>::New();
  post->SetInput(gradient->GetOutput());
  if (scan.Mask)
    post->SetMaskImage(scan.Mask);
  post->SetMedianRadius(config.medianRadius);
  post->SetGaussianSigma(config.sigma);
  post->SetGaussianRadius(config.gaussianRadius);
  post->Update();
  ScoredScan scored;
  scored.anomaly = post->GetOutput();
  scored.anomaly->DisconnectPipeline();
  scored.raw = gradient->GetOutput();
  scored.raw->DisconnectPipeline();
  scored.sliceMap = const_cast<ScanType *>(gradient->GetSliceMap());
  scored.nll = gradient->GetSliceNLL();
  return scored;
}

// The label-free threshold: the q-quantile of post-processed scores inside
// the brain on validation slices without any anomaly.
double
healthyThreshold(const PipelineConfig & config)
{
  const auto          encoder = itk::ContrastiveEncoderModel::Load(encoderPath(config));
  const auto          mixture = itk::GaussianMixtureModel::Load(mixturePath(config));
  const auto          manifest = readManifest(config, config.validation, "validation");
  std::vector<float>  healthy;
  for (std::size_t row = 0; row < manifest->GetNumberOfEntries(); ++row)
  {
    const auto scan = manifest->LoadScan(row);
    const auto scored = scoreScan(config, encoder, mixture, scan);
    const auto size = scan.Image->GetLargestPossibleRegion().GetSize();
    const itk::SizeValueType perSlice = size[0] * size[1];
    // Slices holding any label pixel are not healthy.
    const auto anomalous = scan.Label ? itk::ContrastiveEncoderTrainer::SelectBrainSlices(scan.Label, 0.0, 0)
                                      : std::vector<unsigned int>();
    for (itk::SizeValueType slice = 0; slice < size[2]; ++slice)
    {
      if (std::find(anomalous.begin(), anomalous.end(), slice) != anomalous.end())
        continue;
      for (itk::SizeValueType i = slice * perSlice; i < (slice + 1) * perSlice; ++i)
        if (!scan.Mask || scan.Mask->GetBufferPointer()[i])
          healthy.push_back(scored.anomaly->GetBufferPointer()[i]);
    }
  }
  if (healthy.empty())
    throw std::runtime_error("no healthy validation slices for the label-free threshold");
  const auto at = healthy.begin() + static_cast<std::ptrdiff_t>(config.thresholdQuantile * (healthy.size() - 1));
  std::nth_element(healthy.begin(), at, healthy.end());
  return *at;
}

} // namespace

std::string
encoderPath(const PipelineConfig & config)
{
  return (fs::path(config.out) / "encoder.pt").string();
}

std::string
mixturePath(const PipelineConfig & config)
{
  return (fs::path(config.out) / "mixture.pt").string();
}

void
trainStage(const PipelineConfig & config)
{
  fs::create_directories(config.out);
  StageRecord record(config.out, "train");
  record.addSettings({ { "slice_size", config.sliceSize },
                       { "nf", config.nf },
                       { "nz", config.nz },
                       { "epochs", config.epochs },
                       { "batch", config.batch },
                       { "warmup_epochs", config.warmupEpochs },
                       { "learning_rate", config.learningRate },
                       { "mixed_precision", config.mixedPrecision },
                       { "seed", config.seed },
                       { "nan_policy", config.nanPolicy } });
  record.addManifest("training manifest", requireManifestPath(config.train, "training"));
  record.addManifest("validation manifest", requireManifestPath(config.validation, "validation"));
  if (upToDate(record, { encoderPath(config) }, config, "train"))
    return;
  const fs::path checkpoint = fs::path(config.out) / "checkpoint.pt";
  if (fs::exists(checkpoint) && (config.force || !record.matchesUnfinished()))
  {
    std::cerr << "cradl: train: starting afresh; the checkpoint came from "
              << (config.force ? "before --force" : "other inputs") << std::endl;
    fs::remove(checkpoint);
  }
  record.write(false);
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
  trainer->SetCheckpointFileName(checkpoint.string());
  trainer->ResumeOn(); // a killed run continues where its last epoch ended
  ProgressLine progress("train", config.epochs);
  double       validated = 0.0;
  trainer->AddObserver(itk::IterationEvent(), [&](const itk::EventObject &) {
    // An epoch's last step and its validation report the same progress; the
    // logged line per epoch is the one that carries the validation loss.
    const bool epochEnd = trainer->GetLastValidationLoss() != validated;
    validated = trainer->GetLastValidationLoss();
    std::ostringstream detail;
    detail << "epoch " << trainer->GetCurrentEpoch() << " step " << trainer->GetCurrentStep() << " loss "
           << trainer->GetCurrentLoss() << " val ";
    if (trainer->GetLastValidationLoss() > 0) // NT-Xent is positive: 0 means not validated yet
      detail << trainer->GetLastValidationLoss();
    else
      detail << "-";
    detail << " lr "
           << trainer->GetCurrentLearningRate() << " " << static_cast<int>(trainer->GetViewsPerSecond()) << " views/s";
    progress.update(trainer->GetProgress() * config.epochs - (epochEnd ? 0.0 : 1e-9), detail.str());
  });
  trainer->Update();
  trainer->GetOutput()->Save(encoderPath(config));
  record.write(true);
}

void
fitStage(const PipelineConfig & config)
{
  fs::create_directories(config.out);
  const bool  selectByValidation = config.components.size() > 1 && !config.validation.empty();
  StageRecord record(config.out, "fit");
  record.addSettings({ { "components", config.components },
                       { "tolerance", config.tolerance },
                       { "regularization", config.regularization },
                       { "initialization", config.initialization },
                       { "seed", config.seed },
                       { "nan_policy", config.nanPolicy } });
  record.addFile("encoder", encoderPath(config));
  record.addManifest("training manifest", requireManifestPath(config.train, "training"));
  if (selectByValidation)
    record.addManifest("validation manifest", config.validation);
  const std::string npz = (fs::path(config.out) / "mixture.npz").string();
  if (upToDate(record, { mixturePath(config), npz }, config, "fit"))
    return;
  const auto encoder = itk::ContrastiveEncoderModel::Load(encoderPath(config));
  const auto train = readManifest(config, config.train, "training");
  auto       fitter = itk::GaussianMixtureFitter::New();
  fitter->SetEncoder(encoder);
  for (std::size_t row = 0; row < train->GetNumberOfEntries(); ++row)
  {
    const auto scan = train->LoadScan(row);
    fitter->AddScan(scan.Image, scan.Mask);
  }
  if (selectByValidation)
  {
    // The paper's protocol: K by the pixel AUPRC of labelled validation scans.
    const auto validation = readManifest(config, config.validation, "validation");
    for (std::size_t row = 0; row < validation->GetNumberOfEntries(); ++row)
    {
      const auto scan = validation->LoadScan(row);
      if (scan.Label)
        fitter->AddValidationScan(scan.Image, scan.Mask, scan.Label);
    }
  }
  fitter->SetComponentCandidates(config.components);
  fitter->SetTolerance(config.tolerance);
  fitter->SetCovarianceRegularization(config.regularization);
  fitter->SetInitialization(config.initialization);
  fitter->SetSeed(config.seed);
  fitter->SetDevice(config.device);
  fitter->SetNumberOfThreads(config.threads);
  ProgressLine progress("fit", 100, 10);
  fitter->AddObserver(itk::ProgressEvent(), [&](const itk::EventObject &) {
    progress.update(100.0 * fitter->GetProgress(), "of slices, representations, EM per K, validation maps");
  });
  fitter->Update();
  for (const auto & candidate : fitter->GetCandidates())
  {
    std::cerr << "cradl: fit: K=" << candidate.NumberOfComponents << " iterations " << candidate.Iterations
              << " mean log-likelihood " << candidate.MeanLogLikelihood << " BIC " << candidate.BIC
              << (candidate.ValidationAUPRC >= 0 ? " validation AUPRC " + std::to_string(candidate.ValidationAUPRC) : "")
              << (candidate.NumberOfComponents == fitter->GetSelectedNumberOfComponents() ? "  <- kept" : "") << std::endl;
  }
  fitter->GetOutput()->ExportNpz(npz);
  fitter->GetOutput()->Save(mixturePath(config));
  record.write(true);
}

void
scoreStage(const PipelineConfig & config, const std::string & manifestPath)
{
  const fs::path scoresFile = fs::path(config.out) / "scores.csv";
  const auto     manifest = readManifest(config, manifestPath, "scoring");
  StageRecord    record(config.out, "score");
  record.addSettings({ { "median_radius", config.medianRadius },
                       { "sigma", config.sigma },
                       { "gaussian_radius", config.gaussianRadius },
                       { "score_mixed_precision", config.scoreMixedPrecision },
                       { "nan_policy", config.nanPolicy } });
  record.addFile("encoder", encoderPath(config));
  record.addFile("mixture", mixturePath(config));
  record.addManifest("test manifest", manifestPath);
  std::vector<std::string> outputs{ scoresFile.string() };
  for (const auto & entry : manifest->GetEntries())
  {
    const std::string stem = stemOf(entry.Image);
    outputs.push_back((fs::path(config.out) / "maps" / (stem + "_anomaly.nii.gz")).string());
    outputs.push_back((fs::path(config.out) / "maps" / (stem + "_raw.nii.gz")).string());
    outputs.push_back((fs::path(config.out) / "slices" / (stem + "_slices.nii.gz")).string());
  }
  if (upToDate(record, outputs, config, "score"))
    return;
  fs::create_directories(fs::path(config.out) / "maps");
  fs::create_directories(fs::path(config.out) / "slices");
  itk::CradlRuntime::SetNumberOfThreads(config.threads);
  const auto   encoder = itk::ContrastiveEncoderModel::Load(encoderPath(config));
  const auto   mixture = itk::GaussianMixtureModel::Load(mixturePath(config));
  std::string  scores = "image,slice,nll\n";
  ProgressLine progress("score", manifest->GetNumberOfEntries());
  for (std::size_t row = 0; row < manifest->GetNumberOfEntries(); ++row)
  {
    const auto scan = manifest->LoadScan(row);
    const auto scored = scoreScan(config, encoder, mixture, scan);
    const std::string stem = stemOf(manifest->GetEntry(row).Image);
    itk::CradlWriteImage(scored.anomaly.GetPointer(), (fs::path(config.out) / "maps" / (stem + "_anomaly.nii.gz")).string());
    itk::CradlWriteImage(scored.raw.GetPointer(), (fs::path(config.out) / "maps" / (stem + "_raw.nii.gz")).string());
    itk::CradlWriteImage(scored.sliceMap.GetPointer(), (fs::path(config.out) / "slices" / (stem + "_slices.nii.gz")).string());
    const auto & nll = scored.nll;
    for (std::size_t slice = 0; slice < nll.size(); ++slice)
    {
      char line[256];
      std::snprintf(line, sizeof line, "%s,%zu,%.17g\n", stem.c_str(), slice, nll[slice]);
      scores += line;
    }
    progress.update(row + 1, stem);
  }
  cradl::writeFileAtomically(scoresFile.string(), scores);
  record.write(true);
}

nlohmann::json
evaluateStage(const PipelineConfig & config, const std::string & manifestPath)
{
  std::cerr << "cradl: evaluate: running" << std::endl; // cheap and always current: never skipped
  const auto manifest = readManifest(config, manifestPath, "evaluation");
  std::map<std::string, std::vector<double>> sliceScores;
  {
    std::ifstream scores(fs::path(config.out) / "scores.csv");
    if (!scores)
      throw std::runtime_error("no '" + (fs::path(config.out) / "scores.csv").string() + "': run cradl score first");
    std::string line;
    std::getline(scores, line);
    while (std::getline(scores, line))
    {
      const auto first = line.find(',');
      const auto second = line.find(',', first + 1);
      sliceScores[line.substr(0, first)].push_back(std::stod(line.substr(second + 1)));
    }
  }
  auto cradl = itk::AUPRCMetric<ScanType, MaskType>::New();
  auto baseline = itk::AUPRCMetric<ScanType, MaskType>::New();
  // The same, counting only voxels inside the brain: the harder figure.
  auto cradlBrain = itk::AUPRCMetric<ScanType, MaskType>::New();
  auto baselineBrain = itk::AUPRCMetric<ScanType, MaskType>::New();
  cradlBrain->RestrictToMaskOn();
  baselineBrain->RestrictToMaskOn();
  const bool   thresholded = !config.validation.empty();
  const double threshold = thresholded ? healthyThreshold(config) : 0.0;
  double       overlap = 0.0;
  double       predicted = 0.0;
  double       actual = 0.0;
  if (thresholded)
    fs::create_directories(fs::path(config.out) / "segmentations");
  fs::create_directories(fs::path(config.out) / "report");
  for (std::size_t row = 0; row < manifest->GetNumberOfEntries(); ++row)
  {
    const auto        scan = manifest->LoadScan(row);
    const std::string stem = stemOf(manifest->GetEntry(row).Image);
    if (!scan.Label)
      throw std::runtime_error("manifest '" + manifestPath + "' row " + std::to_string(row + 1) +
                               " has no label: evaluation needs the anomaly ground truth");
    const auto map = itk::CradlManifest::ReadScanImage(
      (fs::path(config.out) / "maps" / (stem + "_anomaly.nii.gz")).string(), "anomaly map of " + stem);
    cradl->AddImages(map, scan.Label, scan.Mask, stem);
    cradlBrain->AddImages(map, scan.Label, scan.Mask, stem);
    {
      // Overlays of the most and least anomalous slices (by slice NLL) that show brain.
      const auto & nll = sliceScores.at(stem);
      long         most = -1, least = -1;
      std::vector<unsigned int> brainSlices;
      if (scan.Mask)
        brainSlices = itk::ContrastiveEncoderTrainer::SelectBrainSlices(scan.Mask, 0.0, 0);
      else
        for (unsigned int slice = 0; slice < nll.size(); ++slice)
          brainSlices.push_back(slice);
      for (const unsigned int slice : brainSlices)
      {
        if (slice >= nll.size())
          continue;
        if (most < 0 || nll[slice] > nll[most])
          most = static_cast<long>(slice);
        if (least < 0 || nll[slice] < nll[least])
          least = static_cast<long>(slice);
      }
      const float * values = map->GetBufferPointer();
      const double  peak = *std::max_element(values, values + map->GetLargestPossibleRegion().GetNumberOfPixels());
      if (most >= 0)
      {
        writeOverlay((fs::path(config.out) / "report" / (stem + "_most_anomalous.png")).string(), scan.Image, map,
                     scan.Label, static_cast<unsigned int>(most), peak);
        writeOverlay((fs::path(config.out) / "report" / (stem + "_least_anomalous.png")).string(), scan.Image, map,
                     scan.Label, static_cast<unsigned int>(least), peak);
      }
    }
    if (thresholded)
    {
      auto segmentation = MaskType::New();
      segmentation->CopyInformation(map);
      segmentation->SetRegions(map->GetLargestPossibleRegion());
      segmentation->Allocate();
      for (itk::SizeValueType i = 0; i < map->GetLargestPossibleRegion().GetNumberOfPixels(); ++i)
      {
        const bool anomalous = map->GetBufferPointer()[i] >= threshold && (!scan.Mask || scan.Mask->GetBufferPointer()[i]);
        const bool truth = scan.Label->GetBufferPointer()[i] != 0;
        segmentation->GetBufferPointer()[i] = anomalous ? 1 : 0;
        overlap += anomalous && truth;
        predicted += anomalous;
        actual += truth;
      }
      itk::CradlWriteImage(segmentation.GetPointer(),
                           (fs::path(config.out) / "segmentations" / (stem + "_segmentation.nii.gz")).string());
    }
    cradl->AddSliceScores(sliceScores.at(stem), scan.Label, stem);
    // The honest baseline: |z-scored intensity| inside the brain.
    auto         intensity = ScanType::New();
    intensity->CopyInformation(scan.Image);
    intensity->SetRegions(scan.Image->GetLargestPossibleRegion());
    intensity->Allocate();
    const auto   n = scan.Image->GetLargestPossibleRegion().GetNumberOfPixels();
    const float * pixels = scan.Image->GetBufferPointer();
    const auto inBrain = [&](itk::SizeValueType i) { return scan.Mask ? scan.Mask->GetBufferPointer()[i] != 0 : pixels[i] != 0; };
    double sum = 0, squares = 0, count = 0;
    for (itk::SizeValueType i = 0; i < n; ++i)
      if (inBrain(i))
      {
        sum += pixels[i];
        squares += pixels[i] * static_cast<double>(pixels[i]);
        ++count;
      }
    const double mean = sum / count;
    const double deviation = std::sqrt(std::max(1e-12, squares / count - mean * mean));
    for (itk::SizeValueType i = 0; i < n; ++i)
      intensity->GetBufferPointer()[i] = inBrain(i) ? static_cast<float>(std::abs(pixels[i] - mean) / deviation) : 0.0f;
    baseline->AddImages(intensity, scan.Label, scan.Mask, stem);
    baselineBrain->AddImages(intensity, scan.Label, scan.Mask, stem);
  }
  cradl->Compute();
  baseline->Compute();
  cradlBrain->Compute();
  baselineBrain->Compute();
  const auto summary = [](const itk::CradlRankingMetrics & m) {
    return nlohmann::json{ { "auroc", m.AUROC },           { "auprc", m.AUPRC },
                           { "fpr_at_95_tpr", m.FPRAt95TPR }, { "best_dice", m.BestDice },
                           { "best_dice_threshold", m.BestDiceThreshold }, { "positives", m.Positives },
                           { "negatives", m.Negatives } };
  };
  nlohmann::json metrics;
  metrics["pixels"] = "all pixels of every scan pooled (the paper's protocol)";
  metrics["cradl"] = summary(cradl->GetPixelMetrics());
  metrics["cradl_slice"] = summary(cradl->GetSliceMetrics());
  metrics["baseline_abs_zscore"] = summary(baseline->GetPixelMetrics());
  metrics["cradl_brain_only"] = summary(cradlBrain->GetPixelMetrics());
  metrics["baseline_brain_only"] = summary(baselineBrain->GetPixelMetrics());
  if (thresholded)
  {
    metrics["label_free_threshold"] = { { "quantile", config.thresholdQuantile },
                                         { "value", threshold },
                                         { "dice", 2.0 * overlap / std::max(1.0, predicted + actual) },
                                         { "source", "post-processed scores in the brain on healthy validation slices" } };
  }
  const auto & curves = cradl->GetPixelMetrics();
  writeCurvePlot((fs::path(config.out) / "report" / "pr_curve.png").string(), curves.Recall, curves.Precision);
  auto falsePositiveRate = curves.FalsePositiveRate;
  auto truePositiveRate = curves.Recall;
  falsePositiveRate.push_back(1.0); // the curve ends at (1, 1) once every pixel is called anomalous
  truePositiveRate.push_back(1.0);
  writeCurvePlot((fs::path(config.out) / "report" / "roc_curve.png").string(), falsePositiveRate, truePositiveRate);
  metrics["config"] = config.toJson();
  cradl::writeFileAtomically((fs::path(config.out) / "metrics.json").string(), metrics.dump(2) + "\n");
  std::printf("%-28s %8s %8s %8s %9s\n", "", "AUROC", "AUPRC", "FPR95", "best Dice");
  for (const char * key : { "cradl", "cradl_slice", "baseline_abs_zscore", "cradl_brain_only", "baseline_brain_only" })
  {
    const auto & m = metrics[key];
    std::printf("%-28s %8.4f %8.4f %8.4f %9.4f\n", key, m["auroc"].get<double>(), m["auprc"].get<double>(),
                m["fpr_at_95_tpr"].get<double>(), m["best_dice"].get<double>());
  }
  if (thresholded)
  {
    std::printf("label-free threshold (%.3g quantile of healthy validation scores) %.4g: Dice %.4f\n",
                config.thresholdQuantile, threshold, metrics["label_free_threshold"]["dice"].get<double>());
  }
  return metrics;
}

} // namespace cradl_cli
