#ifndef cradlMixtureFitRun_h
#define cradlMixtureFitRun_h

// Private: the seam between GaussianMixtureFitter's ITK side (scans, slices)
// and its torch side (encoding, EM), with no torch types.

#include "cradlContrastiveTrainingRun.h"
#include "cradlSettingDeclarations.h"

#include <memory>
#include <string>
#include <vector>

namespace itk
{
namespace detail
{
struct ContrastiveEncoderModelImpl;
struct GaussianMixtureModelImpl;
} // namespace detail
} // namespace itk

namespace cradl
{
struct PatchDensity;

struct MixtureFitSettings
{
  std::vector<unsigned int> components{ 1 };
  double                    tolerance = defaults::fitter::Tolerance;
  int64_t                   maxIterations = defaults::fitter::MaximumNumberOfIterations;
  double                    regularization = defaults::fitter::CovarianceRegularization;
  std::string               initialisation = defaults::fitter::Initialization;
  uint64_t                  seed = 0;
  bool                      standardize = true;
  bool                      float32Compute = false;
  std::string               device = "cpu";
  // Several processes (the environment's run), each with its own rows: EM's
  // sums, the standardisation and the BIC over all of them; K > 1 starts
  // from rank 0's rows.
  bool distributed = false;
};

struct MixtureCandidate
{
  unsigned int components = 0;
  int64_t      iterations = 0;
  bool         converged = false;
  double       meanLogLikelihood = 0.0;
  double       bic = 0.0;
  double       seconds = 0.0;
};

/** What the patch density is fitted to (GaussianMixtureFitter's settings). */
struct PatchDensitySettings
{
  std::vector<unsigned int> layers{ 1, 2 };
  unsigned int              positionGrid = defaults::fitter::PatchPositionGrid;
  unsigned int              depthBins = defaults::fitter::PatchDepthBins;
  double                    priorWeight = defaults::fitter::PatchPriorWeight;
  int64_t                   batchSize = defaults::ScoringBatchSize;
  bool                      distributed = false; // each process fits its own slices' sums
};

/** A fitted patch density, behind a pointer so that this header needs no torch types. */
struct PatchDensityFit
{
  std::shared_ptr<const PatchDensity> density;
};

struct MixtureFitResult
{
  int64_t                                                             samples = 0; // over every process
  std::vector<MixtureCandidate>                                       candidates;
  std::vector<std::shared_ptr<itk::detail::GaussianMixtureModelImpl>> models; // one per candidate
};

/** Encoder representations of `slices`, row-major [count, nz], float64. */
std::vector<double>
encodeSlices(const itk::detail::ContrastiveEncoderModelImpl & encoder,
             const SliceSet &                                 slices,
             const std::string &                              device,
             int64_t                                          batchSize);

/** The patch density of the encoder's feature maps over `slices`, their
 *  brain masks and frames. */
PatchDensityFit
fitPatchDensityOf(const itk::detail::ContrastiveEncoderModelImpl & encoder,
                  const SliceSet &                                 slices,
                  const std::string &                              device,
                  const PatchDensitySettings &                     settings);

/** Fits every candidate K; each model records its fit and its BIC. */
MixtureFitResult
fitMixture(const std::vector<double> & features, int64_t rows, int64_t columns, const MixtureFitSettings & settings);

/** Stores in the chosen model how it was chosen and every candidate's figures
 *  (columns: K, iterations, mean log-likelihood, BIC, validation AUPRC or -1). */
void
recordSelection(itk::detail::GaussianMixtureModelImpl &  chosen,
                const std::string &                      criterion,
                const std::vector<MixtureCandidate> &    candidates,
                const std::vector<double> &              validationAUPRC);

/** Stores the scoring mode the selection chose, and each candidate row's mode. */
void
recordScoringMode(itk::detail::GaussianMixtureModelImpl & chosen,
                  const std::string &                     mode,
                  const std::vector<std::string> &        candidateModes);

} // namespace cradl

#endif
