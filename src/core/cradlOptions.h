#ifndef cradlOptions_h
#define cradlOptions_h

// The settings of CRADL's training, as plain structs without torch types, so
// that ITK-side code can fill them without compiling torch headers.

#include "cradlCoreExport.h"
#include "cradlSettingDeclarations.h"

#include <cstdint>

namespace cradl
{

struct CRADL_CORE_EXPORT EncoderOptions
{
  int64_t imageSize = defaults::SliceSize; // 64, 128 or 256: the number of stride-2 layers follows
  int64_t nf = defaults::trainer::NumberOfFilters;         // channels of the first layer; doubled per layer
  int64_t nz = defaults::trainer::RepresentationSize;        // representation size
  bool    convBias = true; // the authors' code keeps conv biases
  int64_t headHidden = 512;
  int64_t headOutput = 256;

  /** Stride-2 convolutions: 128 -> 64 -> ... -> 4, then a 4x4 valid convolution. */
  int64_t
  downsamplingLayers() const;
  /** Throws std::invalid_argument for unsupported sizes. */
  void
  validate() const;
  bool
  operator==(const EncoderOptions & other) const
  {
    return imageSize == other.imageSize && nf == other.nf && nz == other.nz && convBias == other.convBias &&
           headHidden == other.headHidden && headOutput == other.headOutput;
  }

};

struct CRADL_CORE_EXPORT AugmentationOptions
{
  // Random crop of the slice after resizing it to size * cropResize (129/128),
  // with the crop centre uniform in [cropCentreLow, cropCentreHigh] times the
  // resized size (the authors' code: U(42, 87) of 129).
  bool   crop = true;
  double cropResize = 129.0 / 128.0;
  double cropCentreLow = 42.0 / 129.0;
  double cropCentreHigh = 87.0 / 129.0;
  // Rotation uniform in [-maxRotation, maxRotation] radians.
  bool   rotate = true;
  double maxRotation = 0.1;
  // Scaling of the sampling grid, uniform in [scaleLow, scaleHigh] (> 1 zooms out).
  bool   scale = true;
  double scaleLow = 0.9;
  double scaleHigh = 1.2;
  // Left-right mirroring with this probability.
  bool   mirror = true;
  double mirrorProbability = 0.5;
  // Multiplicative brightness uniform in [brightnessLow, brightnessHigh].
  bool   brightness = true;
  double brightnessLow = 0.95;
  double brightnessHigh = 1.1;
  // Additive Gaussian noise whose standard deviation is uniform in [0, noiseStdHigh].
  bool   noise = true;
  double noiseStdHigh = defaults::MaximumNoiseStandardDeviation;
  // Final clip (the preprocessing's range).
  double clipLow = defaults::ClipMinimum;
  double clipHigh = defaults::ClipMaximum;

  /** All transforms off: augment() returns its input. */
  static AugmentationOptions
  none();
};

struct CRADL_CORE_EXPORT TrainingOptions
{
  int64_t  epochs = defaults::trainer::NumberOfEpochs;
  int64_t  batchSize = defaults::trainer::BatchSize;      // slices per step; each gives two views
  double   learningRate = defaults::trainer::LearningRate; // Adam
  double   weightDecay = defaults::trainer::WeightDecay;  // on convolution and linear weights only
  int64_t  warmupEpochs = defaults::trainer::WarmupEpochs;   // linear warm-up, then cosine decay, per step
  double   temperature = defaults::trainer::Temperature;   // NT-Xent
  uint64_t seed = 0;
  bool     mixedPrecision = false; // bfloat16 autocast (fp32 master weights); see bfloat16Supported()
  bool     channelsLast = false;   // NHWC: measured no faster here (bf16 equal, fp32 slower)

};

} // namespace cradl

#endif
