// cradl: CRADL anomaly detection from the shell.
#include "cradlCommands.h"

#include "itkMacro.h"

#include <iostream>

namespace cradl_cli
{
void
addBenchCommands(CLI::App & app)
{
  auto * bench = app.add_subcommand("bench", "benchmarks; each prints one JSON line");
  bench->require_subcommand(1);
  addBenchMetrics(*bench);
  addBenchTrain(*bench);
  addBenchPostprocess(*bench);
  addBenchGmm(*bench);
  addBenchNllgrad(*bench);
}
} // namespace cradl_cli

int
main(int argc, char ** argv)
{
  CLI::App app{ "cradl: unsupervised anomaly detection and localization (CRADL) on ITK and LibTorch" };
  app.require_subcommand(1);
  cradl_cli::addPipelineCommands(app);
  cradl_cli::addMakeDataset(app);
  cradl_cli::addBenchCommands(app);
  try
  {
    app.parse(argc, argv);
  }
  catch (const CLI::ParseError & error)
  {
    return app.exit(error);
  }
  catch (const itk::ExceptionObject & error)
  {
    std::cerr << "cradl: " << error.GetDescription() << std::endl;
    return 1;
  }
  catch (const std::exception & error)
  {
    std::cerr << "cradl: " << error.what() << std::endl;
    return 1;
  }
  return 0;
}
