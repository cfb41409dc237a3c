#include "itkCradlRuntime.h"

#include "itkMacro.h"
#include "itkMultiThreaderBase.h"

#include <gtest/gtest.h>

#include <sched.h>

TEST(CradlRuntime, ValidatesDevices)
{
  EXPECT_EQ(itk::CradlRuntime::ValidateDevice("cpu"), "cpu");
  EXPECT_THROW(itk::CradlRuntime::ValidateDevice("gpu"), itk::ExceptionObject);
  if (!itk::CradlRuntime::IsCudaAvailable())
  {
    EXPECT_EQ(itk::CradlRuntime::GetCudaDeviceCount(), 0);
    try
    {
      itk::CradlRuntime::ValidateDevice("cuda");
      ADD_FAILURE() << "cuda accepted without a GPU";
    }
    catch (const itk::ExceptionObject & error)
    {
      EXPECT_NE(std::string(error.GetDescription()).find("use device \"cpu\""), std::string::npos);
    }
  }
  else
  {
    EXPECT_EQ(itk::CradlRuntime::ValidateDevice("cuda"), "cuda:0");
  }
}

TEST(CradlRuntime, OneThreadCountForTorchAndItk)
{
  itk::CradlRuntime::SetNumberOfThreads(2);
  EXPECT_EQ(itk::CradlRuntime::GetNumberOfThreads(), 2u);
  EXPECT_EQ(itk::MultiThreaderBase::GetGlobalDefaultNumberOfThreads(), 2u);

  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  ASSERT_EQ(sched_getaffinity(0, sizeof(cpus), &cpus), 0);
  EXPECT_EQ(itk::CradlRuntime::GetDefaultNumberOfThreads(), static_cast<unsigned int>(CPU_COUNT(&cpus)));
  itk::CradlRuntime::SetNumberOfThreads(0); // 0 = all cores
  EXPECT_EQ(itk::CradlRuntime::GetNumberOfThreads(), itk::CradlRuntime::GetDefaultNumberOfThreads());
  EXPECT_EQ(itk::MultiThreaderBase::GetGlobalDefaultNumberOfThreads(),
            itk::CradlRuntime::GetDefaultNumberOfThreads());
}
