#ifndef cradlBenchCommands_h
#define cradlBenchCommands_h

// cradl-bench: the developer's benchmarks; each subcommand registers itself.

#include <CLI/CLI.hpp>

namespace cradl_cli
{

/** `cradl-bench metrics`. */
void
addBenchMetrics(CLI::App & bench);

/** `cradl-bench train`. */
void
addBenchTrain(CLI::App & bench);

/** `cradl-bench postprocess`. */
void
addBenchPostprocess(CLI::App & bench);

/** `cradl-bench gmm`. */
void
addBenchGmm(CLI::App & bench);

/** `cradl-bench nllgrad`. */
void
addBenchNllgrad(CLI::App & bench);

/** `cradl-bench peak`. */
void
addBenchPeak(CLI::App & bench);

} // namespace cradl_cli

#endif
