#ifndef cradlDefaults_h
#define cradlDefaults_h

// CRADL's default settings and their limits, written once: the ITK filters, the tensor core in
// src/core, the `cradl` tool's settings table and its --help all take them
// from here. Plain constants without any library, so every layer can include it.

namespace cradl
{
namespace defaults
{

// Preprocessing and slice selection (DESIGN.md: z-score in the brain, clip, resize).
constexpr unsigned int SliceSize = 128;
constexpr double       ClipMinimum = -1.5;
constexpr double       ClipMaximum = 1.5;
constexpr double       MinimumBrainFraction = 0.05;

// Stage 1: the encoder and its SimCLR training (the paper's GPU configuration).
constexpr unsigned int NumberOfFilters = 64;
constexpr unsigned int RepresentationSize = 512;
constexpr unsigned int Epochs = 100;
constexpr unsigned int BatchSize = 64;
constexpr unsigned int WarmupEpochs = 10;
constexpr double       LearningRate = 1e-4;
constexpr double       WeightDecay = 1e-6;
constexpr double       Temperature = 0.5;
constexpr double       MaximumNoiseStandardDeviation = 0.05;
constexpr bool         TrainingMixedPrecision = true;

// Stage 2: EM, as scikit-learn's GaussianMixture.
constexpr double       Tolerance = 1e-2;
constexpr unsigned int MaximumIterations = 100;
constexpr double       CovarianceRegularization = 1e-5;
constexpr const char * Initialization = "kmeans++";
// The patch density (stage 2): PaDiM's Gaussians of intermediate feature
// vectors, per cell of an in-plane grid over the brain's bounding box times
// bins of slice depth (grid 0: one location-agnostic Gaussian), each shrunk
// toward the pooled fit by a prior of PatchPriorWeight x channels positions.
// Chosen on the default data set (seed 0, then confirmed on seeds 1 and 2; README).
constexpr unsigned int PatchPositionGrid = 8;
constexpr unsigned int PatchDepthBins = 4;
constexpr double       PatchPriorWeight = 0.25;

// Scoring: the map (the paper's gradient, or the patch density) and its post-processing.
constexpr const char * ScoringMode = "gradient";
// The `cradl` tool's default: choose the map by validation AUPRC (select stage).
constexpr const char * PipelineScoringMode = "auto";
constexpr unsigned int ScoringBatchSize = 64;
constexpr bool         ScoringMixedPrecision = false;
constexpr unsigned int MedianRadius = 2;
constexpr double       GaussianSigma = 3.0;
constexpr unsigned int GaussianRadius = 3;

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
