#include "cradlStageFrame.h"

#include <fstream>
#include <iostream>

namespace cradl_pipeline
{

// Several processes (torchrun, srun, cradl --nproc) share OUT: rank 0
// decides, writes the records and models and reports; every process
// computes its share of train, fit and score; select and evaluate run on
// rank 0. A stage ends when every process has finished it.
bool
leader()
{
  return itk::CradlRuntime::GetDistributedRank() == 0;
}

void
stageDoneOnEveryProcess()
{
  if (itk::CradlRuntime::GetDistributedWorldSize() > 1)
    itk::CradlRuntime::DistributedBarrier();
}

// Whether a stage may be skipped: its record matches the present inputs and
// its outputs exist. Says in one line what it does and why. Rank 0 decides
// and, for a stage that every process runs, tells the others. A stage that
// runs first marks its record unfinished: should it fail part-way, no earlier
// "finished" record vouches for a mix of old and new outputs.
bool
upToDate(const StageRecord & record, const std::vector<std::string> & outputs, const PipelineConfig & config,
         const char * stage, bool everyProcessRuns)
{
  bool skip = false;
  if (leader())
  {
    const std::string reason = config.force ? std::string() : record.reasonToRun(outputs);
    skip = !config.force && reason.empty();
    std::cerr << "cradl: " << stage << ": "
              << (config.force ? "--force, running" : skip ? "up to date, skipped (--force to redo)" : reason + ", running")
              << std::endl;
    if (!skip)
      record.write(false);
  }
  return everyProcessRuns && itk::CradlRuntime::GetDistributedWorldSize() > 1 ? itk::CradlRuntime::DistributedBroadcast(skip)
                                                                              : skip;
}

// The path of a manifest that a stage needs, or a clear error when none was given.
const std::string &
requireManifestPath(const std::string & path, const char * role)
{
  if (path.empty())
    throw std::runtime_error(std::string("no ") + role + " manifest given");
  return path;
}

bool
hasPatchDensity(const Layout & layout)
{
  return fs::exists(layout.mixture()) && itk::GaussianMixtureModel::Load(layout.mixture())->HasPatchDensity();
}

itk::CradlManifest::Pointer
readManifest(const PipelineConfig & config, const std::string & path, const char * role)
{
  auto manifest = itk::CradlManifest::New();
  manifest->Read(requireManifestPath(path, role));
  manifest->SetZeroNonFiniteVoxels(config.nanPolicy == "zero");
  return manifest;
}

std::string
stemOf(const std::string & path)
{
  std::string name = fs::path(path).filename().string();
  for (const std::string extension : { ".nii.gz", ".nii", ".nrrd", ".mha", ".mhd", ".png" })
  {
    if (name.size() > extension.size() && name.compare(name.size() - extension.size(), extension.size(), extension) == 0)
      return name.substr(0, name.size() - extension.size());
  }
  return name;
}

// The scoring recipe of the settings; with --score-mode auto, the mode the
// select stage chose (recorded in the mixture), else "gradient".
itk::CradlScoringSettings
scoringSettings(const PipelineConfig & config, const itk::GaussianMixtureModel * chosen)
{
  itk::CradlScoringSettings settings;
  const auto                values = config.valuesDeclaredBy(cradl::scoringSettingDeclarations());
#define cradlSetScoringValue(kind, Name, Type, key, value, constraint, help)                                         \
  if (values.contains(#Name))                                                                                         \
    settings.Name = values.at(#Name).get<Type>();
  CRADL_SCORING_SETTINGS(cradlSetScoringValue)
#undef cradlSetScoringValue
  settings.Device = itk::CradlRuntime::GetDistributedDevice(config.device);
  if (config.scoreMode != "auto")
    settings.Mode = config.scoreMode;
  else if (chosen != nullptr && !chosen->GetSelectedScoringMode().empty())
  {
    settings.Mode = chosen->GetSelectedScoringMode();
    if (std::isfinite(chosen->GetSelectedGaussianSigma()))
      settings.GaussianSigma = chosen->GetSelectedGaussianSigma();
  }
  return settings;
}

// Files in `folder` that this run did not write are an earlier run's, which
// a reader would take for this one's: removed, and said.
void
removeStaleFiles(const fs::path & folder, const std::set<std::string> & written, const char * stage,
                 const std::string & what)
{
  if (!fs::is_directory(folder))
    return;
  std::vector<fs::path> stale;
  for (const auto & entry : fs::recursive_directory_iterator(folder))
    if (entry.is_regular_file() && written.count(entry.path().string()) == 0)
      stale.push_back(entry.path());
  for (const auto & path : stale)
    fs::remove(path);
  if (!stale.empty())
    std::cerr << "cradl: " << stage << ": removed " << stale.size() << " " << what << " of an earlier run from '"
              << folder.string() << "' (this run does not make them)" << std::endl;
}

// Validation scans with a label choose the mixture; the rest only add healthy
// pixels to the label-free threshold.
bool
hasValidation(const PipelineConfig & config)
{
  return !config.validation.empty();
}

std::map<std::string, std::vector<double>>
readSliceScores(const Layout & layout)
{
  std::ifstream scores(layout.scores());
  if (!scores)
    throw std::runtime_error("no '" + layout.scores() + "': run cradl score first");
  std::map<std::string, std::vector<double>> sliceScores;
  std::string                                line;
  std::getline(scores, line);
  while (std::getline(scores, line))
  {
    const auto first = line.find(',');
    const auto second = line.find(',', first + 1);
    sliceScores[line.substr(0, first)].push_back(std::stod(line.substr(second + 1)));
  }
  return sliceScores;
}

} // namespace cradl_pipeline
