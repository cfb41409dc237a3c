#ifndef cradlCommands_h
#define cradlCommands_h

// The `cradl` command line: each subcommand registers itself on the app.

#include <CLI/CLI.hpp>

namespace cradl_cli
{

/** `cradl train | fit | score | evaluate | run`. */
void
addPipelineCommands(CLI::App & app);

/** `cradl make-dataset`. */
void
addMakeDataset(CLI::App & app);

/** `cradl bench ...`: benchmarks that print one JSON line each. */
void
addBenchCommands(CLI::App & app);

/** `cradl bench metrics`. */
void
addBenchMetrics(CLI::App & bench);

/** `cradl bench train`. */
void
addBenchTrain(CLI::App & bench);

/** `cradl bench postprocess`. */
void
addBenchPostprocess(CLI::App & bench);

/** `cradl bench gmm`. */
void
addBenchGmm(CLI::App & bench);

/** `cradl bench nllgrad`. */
void
addBenchNllgrad(CLI::App & bench);

} // namespace cradl_cli

#endif
