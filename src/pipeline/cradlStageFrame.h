#ifndef cradlStageFrame_h
#define cradlStageFrame_h

// What every stage of the pipeline shares: the run folder's layout, who
// decides in a run of several processes, the up-to-date check, manifests and
// names, the scoring recipe of the settings, stale outputs, errors that name
// their scan. One file per stage builds on it (cradl<Stage>Stage.cxx).

#include "cradlSettings.h"
#include "cradlStageRecord.h"

#include "itkCradlManifest.h"
#include "itkCradlRuntime.h"
#include "itkCradlScoringSettings.h"
#include "itkGaussianMixtureModel.h"

#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace cradl_pipeline
{
namespace fs = std::filesystem;

// Where each stage keeps its outputs.
struct Layout
{
  fs::path out;

  std::string
  encoder() const
  {
    return (out / "encoder.pt").string();
  }
  std::string
  checkpoint() const
  {
    return (out / "checkpoint.pt").string();
  }
  std::string
  candidate(unsigned int components) const
  {
    return (out / "candidates" / ("mixture-K" + std::to_string(components) + ".pt")).string();
  }
  std::string
  mixture() const
  {
    return (out / "mixture.pt").string();
  }
  std::string
  mixtureNpz() const
  {
    return (out / "mixture.npz").string();
  }
  std::string
  validationMap(const std::string & stem) const
  {
    return (out / "validation" / (stem + "_anomaly.nii.gz")).string();
  }
  std::string
  map(const std::string & stem, const char * kind) const
  {
    return (out / "maps" / (stem + "_" + kind + ".nii.gz")).string();
  }
  // --score-mode auto: every mode's post-processed map, for the comparison.
  std::string
  modeMap(const std::string & mode, const std::string & stem) const
  {
    return (out / "maps" / "modes" / mode / (stem + "_anomaly.nii.gz")).string();
  }
  std::string
  sliceMap(const std::string & stem) const
  {
    return (out / "slices" / (stem + "_slices.nii.gz")).string();
  }
  std::string
  scores() const
  {
    return (out / "scores.csv").string();
  }
  std::string
  segmentation(const std::string & stem) const
  {
    return (out / "segmentations" / (stem + "_segmentation.nii.gz")).string();
  }
  std::string
  report() const
  {
    return (out / "report").string();
  }
  // The evaluation's curves and operating points, for the report.
  std::string
  curves() const
  {
    return (out / "report" / "curves.json").string();
  }
};

// The maps --score-mode auto chooses among; without labelled validation
// scans the selector keeps the first (and the mixture of lowest BIC): the
// fused map, the best of the three on the default data set for every seed.
inline constexpr const char * ScoringModes[] = { "fused", "gradient", "patch" };

/** OUT/scores.csv: each scan's slice scores, by the scan's stem. */
std::map<std::string, std::vector<double>>
readSliceScores(const Layout & layout);

/** Whether this process decides and writes (rank 0; the only one alone). */
bool
leader();
/** Returns once every process of the run has finished the stage. */
void
stageDoneOnEveryProcess();
/** Whether a stage may be skipped; says why in one line; a stage that runs
 *  marks its record unfinished first. */
bool
upToDate(const StageRecord & record, const std::vector<std::string> & outputs, const PipelineConfig & config,
         const char * stage, bool everyProcessRuns = true);
const std::string &
requireManifestPath(const std::string & path, const char * role);
bool
hasPatchDensity(const Layout & layout);
itk::CradlManifest::Pointer
readManifest(const PipelineConfig & config, const std::string & path, const char * role);
/** The file name without folder and image extension: the stem of a scan's outputs. */
std::string
stemOf(const std::string & path);
itk::CradlScoringSettings
scoringSettings(const PipelineConfig & config, const itk::GaussianMixtureModel * chosen = nullptr);
void
removeStaleFiles(const fs::path & folder, const std::set<std::string> & written, const char * stage,
                 const std::string & what);
bool
hasValidation(const PipelineConfig & config);

// Runs `work` on row `row` of `manifest`: an error it raises starts with the
// row and its image, so that the user knows which scan it was.
template <typename Work>
auto
onScan(const itk::CradlManifest & manifest, std::size_t row, Work && work) -> decltype(work())
{
  try
  {
    return work();
  }
  catch (const itk::ExceptionObject & error)
  {
    throw std::runtime_error(manifest.DescribeEntry(row) + ": " + error.GetDescription());
  }
  catch (const std::exception & error)
  {
    throw std::runtime_error(manifest.DescribeEntry(row) + ": " + itk::CradlRuntime::ErrorMessage(error));
  }
}

// With `values` = config.valuesDeclaredBy(<the stage's declarations>) and
// `stage` the ITK stage: each row of the table that sets one of the stage's
// settings goes to its Set<Name> (which checks it again).
#define cradlSetDeclaredValue(kind, Name, Type, key, value, constraint, help)                                        \
  if (values.contains(#Name))                                                                                         \
    stage.Set##Name(values.at(#Name).get<Type>());

} // namespace cradl_pipeline

#endif
