#include "cradlThreads.h"

#include <gtest/gtest.h>

#include <dlfcn.h>
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
