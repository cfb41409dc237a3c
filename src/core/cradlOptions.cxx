#include "cradlOptions.h"

#include <stdexcept>
#include <string>

namespace cradl
{

int64_t
EncoderOptions::downsamplingLayers() const
{
  int64_t layers = 0;
  for (int64_t size = imageSize; size > 4; size /= 2)
  {
    ++layers;
  }
  return layers;
}

void
EncoderOptions::validate() const
{
  if (imageSize != 64 && imageSize != 128 && imageSize != 256)
  {
    throw std::invalid_argument("encoder image size must be 64, 128 or 256, got " + std::to_string(imageSize));
  }
  if (nf < 1 || nz < 1 || headHidden < 1 || headOutput < 1)
  {
    throw std::invalid_argument("encoder nf, nz and head sizes must be positive");
  }
}

AugmentationOptions
AugmentationOptions::none()
{
  AugmentationOptions options;
  options.crop = options.rotate = options.scale = options.mirror = options.brightness = options.noise = false;
  return options;
}

} // namespace cradl
