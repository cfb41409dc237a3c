// cradl train | fit | score | evaluate | run: the main job from the shell.
#include "cradlCommands.h"
#include "cradlNpy.h"
#include "cradlPipeline.h"
#include "cradlText.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

namespace cradl_cli
{

namespace
{
// Options bound to a PipelineConfig; `given` remembers which the user typed,
// so that they override a --config file and the file overrides the defaults.
struct PipelineOptions
{
  PipelineConfig                                   flags;
  std::string                                      configFile;
  std::vector<std::pair<CLI::Option *, std::string>> given;

  void
  add(CLI::App * command)
  {
    const auto bind = [&](CLI::Option * option, const std::string & key) { given.emplace_back(option, key); };
    bind(command->add_option("--train", flags.train, "training manifest (healthy scans)"), "train");
    bind(command->add_option("--val", flags.validation, "validation manifest"), "val");
    bind(command->add_option("--test", flags.test, "test manifest (scored and evaluated)"), "test");
    bind(command->add_option("--out", flags.out, "output folder")->capture_default_str(), "out");
    bind(command->add_option("--device", flags.device, "cpu, cuda or cuda:N")->capture_default_str(), "device");
    bind(command->add_option("--threads", flags.threads, "threads (0 = all cores)")->capture_default_str(), "threads");
    bind(command->add_option("--seed", flags.seed, "seed")->capture_default_str(), "seed");
    bind(command->add_option("--nan-policy", flags.nanPolicy, "NaN/inf voxels in a brain mask: error or zero")
           ->check(CLI::IsMember({ "error", "zero" }))
           ->capture_default_str(),
         "nan_policy");
    bind(command->add_option("--slice-size", flags.sliceSize, "64, 128 or 256")->capture_default_str(), "slice_size");
    bind(command->add_option("--nf", flags.nf, "encoder base channels")->capture_default_str(), "nf");
    bind(command->add_option("--nz", flags.nz, "representation size")->capture_default_str(), "nz");
    bind(command->add_option("--epochs", flags.epochs, "training epochs")->capture_default_str(), "epochs");
    bind(command->add_option("--batch", flags.batch, "slices per step")->capture_default_str(), "batch");
    bind(command->add_option("--warmup-epochs", flags.warmupEpochs, "linear warm-up")->capture_default_str(),
         "warmup_epochs");
    bind(command->add_option("--lr", flags.learningRate, "Adam learning rate")->capture_default_str(), "learning_rate");
    bind(command->add_option("--mixed-precision", flags.mixedPrecision, "bf16 training where supported")
           ->capture_default_str(),
         "mixed_precision");
    bind(command->add_option("--components", flags.components, "mixture sizes to try, e.g. 1,2,4,8")->delimiter(','),
         "components");
    bind(command->add_option("--tol", flags.tolerance, "EM tolerance")->capture_default_str(), "tolerance");
    bind(command->add_option("--reg", flags.regularization, "covariance regularization")->capture_default_str(),
         "regularization");
    bind(command->add_option("--init", flags.initialization, "kmeans++ or random")->capture_default_str(),
         "initialization");
    bind(command->add_option("--median-radius", flags.medianRadius, "post-processing median radius")
           ->capture_default_str(),
         "median_radius");
    bind(command->add_option("--sigma", flags.sigma, "post-processing Gaussian sigma")->capture_default_str(), "sigma");
    bind(command->add_option("--gaussian-radius", flags.gaussianRadius, "Gaussian kernel radius")->capture_default_str(),
         "gaussian_radius");
    bind(command->add_option("--score-mixed-precision", flags.scoreMixedPrecision, "bf16 scoring")->capture_default_str(),
         "score_mixed_precision");
    bind(command->add_option("--threshold-quantile", flags.thresholdQuantile,
                             "quantile of healthy validation scores used as label-free threshold")
           ->capture_default_str(),
         "threshold_quantile");
    command->add_option("--config", configFile, "JSON file with any of these settings (flags win)")
      ->check(CLI::ExistingFile);
    command->add_flag("--force", flags.force, "run every stage, even those that are up to date");
  }

  PipelineConfig
  resolve() const
  {
    PipelineConfig config;
    if (!configFile.empty())
    {
      std::ifstream      file(configFile);
      std::ostringstream text;
      text << file.rdbuf();
      config.updateFromText(text.str(), configFile);
    }
    nlohmann::json typed;
    const auto     values = flags.toJson();
    for (const auto & [option, key] : given)
    {
      if (option->count() > 0)
        typed[key] = values[key];
    }
    config.update(typed);
    config.force = flags.force;
    return config;
  }
};

CLI::App *
pipelineCommand(CLI::App & app, const char * name, const char * help, std::shared_ptr<PipelineOptions> & options)
{
  options = std::make_shared<PipelineOptions>();
  auto * command = app.add_subcommand(name, help);
  options->add(command);
  return command;
}

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
    const std::string name = entry.path().filename().string();
    const bool partSuffix = name.size() > 5 && cradl::endsWith(name, ".part");
    if (entry.is_regular_file() && (partSuffix || name.rfind("partial-", 0) == 0))
      leftovers.push_back(entry.path());
  }
  for (const auto & path : leftovers)
    fs::remove(path);
  if (!leftovers.empty())
    std::cerr << "cradl: removed " << leftovers.size() << " temporary file(s) an interrupted run left in '" << config.out
              << "'" << std::endl;
}

void
recordConfig(const PipelineConfig & config)
{
  std::filesystem::create_directories(config.out);
  cradl::writeFileAtomically((std::filesystem::path(config.out) / "config.json").string(), config.toJson().dump(2) + "\n");
}
} // namespace

void
addPipelineCommands(CLI::App & app)
{
  std::shared_ptr<PipelineOptions> train, fit, score, evaluate, run;
  pipelineCommand(app, "train", "stage 1: SimCLR training of the encoder -> OUT/encoder.pt", train)->callback([train] {
    const auto config = train->resolve();
    removeLeftoverTemporaries(config);
    recordConfig(config);
    trainStage(config);
  });
  pipelineCommand(app, "fit", "stage 2: Gaussian mixture on the representations -> OUT/mixture.pt", fit)
    ->callback([fit] {
      const auto config = fit->resolve();
      removeLeftoverTemporaries(config);
      recordConfig(config);
      fitStage(config);
    });
  pipelineCommand(app, "score", "anomaly maps and slice scores of --test -> OUT/maps, OUT/slices, OUT/scores.csv",
                  score)
    ->callback([score] {
      const auto config = score->resolve();
      removeLeftoverTemporaries(config);
      scoreStage(config, config.test);
    });
  pipelineCommand(app, "evaluate", "metrics of OUT/maps against --test's labels -> OUT/metrics.json", evaluate)
    ->callback([evaluate] {
      const auto config = evaluate->resolve();
      removeLeftoverTemporaries(config);
      evaluateStage(config, config.test);
    });
  pipelineCommand(app, "run", "train, fit, score and evaluate; finished stages are skipped", run)->callback([run] {
    const auto config = run->resolve();
    removeLeftoverTemporaries(config);
    recordConfig(config);
    trainStage(config);
    fitStage(config);
    scoreStage(config, config.test);
    evaluateStage(config, config.test);
  });
}

} // namespace cradl_cli
