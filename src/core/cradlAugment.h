#ifndef cradlAugment_h
#define cradlAugment_h

// SimCLR augmentations of CRADL, batched on tensors on the training device.
// Every view gets its own parameters; all randomness comes from one CPU
// generator, so runs are reproducible and a checkpoint can store its state.

#include "cradlCoreExport.h"

#include <ATen/ATen.h>

namespace cradl
{

struct AugmentationOptions
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
  double noiseStdHigh = 0.05;
  // Final clip (the preprocessing's range).
  double clipLow = -1.5;
  double clipHigh = 1.5;

  /** All transforms off: augment() returns its input. */
  static AugmentationOptions
  none();
};

/** Per-view parameters, drawn on the CPU. */
struct AugmentationParameters
{
  at::Tensor theta;      // [N, 2, 3] output->input sampling, normalised coordinates
  at::Tensor brightness; // [N]
  at::Tensor noiseStd;   // [N]
};

CRADL_CORE_EXPORT AugmentationParameters
drawAugmentation(int64_t views, const AugmentationOptions & options, at::Generator & generator);

/** Applies `parameters` to `slices` [N, 1, H, W] on their device. The noise is
 *  drawn from `generator` on the CPU. */
CRADL_CORE_EXPORT at::Tensor
applyAugmentation(const at::Tensor &             slices,
                  const AugmentationParameters & parameters,
                  const AugmentationOptions &    options,
                  at::Generator &                generator);

/** drawAugmentation + applyAugmentation. */
CRADL_CORE_EXPORT at::Tensor
augment(const at::Tensor & slices, const AugmentationOptions & options, at::Generator & generator);

} // namespace cradl

#endif
