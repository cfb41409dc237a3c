#ifndef cradlSettings_h
#define cradlSettings_h

// The main job's settings. One table (settingsTable()) names each setting
// once: its JSON key (config files, OUT/config.json), its flag, its help,
// the stages whose outputs it decides (their records) and its range; a
// setting of an ITK stage takes its help and range from its declaration and
// its default from cradl::defaults (cradlSettingDeclarations.h). The CLI, the JSON reader and
// writer and --help are all generated from the table.

#include "cradlSettingDeclarations.h"

#include <nlohmann/json.hpp>

#include <string>
#include <variant>
#include <vector>

namespace cradl_pipeline
{

struct PipelineConfig
{
  // Data and output.
  std::string train;
  std::string validation;
  std::string test;
  std::string out = "cradl-out";
  // Compute.
  std::string  device = "cpu";
  unsigned int threads = 0;
  unsigned int seed = 0;
  // NaN or infinite voxels inside a brain mask: "error" or "zero".
  std::string nanPolicy = "error";
  // Stage 1: training (the paper's GPU configuration by default).
  unsigned int sliceSize = cradl::defaults::SliceSize;
  unsigned int nf = cradl::defaults::trainer::NumberOfFilters;
  unsigned int nz = cradl::defaults::trainer::RepresentationSize;
  unsigned int epochs = cradl::defaults::trainer::NumberOfEpochs;
  unsigned int batch = cradl::defaults::trainer::BatchSize;
  unsigned int warmupEpochs = cradl::defaults::trainer::WarmupEpochs;
  double       learningRate = cradl::defaults::trainer::LearningRate;
  bool         mixedPrecision = cradl::defaults::trainer::MixedPrecision;
  // Stage 2: the mixture candidates.
  std::vector<unsigned int> components = cradl::defaults::fitter::ComponentCandidates;
  double                    tolerance = cradl::defaults::fitter::Tolerance;
  double                    regularization = cradl::defaults::fitter::CovarianceRegularization;
  std::string               initialization = cradl::defaults::fitter::Initialization;
  std::vector<unsigned int> patchLayers = cradl::defaults::fitter::PatchDensityLayers;
  unsigned int              patchGrid = cradl::defaults::fitter::PatchPositionGrid;
  unsigned int              patchDepthBins = cradl::defaults::fitter::PatchDepthBins;
  double                    patchPriorWeight = cradl::defaults::fitter::PatchPriorWeight;
  // Scoring: one recipe for selection, scoring and the threshold.
  std::string  scoreMode = cradl::defaults::PipelineScoringMode; // gradient, patch, fused, or auto: chosen by select
  unsigned int medianRadius = cradl::defaults::MedianRadius;
  double       sigma = cradl::defaults::GaussianSigma;
  unsigned int gaussianRadius = cradl::defaults::GaussianRadius;
  bool         scoreMixedPrecision = cradl::defaults::ScoringMixedPrecision;
  // --score-mode auto also chooses the Gaussian sigma among these.
  std::vector<double> selectSigmas = cradl::defaults::SelectGaussianSigmas;
  // Evaluation.
  double thresholdQuantile = cradl::defaults::ThresholdQuantile;
  // Re-run finished stages (a flag only, never recorded).
  bool force = false;

  nlohmann::json
  toJson() const;
  /** Values of `json` override this config's; unknown keys, values of the
   *  wrong type and values out of range are errors (std::runtime_error). */
  void
  update(const nlohmann::json & json);
  /** update() from a JSON text; `origin` names it in error messages. */
  void
  updateFromText(const std::string & text, const std::string & origin);
  /** The settings that decide `stage`'s outputs ("train", "fit", "select",
   *  "score"), as recorded in OUT/.cradl/<stage>.json. */
  nlohmann::json
  settingsOf(const std::string & stage) const;
  /** The values of the rows declared among `declarations` (an ITK stage's),
   *  by the stage's setting name: {"LearningRate": 0.0001, ...}. */
  nlohmann::json
  valuesDeclaredBy(const std::vector<cradl::SettingDeclaration> & declarations) const;
};

/** One row of the table. A row for a setting of an ITK stage takes its
 *  help, range and choices from that setting's declaration
 *  (cradlSettingDeclarations.h), and the stage gives it to Set<Name>
 *  (valuesDeclaredBy); the other rows are the run's own. */
struct Setting
{
  using Field = std::variant<std::string PipelineConfig::*, unsigned int PipelineConfig::*, double PipelineConfig::*,
                             bool PipelineConfig::*, std::vector<unsigned int> PipelineConfig::*,
                             std::vector<double> PipelineConfig::*>;
  const char *             key;    // JSON key
  const char *             flag;   // command-line flag
  const char *             help;
  std::vector<std::string> stages; // whose outputs it decides
  Field                    field;
  cradl::SettingRange      range = cradl::Between(0, 4294967295.0); // numbers, and each item of a list
  std::vector<std::string> choices = {}; // strings: the values allowed (empty: any)
  bool                     mayBeEmpty = false; // lists
  const cradl::SettingDeclaration * declaration = nullptr; // the ITK stage's setting it sets, if any
};

const std::vector<Setting> &
settingsTable();

/** The table as JSON, one object per setting: key, flag, type ("string",
 *  "integer", "number", "boolean", "integers", "numbers"), default, minimum,
 *  minimum_allowed, maximum, choices, stages, help (`cradl settings`). */
nlohmann::json
settingsTableJson();

} // namespace cradl_pipeline

#endif
