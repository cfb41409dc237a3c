#include "cradlThreads.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <malloc.h>
#include <sched.h>
#include <stdexcept>

TEST(Threads, AvailableCoresFollowsTheAffinityMask)
{
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  ASSERT_EQ(sched_getaffinity(0, sizeof(cpus), &cpus), 0);
  EXPECT_EQ(cradl::availableCores(), CPU_COUNT(&cpus));
}

TEST(Threads, SetsTorchAndOpenBlasThreads)
{
  const int before = cradl::computeThreads();
  cradl::setComputeThreads(3);
  EXPECT_EQ(cradl::computeThreads(), 3);
  using GetThreads = int (*)();
  if (auto * openBlasThreads = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads")))
  {
    EXPECT_EQ(openBlasThreads(), 3);
  }
  cradl::setComputeThreads(1);
  EXPECT_EQ(cradl::computeThreads(), 1);
  cradl::setComputeThreads(before);
}

TEST(Threads, RejectsLessThanOneThread)
{
  EXPECT_THROW(cradl::setComputeThreads(0), std::invalid_argument);
  EXPECT_THROW(cradl::setComputeThreads(-2), std::invalid_argument);
}

TEST(Threads, RejectsMoreThanFourPerCoreAndKeepsTheCount)
{
  // --threads 9999 on 2 cores once made 26,254 threads and did not finish.
  const int cores = cradl::availableCores();
  EXPECT_EQ(cradl::maximumComputeThreads(), 4 * cores);
  cradl::setComputeThreads(4 * cores);
  EXPECT_EQ(cradl::computeThreads(), 4 * cores);
  try
  {
    cradl::setComputeThreads(4 * cores + 1);
    ADD_FAILURE() << "more than 4 threads per core were accepted";
  }
  catch (const std::invalid_argument & error)
  {
    EXPECT_NE(std::string(error.what()).find("at most " + std::to_string(4 * cores)), std::string::npos) << error.what();
  }
  EXPECT_EQ(cradl::computeThreads(), 4 * cores);
  cradl::setComputeThreads(cores);
}

TEST(Threads, LargeFreedBlocksAreReusedNotMappedAgain)
{
  if (!cradl::keepFreedHostMemory())
  {
    GTEST_SKIP() << "the environment tunes malloc itself (GLIBC_TUNABLES, MALLOC_*_ or CRADL_KEEP_FREED_MEMORY=0)";
  }
  // 64 MiB is above glibc's largest default mmap threshold (32 MiB): by
  // default it would be a fresh mapping, counted in hblkhd.
  constexpr size_t bytes = size_t{ 64 } << 20;
  const size_t mappedBefore = mallinfo2().hblkhd;
  void * first = std::malloc(bytes);
  ASSERT_NE(first, nullptr);
  std::memset(first, 1, bytes);
  asm volatile("" : : "r"(first) : "memory"); // the block must exist
  EXPECT_EQ(mallinfo2().hblkhd, mappedBefore);
  std::free(first);
  const size_t heapAfterFree = mallinfo2().arena;
  void * second = std::malloc(bytes);
  ASSERT_NE(second, nullptr);
  asm volatile("" : : "r"(second) : "memory");
  EXPECT_EQ(mallinfo2().arena, heapAfterFree) << "the second block should reuse the first's memory, not grow the heap";
  std::free(second);
}
