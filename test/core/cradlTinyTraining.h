#ifndef cradlTinyTraining_h
#define cradlTinyTraining_h

// The tiny encoder, schedule and slices the training tests share (the
// in-process tests and the ranks of the distributed ones).

#include "cradlOptions.h"

#include <ATen/ATen.h>

namespace cradl_test
{

inline cradl::EncoderOptions
tinyEncoder()
{
  cradl::EncoderOptions options;
  options.imageSize = 64;
  options.nf = 4;
  options.nz = 16;
  options.headHidden = 16;
  options.headOutput = 8;
  return options;
}

inline cradl::TrainingOptions
tinyTraining(int64_t epochs = 3)
{
  cradl::TrainingOptions options;
  options.epochs = epochs;
  options.batchSize = 8;
  options.learningRate = 1e-3;
  options.warmupEpochs = 1;
  options.seed = 42;
  return options;
}

// Blobs of random size and place: something to tell apart.
inline at::Tensor
blobSlices(int64_t count, uint64_t seed)
{
  at::manual_seed(seed);
  const at::Tensor coordinates = at::linspace(-1, 1, 64);
  const at::Tensor y = coordinates.view({ 1, 1, 64, 1 });
  const at::Tensor x = coordinates.view({ 1, 1, 1, 64 });
  const at::Tensor cx = at::rand({ count, 1, 1, 1 }) - 0.5;
  const at::Tensor cy = at::rand({ count, 1, 1, 1 }) - 0.5;
  const at::Tensor radius = at::rand({ count, 1, 1, 1 }) * 0.3 + 0.1;
  return (1.5 * at::exp(-((x - cx).pow(2) + (y - cy).pow(2)) / radius.pow(2)) - 0.5).clamp(-1.5, 1.5);
}

} // namespace cradl_test

#endif
