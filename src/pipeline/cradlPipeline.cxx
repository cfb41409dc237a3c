#include "cradlPipeline.h"
#include "cradlStageFrame.h"

#include "itkCradlImageIO.h"

#include <iostream>

namespace cradl_pipeline
{

namespace
{
// Files an interrupted run left under a temporary name (the atomic writers'
// "<name>.part" and "partial-<name>"): never read, so removed before work starts.
void
removeLeftoverTemporaries(const PipelineConfig & config)
{
  namespace fs = std::filesystem;
  if (!fs::is_directory(config.out))
    return;
  std::vector<fs::path> leftovers;
  for (const auto & entry : fs::recursive_directory_iterator(config.out))
  {
    if (entry.is_regular_file() && itk::CradlIsTemporaryFileName(entry.path().filename().string()))
      leftovers.push_back(entry.path());
  }
  for (const auto & path : leftovers)
    fs::remove(path);
  if (!leftovers.empty())
    std::cerr << "cradl: removed " << leftovers.size() << " temporary file(s) an interrupted run left in '" << config.out
              << "'" << std::endl;
}

// OUT/config.json: the resolved settings of the run.
void
recordConfig(const PipelineConfig & config)
{
  itk::CradlMakeFolder(config.out);
  itk::CradlWriteFileAtomically((std::filesystem::path(config.out) / "config.json").string(),
                                config.toJson().dump(2) + "\n");
}

} // namespace

void
validateInputs(const PipelineConfig & config, const std::string & command)
{
  struct Manifest
  {
    const char *        role;
    const std::string & path;
    bool                needed; // else read only when given
  };
  const bool everything = command == "run";
  for (const Manifest & manifest :
       { Manifest{ "training", config.train, everything || command == "train" || command == "fit" },
         Manifest{ "validation", config.validation, everything || command == "train" },
         Manifest{ "test", config.test, everything || command == "score" || command == "evaluate" } })
  {
    if (manifest.needed || !manifest.path.empty())
      readManifest(config, manifest.path, manifest.role); // refuses a missing, malformed or empty one
  }
  itk::CradlRuntime::ValidateDevice(itk::CradlRuntime::GetDistributedDevice(config.device));
  if (fs::exists(config.out) && !fs::is_directory(config.out))
    throw std::runtime_error("--out '" + config.out + "' is a file, not a folder: name a folder for the outputs");
}

void
prepareOutput(const PipelineConfig & config, bool recordsConfig)
{
  // Several processes: joined here, before any stage (NCCL for CUDA).
  itk::CradlRuntime::JoinDistributedRun(itk::CradlRuntime::GetDistributedDevice(config.device));
  if (leader())
  {
    removeLeftoverTemporaries(config);
    if (recordsConfig)
      recordConfig(config);
  }
  stageDoneOnEveryProcess();
}

nlohmann::json
runStages(const PipelineConfig & config)
{
  trainStage(config);
  fitStage(config);
  selectStage(config);
  scoreStage(config, config.test);
  return evaluateStage(config, config.test);
}

nlohmann::json
runPipeline(const PipelineConfig & config)
{
  validateInputs(config, "run");
  prepareOutput(config, true);
  return runStages(config);
}
} // namespace cradl_pipeline
