#ifndef cradlLauncher_h
#define cradlLauncher_h

// `cradl <stage> --nproc N`: one machine's data-parallel run without
// torchrun. The command starts N copies of itself as the ranks of one run
// (the environment torchrun would set, a rendezvous on a free loopback
// port), waits for them and stops the others when one fails.

#include <string>
#include <vector>

namespace cradl_cli
{

/** This program's command line, as main() received it. */
std::vector<std::string> &
commandLine();

/** Runs commandLine() without its --nproc option in `processes` processes;
 *  returns 0, or the exit status of the first rank that failed. Throws
 *  std::runtime_error when this process already belongs to a run
 *  (torchrun, srun) or cannot start them. */
int
runLocalProcesses(unsigned int processes);

} // namespace cradl_cli

#endif
