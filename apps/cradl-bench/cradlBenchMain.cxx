// cradl-bench: benchmarks of the module's kernels for its developers; each
// prints one JSON line with the CPU it ran on. Unlike the `cradl` tool it
// reaches into the torch core (src/core) to time kernels on their own.
#include "cradlBenchCommands.h"
#include "cradlErrorText.h"

#ifndef CRADL_BENCH_TORCH_CORE_ONLY
#  include "itkMacro.h"
#endif

#include <iostream>

int
main(int argc, char ** argv)
{
  CLI::App app{ "cradl-bench: benchmarks of Cradl's kernels; each prints one JSON line" };
  app.require_subcommand(1);
#ifndef CRADL_BENCH_TORCH_CORE_ONLY // these time ITK filters
  cradl_cli::addBenchMetrics(app);
  cradl_cli::addBenchPostprocess(app);
#endif
  cradl_cli::addBenchTrain(app);
  cradl_cli::addBenchGmm(app);
  cradl_cli::addBenchNllgrad(app);
  cradl_cli::addBenchPeak(app);
  try
  {
    app.parse(argc, argv);
  }
  catch (const CLI::ParseError & error)
  {
    return app.exit(error);
  }
#ifndef CRADL_BENCH_TORCH_CORE_ONLY
  catch (const itk::ExceptionObject & error)
  {
    std::cerr << "cradl-bench: " << error.GetDescription() << std::endl;
    return 1;
  }
#endif
  catch (const std::exception & error)
  {
    std::cerr << "cradl-bench: " << cradl::messageOf(error) << std::endl;
    return 1;
  }
  return 0;
}
