#ifndef cradlAugment_h
#define cradlAugment_h

// SimCLR augmentations of CRADL, batched on tensors on the training device.
// Every view gets its own parameters; all randomness comes from one CPU
// generator, so runs are reproducible and a checkpoint can store its state.

#include "cradlCoreExport.h"
#include "cradlOptions.h"

#include <ATen/ATen.h>

namespace cradl
{


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

/** The rows [begin, begin + shard.size(0)) of augment(batch) for a batch of
 *  `views` slices of which `shard` holds those rows: the whole batch's
 *  randomness is drawn (so the generator ends where augment() leaves it),
 *  the transforms run on the shard alone. What each process of a
 *  data-parallel run does with its part of the global batch. */
CRADL_CORE_EXPORT at::Tensor
augmentShard(const at::Tensor &          shard,
             int64_t                     views,
             int64_t                     begin,
             const AugmentationOptions & options,
             at::Generator &             generator);

} // namespace cradl

#endif
