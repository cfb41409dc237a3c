#include "cradlThreads.h"

#include <ATen/Parallel.h>

#include <dlfcn.h>
#include <sched.h>
#include <stdexcept>
#include <string>
#include <thread>

namespace cradl
{

int
availableCores()
{
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0)
  {
    const int count = CPU_COUNT(&cpus);
    if (count > 0)
    {
      return count;
    }
  }
  const unsigned hardware = std::thread::hardware_concurrency();
  return hardware > 0 ? static_cast<int>(hardware) : 1;
}

void
setComputeThreads(int threads)
{
  if (threads < 1)
  {
    throw std::invalid_argument("thread count must be at least 1, got " + std::to_string(threads));
  }
  at::set_num_threads(threads);
  // OpenBLAS is reached through the system libblas.so.3 alternative, so look
  // its setter up at run time rather than linking against it.
  using SetThreads = void (*)(int);
  if (auto * setOpenBlasThreads = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
  {
    setOpenBlasThreads(threads);
  }
}

int
computeThreads()
{
  return at::get_num_threads();
}

} // namespace cradl
