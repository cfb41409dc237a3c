// cradl train | fit | select | score | evaluate | run: the main job from the shell.
#include "cradlCommands.h"
#include "cradlLauncher.h"
#include "cradlPipeline.h"
#include "cradlReport.h"

#include "itkCradlImageIO.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

namespace cradl_cli
{
// The pipeline is the module's (src/pipeline); the tool gives it a command line.
using cradl_pipeline::PipelineConfig;
using cradl_pipeline::Setting;
using cradl_pipeline::settingsTable;
using cradl_pipeline::settingsTableJson;

namespace
{
// One option per row of the settings table, bound to a PipelineConfig;
// `given` remembers which the user typed, so that they override a --config
// file and the file overrides the defaults.
struct PipelineOptions
{
  PipelineConfig                                          flags;
  std::string                                             configFile;
  unsigned int                                            processes = 1;
  std::vector<std::pair<CLI::Option *, const Setting *>> given;

  void
  add(CLI::App * command)
  {
    for (const Setting & setting : settingsTable())
    {
      std::string help = setting.help;
      if (!setting.stages.empty())
      {
        help += " [";
        for (std::size_t i = 0; i < setting.stages.size(); ++i)
          help += (i ? " " : "") + setting.stages[i];
        help += "]";
      }
      CLI::Option * option = std::visit(
        [&](auto member) { return command->add_option(setting.flag, flags.*member, help)->capture_default_str(); },
        setting.field);
      if (std::holds_alternative<std::vector<unsigned int> PipelineConfig::*>(setting.field) ||
          std::holds_alternative<std::vector<double> PipelineConfig::*>(setting.field))
        option->delimiter(',');
      if (!setting.choices.empty())
        option->check(CLI::IsMember(setting.choices));
      given.emplace_back(option, &setting);
    }
    command->add_option("--config", configFile, "JSON file with any of these settings (flags win)")
      ->check(CLI::ExistingFile);
    command->add_flag("--force", flags.force, "run every stage, even those that are up to date");
    command
      ->add_option("--nproc", processes,
                   "data-parallel over this many local processes (torch.distributed, Gloo; NCCL with --device "
                   "cuda, one GPU each); torchrun --no-python and srun start cradl without it")
      ->check(CLI::Range(1u, 1024u))
      ->capture_default_str();
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
    nlohmann::json typed = nlohmann::json::object();
    const auto     values = flags.toJson();
    for (const auto & [option, setting] : given)
    {
      if (option->count() > 0)
        typed[setting->key] = values[setting->key];
    }
    config.update(typed);
    config.force = flags.force;
    return config;
  }
};

// A subcommand over the settings; `stages` runs once they are resolved.
void
addStageCommand(CLI::App & app, const char * name, const char * help, bool recordsConfig,
                std::function<void(const PipelineConfig &)> stages)
{
  auto   options = std::make_shared<PipelineOptions>();
  auto * command = app.add_subcommand(name, help);
  options->add(command);
  command->callback([options, recordsConfig, stages, name = std::string(name)] {
    const auto config = options->resolve();
    cradl_pipeline::validateInputs(config, name);
    if (options->processes > 1)
    {
      launchedProcessesStatus() = runLocalProcesses(options->processes);
      return;
    }
    cradl_pipeline::prepareOutput(config, recordsConfig);
    stages(config);
  });
}
} // namespace

void
addPipelineCommands(CLI::App & app)
{
  addStageCommand(app, "train", "stage 1: SimCLR training of the encoder -> OUT/encoder.pt", true, cradl_pipeline::trainStage);
  addStageCommand(app, "fit", "stage 2: a Gaussian mixture per --components on the representations -> OUT/candidates",
                  true, cradl_pipeline::fitStage);
  addStageCommand(app, "select",
                  "the mixture by validation AUPRC under the scoring settings (BIC without --val) -> OUT/mixture.pt, "
                  "OUT/validation",
                  true, cradl_pipeline::selectStage);
  addStageCommand(app, "score", "anomaly maps and slice scores of --test -> OUT/maps, OUT/slices, OUT/scores.csv",
                  false, [](const PipelineConfig & config) { cradl_pipeline::scoreStage(config, config.test); });
  addStageCommand(app, "evaluate", "metrics of OUT/maps against --test's labels -> OUT/metrics.json", false,
                  [](const PipelineConfig & config) { cradl_pipeline::evaluateStage(config, config.test); });
  addStageCommand(app, "run", "train, fit, select, score and evaluate; finished stages are skipped", true,
                  [](const PipelineConfig & config) { cradl_pipeline::runStages(config); });
  // The settings table itself, for programs (and the option fuzzer) to read.
  app.add_subcommand("settings", "print every setting (key, flag, type, default, range, help) as JSON")
    ->callback([] { std::cout << settingsTableJson().dump(2) << std::endl; });
  // The page alone, again, from what evaluate left in OUT.
  auto   out = std::make_shared<std::string>();
  auto * report = app.add_subcommand("report", "rebuild OUT/report/index.html from OUT (what evaluate left there)");
  report->add_option("out", *out, "the run's output folder")->required()->check(CLI::ExistingDirectory);
  report->callback([out] { std::cout << "report: " << cradl_pipeline::writeReportPage(*out) << std::endl; });
}

} // namespace cradl_cli
