#include "cradlAugment.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace cradl
{


namespace
{
at::Tensor
uniform(int64_t count, double low, double high, at::Generator & generator)
{
  return at::empty({ count }, at::kDouble).uniform_(low, high, generator);
}
} // namespace

AugmentationParameters
drawAugmentation(int64_t views, const AugmentationOptions & options, at::Generator & generator)
{
  // Sampling point in the input (normalised, align_corners = false) for an
  // output point u: v = shift + cropScale * scale * R(angle) * mirror * u.
  // A crop of `size` pixels from the slice resized by cropResize, centred at c
  // (in resized pixels, c = size * cropResize / 2 being the middle) is
  // cropScale = 1 / cropResize and shift = 2c / (size * cropResize) - 1.
  const at::Tensor ones = at::ones({ views }, at::kDouble);
  const at::Tensor angle = options.rotate ? uniform(views, -options.maxRotation, options.maxRotation, generator)
                                          : at::zeros({ views }, at::kDouble);
  const at::Tensor zoom = options.scale ? uniform(views, options.scaleLow, options.scaleHigh, generator) : ones;
  const at::Tensor flip = options.mirror
                            ? at::where(uniform(views, 0.0, 1.0, generator) < options.mirrorProbability, -ones, ones)
                            : ones;
  const double     cropScale = options.crop ? 1.0 / options.cropResize : 1.0;
  at::Tensor       shiftX = at::zeros({ views }, at::kDouble);
  at::Tensor       shiftY = at::zeros({ views }, at::kDouble);
  if (options.crop)
  {
    shiftX = uniform(views, options.cropCentreLow, options.cropCentreHigh, generator) * 2.0 - 1.0;
    shiftY = uniform(views, options.cropCentreLow, options.cropCentreHigh, generator) * 2.0 - 1.0;
  }
  const at::Tensor cosine = at::cos(angle) * zoom * cropScale;
  const at::Tensor sine = at::sin(angle) * zoom * cropScale;

  AugmentationParameters parameters;
  parameters.theta = at::stack({ at::stack({ cosine * flip, -sine, shiftX }, 1),
                                 at::stack({ sine * flip, cosine, shiftY }, 1) },
                               1)
                       .to(at::kFloat);
  parameters.brightness = (options.brightness ? uniform(views, options.brightnessLow, options.brightnessHigh, generator)
                                              : ones)
                            .to(at::kFloat);
  parameters.noiseStd =
    (options.noise ? uniform(views, 0.0, options.noiseStdHigh, generator) : at::zeros({ views }, at::kDouble))
      .to(at::kFloat);
  return parameters;
}

namespace
{
// The transforms with the noise given ([N, 1, H, W] standard normal, CPU) or,
// when it is undefined, without noise.
at::Tensor
applyWithNoise(const at::Tensor &             slices,
               const AugmentationParameters & parameters,
               const AugmentationOptions &    options,
               const at::Tensor &             noise)
{
  at::Tensor views = slices;
  const auto device = slices.device();
  if (options.crop || options.rotate || options.scale || options.mirror)
  {
    const at::Tensor grid =
      at::affine_grid_generator(parameters.theta.to(device, slices.scalar_type()), slices.sizes(), false);
    views = at::grid_sampler(slices, grid, /*bilinear*/ 0, /*zeros*/ 0, false);
  }
  if (options.brightness)
  {
    views = views * parameters.brightness.to(device, views.scalar_type()).view({ -1, 1, 1, 1 });
  }
  if (options.noise)
  {
    views = views + noise.to(device, views.scalar_type()) *
                      parameters.noiseStd.to(device, views.scalar_type()).view({ -1, 1, 1, 1 });
  }
  return views.clamp(options.clipLow, options.clipHigh);
}

at::Tensor
drawNoise(at::IntArrayRef sizes, const AugmentationOptions & options, at::Generator & generator)
{
  return options.noise ? at::empty(sizes, at::kFloat).normal_(0.0, 1.0, generator) : at::Tensor();
}
} // namespace

at::Tensor
applyAugmentation(const at::Tensor &             slices,
                  const AugmentationParameters & parameters,
                  const AugmentationOptions &    options,
                  at::Generator &                generator)
{
  return applyWithNoise(slices, parameters, options, drawNoise(slices.sizes(), options, generator));
}

at::Tensor
augment(const at::Tensor & slices, const AugmentationOptions & options, at::Generator & generator)
{
  return applyAugmentation(slices, drawAugmentation(slices.size(0), options, generator), options, generator);
}

at::Tensor
augmentShard(const at::Tensor &          shard,
             int64_t                     views,
             int64_t                     begin,
             const AugmentationOptions & options,
             at::Generator &             generator)
{
  const int64_t count = shard.size(0);
  if (begin < 0 || begin + count > views)
    throw std::invalid_argument("augmentShard: rows " + std::to_string(begin) + " to " +
                                std::to_string(begin + count) + " are not inside a batch of " +
                                std::to_string(views));
  const AugmentationParameters all = drawAugmentation(views, options, generator);
  std::vector<int64_t>         sizes = shard.sizes().vec();
  sizes[0] = views;
  const at::Tensor       noise = drawNoise(sizes, options, generator);
  AugmentationParameters mine;
  mine.theta = all.theta.slice(0, begin, begin + count);
  mine.brightness = all.brightness.slice(0, begin, begin + count);
  mine.noiseStd = all.noiseStd.slice(0, begin, begin + count);
  return applyWithNoise(shard, mine, options, noise.defined() ? noise.slice(0, begin, begin + count) : noise);
}

} // namespace cradl
