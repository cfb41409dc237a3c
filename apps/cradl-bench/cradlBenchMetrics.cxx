// cradl bench metrics: AUPRC + AUROC (+ FPR95, best Dice) over S slices of
// 128 x 128 pixels, the anchor auprc_sklearn.py's distribution: labels with
// prevalence 0.65%, scores N(0,1) for negatives and N(2.3,1) for positives
// (float32), or the arrays of --scores/--labels (.npy).
#include "cradlBenchSupport.h"
#include "cradlBenchCommands.h"
#include "cradlProcessMemory.h"

#include "cradlNpy.h"
#include "itkAUPRCMetric.h"
#include "itkCradlRuntime.h"
#include "itkImportImageContainer.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <iostream>
#include <random>

namespace cradl_cli
{

namespace
{
using ScoreVolume = itk::Image<float, 3>;
using LabelVolume = itk::Image<unsigned char, 3>;
constexpr itk::SizeValueType SliceSide = 128;

// A volume of `slices` 128 x 128 slices over existing memory (no copy).
template <typename TImage>
typename TImage::Pointer
volumeOver(typename TImage::PixelType * pixels, itk::SizeValueType pixelCount)
{
  auto                        image = TImage::New();
  typename TImage::SizeType   size{ { SliceSide, SliceSide, pixelCount / (SliceSide * SliceSide) } };
  if (pixelCount % (SliceSide * SliceSide) != 0)
  {
    size = { { pixelCount, 1, 1 } };
  }
  image->SetRegions(size);
  image->GetPixelContainer()->SetImportPointer(pixels, pixelCount, false);
  return image;
}

struct Options
{
  long        slices = 1000;
  std::string scoresFile;
  std::string labelsFile;
  unsigned    threads = 0;
  unsigned    histogramBits = 0;
  unsigned    seed = 0;
  int         slicesPerScan = 100;
};

void
run(const Options & options)
{
  itk::CradlRuntime::SetNumberOfThreads(options.threads);
  std::vector<float>         scores;
  std::vector<unsigned char> labels;
  const auto                 generationStart = std::chrono::steady_clock::now();
  if (!options.scoresFile.empty())
  {
    scores = cradl::readNpy(options.scoresFile).asFloats();
    const auto labelArray = cradl::readNpy(options.labelsFile);
    labels.assign(labelArray.bytes.begin(), labelArray.bytes.end());
    if (labelArray.dtype != "|u1" && labelArray.dtype != "|b1")
    {
      throw std::runtime_error("--labels must be uint8 or bool");
    }
    if (labels.size() != scores.size())
    {
      throw std::runtime_error("--scores and --labels differ in length");
    }
  }
  else
  {
    const std::size_t pixels = static_cast<std::size_t>(options.slices) * SliceSide * SliceSide;
    scores.resize(pixels);
    labels.resize(pixels);
    std::mt19937_64                       random(options.seed);
    std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
    std::normal_distribution<float>       normal(0.0f, 1.0f);
    for (std::size_t i = 0; i < pixels; ++i)
    {
      labels[i] = uniform(random) < 0.0065f ? 1 : 0;
      scores[i] = normal(random) + (labels[i] ? 2.3f : 0.0f);
    }
  }
  const double generationSeconds =
    std::chrono::duration<double>(std::chrono::steady_clock::now() - generationStart).count();

  // Scans of `slicesPerScan` slices each, as an evaluation would add them.
  const std::size_t scanPixels = static_cast<std::size_t>(options.slicesPerScan) * SliceSide * SliceSide;
  const double      residentBefore = residentMebibytes();
  const bool        peakReset = resetPeakResident();
  const auto        start = std::chrono::steady_clock::now();
  auto              metric = itk::AUPRCMetric<ScoreVolume, LabelVolume>::New();
  metric->SetHistogramBits(options.histogramBits);
  for (std::size_t offset = 0; offset < scores.size(); offset += scanPixels)
  {
    const std::size_t count = std::min(scanPixels, scores.size() - offset);
    metric->AddImages(volumeOver<ScoreVolume>(scores.data() + offset, count),
                      volumeOver<LabelVolume>(labels.data() + offset, count));
  }
  const auto added = std::chrono::steady_clock::now();
  metric->Compute();
  const auto   finished = std::chrono::steady_clock::now();
  const auto & m = metric->GetPixelMetrics();

  nlohmann::json result;
  result["bench"] = "metrics";
  result["slices"] = static_cast<long>(scores.size() / (SliceSide * SliceSide));
  result["pixels"] = scores.size();
  result["threads"] = itk::CradlRuntime::GetNumberOfThreads();
  result["mode"] = options.histogramBits == 0 ? "exact" : "binned";
  result["seconds"] = std::chrono::duration<double>(finished - start).count();
  result["add_seconds"] = std::chrono::duration<double>(added - start).count();
  result["compute_seconds"] = std::chrono::duration<double>(finished - added).count();
  result["datagen_seconds"] = generationSeconds;
  result["peak_rss_mib"] = peakResidentMebibytes();
  result["peak_minus_before_mib"] = peakResidentMebibytes() - residentBefore;
  result["peak_reset_supported"] = peakReset;
  result["input_mib"] = (scores.size() * sizeof(float) + labels.size()) / 1048576.0;
  result["metric_memory_mib"] = metric->GetMemoryInBytes() / 1048576.0;
  itk::CradlVisitMetricFields(m, [&](const char * key, auto value) { result[key] = value; });
  if (options.histogramBits > 0)
  {
    result["auprc_interval"] = { m.AUPRCLow, m.AUPRCHigh };
    result["auroc_error_bound"] = m.AUROCErrorBound;
  }
  printBenchResult(result);
}
} // namespace

void
addBenchMetrics(CLI::App & bench)
{
  auto   options = std::make_shared<Options>();
  auto * command = bench.add_subcommand("metrics", "pixel AUPRC/AUROC over 128x128 slices; prints one JSON line");
  command->add_option("--slices", options->slices, "number of 128x128 slices to generate")->capture_default_str();
  command->add_option("--scores", options->scoresFile, "float32/float64 .npy scores instead of generated ones")
    ->check(CLI::ExistingFile);
  command->add_option("--labels", options->labelsFile, "uint8/bool .npy labels (with --scores)")
    ->check(CLI::ExistingFile);
  command->add_option("--threads", options->threads, "threads (0 = all cores)")->capture_default_str();
  command->add_option("--histogram-bits", options->histogramBits, "0 = exact; 8..24 = binned")->capture_default_str();
  command->add_option("--slices-per-scan", options->slicesPerScan, "slices added per AddImages call")
    ->capture_default_str();
  command->add_option("--seed", options->seed, "seed of the generated data")->capture_default_str();
  command->callback([options] {
    if (options->scoresFile.empty() != options->labelsFile.empty())
    {
      throw CLI::ValidationError("--scores and --labels go together");
    }
    run(*options);
  });
}

} // namespace cradl_cli
