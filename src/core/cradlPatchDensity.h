#ifndef cradlPatchDensity_h
#define cradlPatchDensity_h

// Dense scoring beside the gradient: every position of intermediate feature
// maps of the trained encoder is scored by its Mahalanobis distance under a
// Gaussian fitted to the features of healthy brain positions (PaDiM's score,
// location-agnostic). Each layer's distance map is upsampled to the slice
// grid (bilinear) and standardised by its mean and standard deviation on
// healthy brain pixels; the map is the mean of the layers' standardised maps.
// Forward passes only: no gradient.

#include "cradlCoreExport.h"
#include "cradlEncoder.h"
#include "cradlGaussianMixture.h"
#include "cradlModelFile.h"

#include <vector>

namespace cradl
{

/** The encoder's activations after its i-th ReLU, for each i of `relus`
 *  (0-based; ReLU i follows the (i+1)-th stride-2 convolution: nf 2^i
 *  channels at S / 2^(i+1) pixels). Eval mode, no gradient. With
 *  `representation`, the same pass runs to the end and stores f(x) [N, nz]. */
CRADL_CORE_EXPORT std::vector<at::Tensor>
encoderFeatureMaps(ContrastiveEncoder & encoder, const at::Tensor & slices, const std::vector<int64_t> & relus,
                   at::Tensor * representation = nullptr);

/** Number of ReLUs of the encoder's convolution stack (the layers a patch
 *  density can use). */
CRADL_CORE_EXPORT int64_t
featureLayerCount(const EncoderOptions & options);

/** The density of one layer's feature vectors and the statistics of its
 *  distance map on healthy brain pixels. */
struct CRADL_CORE_EXPORT PatchLayerDensity
{
  int64_t           relu = 0;
  MixtureParameters gaussian;      // K = 1, float64
  double            healthyMean = 0.0; // of the upsampled distance on healthy brain pixels
  double            healthyStd = 1.0;
};

struct CRADL_CORE_EXPORT PatchDensity
{
  std::vector<PatchLayerDensity> layers;
  double                         regularization = 0.0;

  bool
  empty() const
  {
    return layers.empty();
  }
  ValueDict
  toDict() const;
  /** Checks names, shapes and values; throws std::runtime_error naming `source`. */
  static PatchDensity
  fromDict(const ValueDict & dict, const std::string & source);
};

struct CRADL_CORE_EXPORT PatchDensityOptions
{
  std::vector<int64_t> relus{ 1, 2 };   // 1/4 and 1/8 of the slice size
  double               regularization = 1e-2; // added to every covariance's diagonal (PaDiM's 0.01)
  int64_t              batchSize = 64;
};

/** Fits the density to healthy slices [N, 1, S, S] with their brain masks
 *  [N, 1, S, S] (non-zero = brain): feature positions whose area-averaged
 *  mask is at least one half are brain. Two passes: mean and covariance,
 *  then the healthy statistics of each layer's upsampled distance map. */
CRADL_CORE_EXPORT PatchDensity
fitPatchDensity(ContrastiveEncoder & encoder, const at::Tensor & slices, const at::Tensor & masks,
                const PatchDensityOptions & options);

/** Per layer, the Mahalanobis distance of each position, upsampled to the
 *  slice grid: [N, 1, S, S] each, float32 (before standardisation). */
CRADL_CORE_EXPORT std::vector<at::Tensor>
patchDistanceMaps(ContrastiveEncoder & encoder, const PatchDensity & density, const at::Tensor & slices,
                  int64_t batchSize = 64, at::Tensor * representations = nullptr);

/** The patch map: the mean over layers of (distance - healthyMean) / healthyStd,
 *  [N, 1, S, S], float32, CPU. With `representations`, the same encoder pass
 *  also gives f(x) [N, nz] (CPU), for the slice scores. */
CRADL_CORE_EXPORT at::Tensor
patchDensityMap(ContrastiveEncoder & encoder, const PatchDensity & density, const at::Tensor & slices,
                int64_t batchSize = 64, at::Tensor * representations = nullptr);

} // namespace cradl

#endif
