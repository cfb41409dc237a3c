#ifndef cradlPatchDensity_h
#define cradlPatchDensity_h

// Dense scoring beside the gradient: every position of intermediate feature
// maps of the trained encoder is scored by its Mahalanobis distance under a
// Gaussian fitted to the features of healthy brain positions (PaDiM's score,
// location-agnostic). Each layer's distance map is upsampled to the slice
// grid (bilinear) and standardised by its mean and standard deviation on
// healthy brain pixels; the map is the mean of the layers' standardised maps.
// Optionally (PaDiM's per-position fit, coarsened) each position is scored
// under the Gaussian of its cell: an in-plane grid over the scan's brain
// bounding box times bins of slice depth, each cell's Gaussian the posterior
// mean under a normal-inverse-Wishart prior centred on the pooled fit, so
// that sparse cells shrink toward it. Forward passes only: no gradient.

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

/** Where slices lie in their scan's brain, one row [5] per slice (float64):
 *  x0, x1, y0, y1, the brain's bounding box over all the scan's slices as
 *  fractions of the slice's width and height (start inclusive, end
 *  exclusive), and depth, the slice's place between the scan's first (0) and
 *  last (1) brain slice, at the slice's centre. */
constexpr int64_t SliceFrameColumns = 5;

/** Position cells: `grid` x `grid` in-plane cells over the brain's bounding
 *  box times `depthBins` bins of depth; grid 0 = one location-agnostic
 *  Gaussian. The prior weighs `priorWeight` x channels pseudo-positions. */
struct CRADL_CORE_EXPORT PatchPositionCells
{
  int64_t grid = 0;
  int64_t depthBins = 1;
  double  priorWeight = 1.0;

  int64_t
  count() const
  {
    return grid * grid * depthBins;
  }
  bool
  operator==(const PatchPositionCells & other) const
  {
    return grid == other.grid && depthBins == other.depthBins && priorWeight == other.priorWeight;
  }
};

/** The cell [N, h, w] (int64) of every position of an h x w feature map of
 *  slices with the given frames [N, 5]. */
CRADL_CORE_EXPORT at::Tensor
positionCells(const at::Tensor & frames, int64_t height, int64_t width, const PatchPositionCells & cells);

/** The density of one layer's feature vectors and the statistics of its
 *  distance map on healthy brain pixels. */
struct CRADL_CORE_EXPORT PatchLayerDensity
{
  int64_t           relu = 0;
  MixtureParameters gaussian;          // K = 1, float64: all brain positions pooled
  double            healthyMean = 0.0; // of the upsampled distance on healthy brain pixels
  double            healthyStd = 1.0;
  MixtureParameters cellGaussians;     // K = cell count (weights unused); undefined without cells
  double            cellHealthyMean = 0.0;
  double            cellHealthyStd = 1.0;
};

struct CRADL_CORE_EXPORT PatchDensity
{
  std::vector<PatchLayerDensity> layers;
  double                         regularization = 0.0;
  PatchPositionCells             cells;

  bool
  empty() const
  {
    return layers.empty();
  }
  /** Whether positions are scored under their cell's Gaussian (when the
   *  slices' frames are known; otherwise under the pooled one). */
  bool
  conditioned() const
  {
    return cells.grid > 0;
  }
  ValueDict
  toDict() const;
  /** The same densities, value for value (two fits' copies of one fit). */
  bool
  operator==(const PatchDensity & other) const;
  /** Checks names, shapes and values; throws std::runtime_error naming `source`. */
  static PatchDensity
  fromDict(const ValueDict & dict, const std::string & source);
};

struct CRADL_CORE_EXPORT PatchDensityOptions
{
  std::vector<int64_t> relus{ 1, 2 };   // 1/4 and 1/8 of the slice size
  double               regularization = 1e-2; // added to every covariance's diagonal (PaDiM's 0.01)
  int64_t              batchSize = 64;
  PatchPositionCells   cells;                 // grid 0: location-agnostic only
  /** Several processes, each with its own slices: the fit's sums (moments,
   *  healthy statistics) go through it, so every process gets the density
   *  of all slices. Every process needs at least one slice. */
  ProcessSum sumAcrossProcesses;
};

/** Fits the density to healthy slices [N, 1, S, S] with their brain masks
 *  [N, 1, S, S] (non-zero = brain): feature positions whose area-averaged
 *  mask is at least one half are brain. Two passes: mean and covariance
 *  (pooled and, with cells, per cell), then the healthy statistics of each
 *  layer's upsampled distance maps. `frames` [N, 5] are needed with cells. */
CRADL_CORE_EXPORT PatchDensity
fitPatchDensity(ContrastiveEncoder & encoder, const at::Tensor & slices, const at::Tensor & masks,
                const PatchDensityOptions & options, const at::Tensor & frames = {});

/** Per layer, the Mahalanobis distance of each position, upsampled to the
 *  slice grid: [N, 1, S, S] each, float32 (before standardisation). With
 *  `frames` [N, 5] and a conditioned density, under each position's cell
 *  Gaussian; otherwise under the pooled one. */
CRADL_CORE_EXPORT std::vector<at::Tensor>
patchDistanceMaps(ContrastiveEncoder & encoder, const PatchDensity & density, const at::Tensor & slices,
                  int64_t batchSize = 64, at::Tensor * representations = nullptr, const at::Tensor & frames = {});

/** The patch map: the mean over layers of (distance - healthy mean) / healthy
 *  std (the statistics of the pooled or the cell distances, as used),
 *  [N, 1, S, S], float32, CPU. With `representations`, the same encoder pass
 *  also gives f(x) [N, nz] (CPU), for the slice scores. */
CRADL_CORE_EXPORT at::Tensor
patchDensityMap(ContrastiveEncoder & encoder, const PatchDensity & density, const at::Tensor & slices,
                int64_t batchSize = 64, at::Tensor * representations = nullptr, const at::Tensor & frames = {});

} // namespace cradl

#endif
