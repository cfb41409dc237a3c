// cradl bench postprocess: mask + 5x5 median + Gaussian over S slices of
// 128 x 128 pixels; the counterpart of the anchor postprocess_scipy.py.
#include "cradlBenchSupport.h"
#include "cradlBenchCommands.h"

#include "itkCradlRuntime.h"
#include "itkMedianGaussianPostprocessImageFilter.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <random>

namespace cradl_cli
{

namespace
{
struct Options
{
  long         slices = 1000;
  unsigned int threads = 0;
  unsigned int medianRadius = 2;
  double       sigma = 3.0;
  unsigned int gaussianRadius = 3;
  int          repeats = 3;
};

void
run(const Options & options)
{
  itk::CradlRuntime::SetNumberOfThreads(options.threads);
  using Volume = itk::Image<float, 3>;
  using Mask = itk::Image<unsigned char, 3>;
  const itk::SizeValueType side = 128;
  auto                     map = Volume::New();
  map->SetRegions(Volume::SizeType{ { side, side, static_cast<itk::SizeValueType>(options.slices) } });
  map->Allocate();
  auto mask = Mask::New();
  mask->SetRegions(map->GetLargestPossibleRegion());
  mask->Allocate();
  std::mt19937                          random(0);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  const auto                            count = map->GetLargestPossibleRegion().GetNumberOfPixels();
  for (itk::SizeValueType i = 0; i < count; ++i)
  {
    const auto x = static_cast<double>(i % side) - 64.0;
    const auto y = static_cast<double>((i / side) % side) - 64.0;
    map->GetBufferPointer()[i] = uniform(random);
    mask->GetBufferPointer()[i] = x * x / (55.0 * 55.0) + y * y / (60.0 * 60.0) < 1.0 ? 1 : 0;
  }

  std::vector<double> seconds;
  for (int repeat = 0; repeat < options.repeats; ++repeat)
  {
    auto filter = itk::MedianGaussianPostprocessImageFilter<Volume, Mask>::New();
    filter->SetInput(map);
    filter->SetMaskImage(mask);
    filter->SetMedianRadius(options.medianRadius);
    filter->SetGaussianSigma(options.sigma);
    filter->SetGaussianRadius(options.gaussianRadius);
    const auto start = std::chrono::steady_clock::now();
    filter->Update();
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  const double median = medianOf(seconds);

  nlohmann::json result;
  result["bench"] = "postprocess";
  result["slices"] = options.slices;
  result["threads"] = itk::CradlRuntime::GetNumberOfThreads();
  result["median_radius"] = options.medianRadius;
  result["sigma"] = options.sigma;
  result["gaussian_radius"] = options.gaussianRadius;
  result["seconds_median"] = median;
  result["seconds_min"] = *std::min_element(seconds.begin(), seconds.end());
  result["slices_per_s"] = options.slices / median;
  printBenchResult(result);
}
} // namespace

void
addBenchPostprocess(CLI::App & bench)
{
  auto   options = std::make_shared<Options>();
  auto * command = bench.add_subcommand("postprocess", "mask + median + Gaussian on 128x128 slices; one JSON line");
  command->add_option("--slices", options->slices, "number of 128x128 slices")->capture_default_str();
  command->add_option("--threads", options->threads, "threads (0 = all cores)")->capture_default_str();
  command->add_option("--median-radius", options->medianRadius, "median radius (2: 5x5)")->capture_default_str();
  command->add_option("--sigma", options->sigma, "Gaussian sigma in pixels")->capture_default_str();
  command->add_option("--gaussian-radius", options->gaussianRadius, "Gaussian kernel radius (3: 7x7)")
    ->capture_default_str();
  command->add_option("--repeats", options->repeats, "timed repeats (median reported)")->capture_default_str();
  command->callback([options] { run(*options); });
}

} // namespace cradl_cli
