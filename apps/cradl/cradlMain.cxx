// cradl: CRADL anomaly detection from the shell, built on the module's public
// API only, as any user's program would be.
#include "cradlCommands.h"
#include "cradlLauncher.h"

#include "itkCradlRuntime.h"

#include "itkMacro.h"

#include <algorithm>
#include <iostream>
#include <regex>

namespace cradl_cli
{
int &
launchedProcessesStatus()
{
  static int status = -1;
  return status;
}

// ITK's exception text without "ITK ERROR: ClassName(0x55...): ": an object
// address means nothing to the user.
std::string
withoutObjectAddresses(const std::string & text)
{
  static const std::regex address(R"(ITK ERROR: |[A-Za-z_][A-Za-z0-9_:<>, ]*\(0x[0-9a-fA-F]+\): ?)");
  return std::regex_replace(text, address, "");
}
} // namespace cradl_cli

int
main(int argc, char ** argv)
{
  CLI::App app{ "cradl: unsupervised anomaly detection and localization (CRADL) on ITK and LibTorch" };
  app.require_subcommand(1);
  app.fallthrough(); // --verbose may follow the subcommand
  bool verbose = false;
  app.add_flag("--verbose", verbose, "on errors, also print where they were raised (for bug reports)");
  cradl_cli::addPipelineCommands(app);
  cradl_cli::addMakeDataset(app);
  cradl_cli::commandLine().assign(argv, argv + argc);
  // LibTorch's own log lines (c10d's while a run assembles) only with
  // --verbose: the tool's errors say what went wrong.
  itk::CradlRuntime::SetLibraryLogging(std::find(argv + 1, argv + argc, std::string("--verbose")) != argv + argc);
  // Several processes print the same error: each names its rank.
  std::string who = "cradl: ";
  try
  {
    if (itk::CradlRuntime::GetDistributedWorldSize() > 1)
      who = "cradl: rank " + std::to_string(itk::CradlRuntime::GetDistributedRank()) + ": ";
    app.parse(argc, argv);
    if (cradl_cli::launchedProcessesStatus() >= 0)
      return cradl_cli::launchedProcessesStatus();
  }
  catch (const CLI::ParseError & error)
  {
    return app.exit(error);
  }
  catch (const itk::ExceptionObject & error)
  {
    std::cerr << who << cradl_cli::withoutObjectAddresses(error.GetDescription()) << std::endl;
    if (verbose)
      std::cerr << "cradl: raised at " << error.GetFile() << ":" << error.GetLine() << " (" << error.GetLocation()
                << "): " << error.GetDescription() << std::endl;
    return 1;
  }
  catch (const std::exception & error)
  {
    std::cerr << who << itk::CradlRuntime::ErrorMessage(error) << std::endl;
    if (verbose)
      std::cerr << "cradl: in full: " << error.what() << std::endl;
    return 1;
  }
  return 0;
}
