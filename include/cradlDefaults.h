#ifndef cradlDefaults_h
#define cradlDefaults_h

// CRADL's default settings and their limits, written once: the ITK filters, the tensor core in
// src/core, the `cradl` tool's settings table and its --help all take them
// from here. Plain constants without any library, so every layer can include it.

#include <vector>

namespace cradl
{
namespace defaults
{

// Preprocessing and slice selection (DESIGN.md: z-score in the brain, clip, resize).
constexpr unsigned int SliceSize = 128;
constexpr double       ClipMinimum = -1.5;
constexpr double       ClipMaximum = 1.5;
constexpr double       MinimumBrainFraction = 0.05;

// Training's augmentation noise (the trainer's and the core's default).
constexpr double MaximumNoiseStandardDeviation = 0.05;

// The other settings of training and of the mixture fit are declared, with
// their ranges and help, in cradlSettingDeclarations.h
// (cradl::defaults::trainer::LearningRate, cradl::defaults::fitter::Tolerance, ...).

// Scoring: the map (the paper's gradient, or the patch density) and its post-processing.
constexpr const char * ScoringMode = "gradient";
// The `cradl` tool's default: choose the map by validation AUPRC (select stage).
constexpr const char * PipelineScoringMode = "auto";
constexpr unsigned int ScoringBatchSize = 64;
constexpr bool         ScoringMixedPrecision = false;
constexpr unsigned int MedianRadius = 2;
constexpr double       GaussianSigma = 3.0;
constexpr unsigned int GaussianRadius = 3;
// With the map chosen by validation, the Gaussian sigmas tried.
inline const std::vector<double> SelectGaussianSigmas{ 1.0, 1.5, 3.0 };

// Evaluation: the label-free threshold is this quantile of healthy validation scores.
constexpr double ThresholdQuantile = 0.99;

} // namespace defaults

// The values every front end accepts (the ITK setters, the tool's settings
// table, JSON and Python), beyond which a setting is refused, not clamped:
// past them the program would run out of memory or time, or do nonsense.
namespace limits
{
// A 31 x 31 median and a 101-pixel Gaussian already erase all but the
// coarsest structure of a 256-pixel slice.
constexpr unsigned int MaximumMedianRadius = 15;
constexpr unsigned int MaximumGaussianRadius = 50;
constexpr double       MaximumGaussianSigma = 100.0;
// Below a hundredth of a pixel the Gaussian is the identity; far below it
// sigma^2 underflows and the kernel becomes 0/0.
constexpr double       MinimumGaussianSigma = 0.01;
// Threads beyond the cores only add switching; a few per core are allowed
// (with a warning) for machines whose affinity understates them.
constexpr unsigned int MaximumThreadsPerCore = 4;
// The network and the batches: well past the paper's (nf 64, nz 512, batch 64).
constexpr unsigned int MaximumNumberOfFilters = 1024;
constexpr unsigned int MaximumRepresentationSize = 16384;
constexpr unsigned int MaximumBatchSize = 65536;
constexpr unsigned int MaximumEpochs = 1000000;
constexpr unsigned int MaximumComponents = 4096;
// The patch density's position cells: G x G in-plane, times depth bins.
constexpr unsigned int MaximumPatchPositionGrid = 64;
constexpr unsigned int MaximumPatchDepthBins = 64;
} // namespace limits
} // namespace cradl

#endif
