#include "cradlDevice.h"

#include <gtest/gtest.h>
#include <torch/cuda.h>

#include <stdexcept>

TEST(Device, CpuIsAlwaysAvailable)
{
  const c10::Device device = cradl::parseDevice("cpu");
  EXPECT_TRUE(device.is_cpu());
  EXPECT_EQ(cradl::deviceName(device), "cpu");
  EXPECT_TRUE(cradl::parseDevice("  cpu\n").is_cpu());
}

TEST(Device, MalformedNamesAreRejectedWithTheAccepectedSpellings)
{
  for (const char * name : { "", "gpu", "CUDA", "cuda:", "cuda:x", "cuda:-1", "cuda0", "cpu:0", "mps" })
  {
    try
    {
      cradl::parseDevice(name);
      ADD_FAILURE() << "accepted '" << name << "'";
    }
    catch (const std::invalid_argument & error)
    {
      EXPECT_NE(std::string(error.what()).find("\"cuda:N\""), std::string::npos) << error.what();
    }
  }
}

TEST(Device, CudaWithoutGpuIsAClearError)
{
  if (torch::cuda::is_available())
  {
    GTEST_SKIP() << "a CUDA GPU is present";
  }
  EXPECT_EQ(cradl::cudaDeviceCount(), 0);
  for (const char * name : { "cuda", "cuda:0", "cuda:1" })
  {
    try
    {
      cradl::parseDevice(name);
      ADD_FAILURE() << "accepted '" << name << "' without a GPU";
    }
    catch (const std::runtime_error & error)
    {
      const std::string message = error.what();
      EXPECT_NE(message.find("no CUDA GPU is usable"), std::string::npos) << message;
      EXPECT_NE(message.find("\"cpu\""), std::string::npos) << message;
    }
  }
}

TEST(Device, CudaDevicesAreIndexedAndBounded)
{
  if (!torch::cuda::is_available())
  {
    GTEST_SKIP() << "no CUDA GPU";
  }
  const int count = cradl::cudaDeviceCount();
  ASSERT_GT(count, 0);
  EXPECT_EQ(cradl::deviceName(cradl::parseDevice("cuda")), "cuda:0");
  EXPECT_EQ(cradl::deviceName(cradl::parseDevice("cuda:" + std::to_string(count - 1))),
            "cuda:" + std::to_string(count - 1));
  EXPECT_THROW(cradl::parseDevice("cuda:" + std::to_string(count)), std::runtime_error);
}
