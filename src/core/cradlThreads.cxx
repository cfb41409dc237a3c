#include "cradlThreads.h"

#include "cradlDefaults.h"

#include <ATen/Parallel.h>

#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <limits>
#include <malloc.h>
#include <mutex>
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

namespace
{
bool
environmentTunesMalloc()
{
  const char * tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables != nullptr && std::strstr(tunables, "glibc.malloc.") != nullptr)
  {
    return true;
  }
  for (const char * name : { "MALLOC_MMAP_MAX_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_" })
  {
    if (std::getenv(name) != nullptr)
    {
      return true;
    }
  }
  const char * keep = std::getenv("CRADL_KEEP_FREED_MEMORY");
  return keep != nullptr && std::strcmp(keep, "0") == 0;
}
} // namespace

bool
keepFreedHostMemory()
{
  static std::once_flag once;
  static bool inEffect = false;
  std::call_once(once, [] {
    if (!environmentTunesMalloc())
    {
      // No mmap: large blocks come from the heap and are reused; no trim: the
      // heap's top is not handed back between steps. mallopt returns 1 on success.
      inEffect = mallopt(M_MMAP_MAX, 0) == 1 && mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max()) == 1;
    }
  });
  return inEffect;
}

int
maximumComputeThreads()
{
  return static_cast<int>(limits::MaximumThreadsPerCore) * availableCores();
}

void
setComputeThreads(int threads)
{
  if (threads < 1)
  {
    throw std::invalid_argument("thread count must be at least 1, got " + std::to_string(threads));
  }
  if (threads > maximumComputeThreads())
  {
    throw std::invalid_argument(std::to_string(threads) + " threads asked for on " + std::to_string(availableCores()) +
                                " cores: at most " + std::to_string(maximumComputeThreads()) +
                                " are allowed, and more than one per core only adds switching (0 = one per core)");
  }
  keepFreedHostMemory();
  at::set_num_threads(threads);
  // OpenBLAS is reached through the system libblas.so.3 alternative, so look
  // its setter up at run time rather than linking against it.
  using SetThreads = void (*)(int);
  if (auto * setOpenBlasThreads = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
  {
    setOpenBlasThreads(threads);
  }
}

void
setLibraryLogging(bool on)
{
  // Both flags are ints of severity: 0 info, 1 warning, 2 error, 3 fatal.
  constexpr int Fatal = 3;
  static int    glogDefault = -1;
  static int    c10Default = -1;
  const auto    set = [on](const char * symbol, int & saved) {
    if (auto * level = static_cast<int *>(dlsym(RTLD_DEFAULT, symbol)))
    {
      if (saved < 0)
        saved = *level;
      *level = on ? saved : Fatal;
    }
  };
  set("_ZN3fLI17FLAGS_minloglevelE", glogDefault);     // google::FLAGS_minloglevel
  set("_ZN3fLI22FLAGS_caffe2_log_levelE", c10Default); // c10's, with gflags' naming
  set("FLAGS_caffe2_log_level", c10Default);           // c10's own flags (no gflags)
}

int
computeThreads()
{
  return at::get_num_threads();
}

} // namespace cradl
