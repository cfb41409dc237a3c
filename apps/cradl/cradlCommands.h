#ifndef cradlCommands_h
#define cradlCommands_h

// The `cradl` command line: each subcommand registers itself on the app.

#include <CLI/CLI.hpp>

namespace cradl_cli
{

/** `cradl train | fit | select | score | evaluate | run`. */
void
addPipelineCommands(CLI::App & app);

/** The exit status of the processes a `--nproc` command started; -1 when it
 *  ran in this process. */
int &
launchedProcessesStatus();

/** `cradl make-dataset`. */
void
addMakeDataset(CLI::App & app);

} // namespace cradl_cli

#endif
