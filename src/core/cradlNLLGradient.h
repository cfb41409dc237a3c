#ifndef cradlNLLGradient_h
#define cradlNLLGradient_h

// Stage 3 of CRADL: the anomaly map |d(-log p(f(x)))/dx| and the slice score
// -log p(f(x)).

#include "cradlCoreExport.h"
#include "cradlEncoder.h"
#include "cradlGaussianMixture.h"

namespace cradl
{

/** The density of representations: standardisation then the mixture. */
struct CRADL_CORE_EXPORT RepresentationDensity
{
  MixtureParameters mixture;
  at::Tensor        featureMean; // [d]
  at::Tensor        featureStd;  // [d]

  /** log p(z) [N] for raw representations z [N, d], differentiable. The
   *  mixture is evaluated in float64 whatever z's dtype. */
  at::Tensor
  logDensity(const at::Tensor & representations) const;
  RepresentationDensity
  to(const c10::Device & device) const;
};

struct NLLGradient
{
  at::Tensor map; // |d NLL / d x|, [N, 1, S, S], float32, CPU
  at::Tensor nll; // -log p(f(x)) per slice, [N], float64, CPU
  // The dtype the encoder's output had: bfloat16 when autocast really ran
  // (the witness that the fast path was taken), else the weights' dtype.
  at::ScalarType representationDtype = at::kFloat;
};

/** Scores `slices` [N, 1, S, S] in batches on the encoder's device. The
 *  encoder runs in eval mode (BN uses its running statistics), so slices are
 *  independent and one backward pass of the batch's summed NLL gives every
 *  slice's own input gradient. Weights get no gradients. With `bfloat16`,
 *  the encoder runs under bfloat16 autocast (faster where the hardware has
 *  it; the mixture stays float64). */
CRADL_CORE_EXPORT NLLGradient
nllGradient(ContrastiveEncoder & encoder,
            const RepresentationDensity & density,
            const at::Tensor &            slices,
            int64_t                       batchSize = 64,
            bool                          bfloat16 = false);

} // namespace cradl

#endif
