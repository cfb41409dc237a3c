#include "itkCradlRuntime.h"
#include "cradlErrorText.h"

#include "cradlDevice.h"
#include "cradlDistributed.h"
#include "cradlThreads.h"

#include "itkMacro.h"
#include "itkMultiThreaderBase.h"
#include "itkVersion.h"

#include <torch/version.h>

#include <algorithm>
#include <atomic>
#include <limits>
#include <stdexcept>

namespace itk
{

namespace
{
cradl::DistributedEnvironment
environmentOrFail()
{
  try
  {
    return cradl::DistributedEnvironment::fromEnvironment();
  }
  catch (const std::exception & error)
  {
    itkGenericExceptionMacro(<< cradl::messageOf(error));
  }
}

// The run's collectives (joined on first use), or null in a single process.
std::shared_ptr<cradl::DistributedGroup>
runGroup(const std::string & device = "cpu")
{
  try
  {
    return cradl::processGroupOfEnvironment(cradl::parseDevice(CradlRuntime::GetDistributedDevice(device)));
  }
  catch (const std::exception & error)
  {
    itkGenericExceptionMacro(<< cradl::messageOf(error));
  }
}
} // namespace

std::string
CradlRuntime::ValidateDevice(const std::string & device)
{
  try
  {
    return cradl::deviceName(cradl::parseDevice(device));
  }
  catch (const std::exception & error)
  {
    itkGenericExceptionMacro(<< cradl::messageOf(error));
  }
}

bool
CradlRuntime::IsCudaAvailable()
{
  return cradl::cudaDeviceCount() > 0;
}

int
CradlRuntime::GetCudaDeviceCount()
{
  return cradl::cudaDeviceCount();
}

unsigned int
CradlRuntime::GetDefaultNumberOfThreads()
{
  // Several processes on one machine share its cores.
  const int64_t processes = std::max<int64_t>(1, environmentOrFail().localWorldSize);
  return static_cast<unsigned int>(std::max<int64_t>(1, cradl::availableCores() / processes));
}

void
CradlRuntime::SetNumberOfThreads(unsigned int threads)
{
  const unsigned int count = threads == 0 ? GetDefaultNumberOfThreads() : threads;
  try
  {
    cradl::setComputeThreads(static_cast<int>(std::min<unsigned int>(count, std::numeric_limits<int>::max())));
  }
  catch (const std::exception & error)
  {
    itkGenericExceptionMacro(<< cradl::messageOf(error));
  }
  static std::atomic<unsigned int> warnedFor{ 0 };
  const auto                       cores = static_cast<unsigned int>(cradl::availableCores());
  if (count > cores && warnedFor.exchange(count) != count)
  {
    OutputWindowDisplayWarningText(("Cradl: " + std::to_string(count) + " threads on " + std::to_string(cores) +
                                    " cores: more threads than cores only add switching (0 = one per core)\n")
                                     .c_str());
  }
  MultiThreaderBase::SetGlobalDefaultNumberOfThreads(count);
}

void
CradlRuntime::SetLibraryLogging(bool on)
{
  cradl::setLibraryLogging(on);
}

unsigned int
CradlRuntime::GetNumberOfThreads()
{
  return static_cast<unsigned int>(cradl::computeThreads());
}

unsigned int
CradlRuntime::GetDistributedRank()
{
  return static_cast<unsigned int>(environmentOrFail().rank);
}

unsigned int
CradlRuntime::GetDistributedWorldSize()
{
  return static_cast<unsigned int>(environmentOrFail().worldSize);
}

unsigned int
CradlRuntime::GetDistributedLocalRank()
{
  return static_cast<unsigned int>(environmentOrFail().localRank);
}

std::string
CradlRuntime::GetDistributedDevice(const std::string & device)
{
  const auto environment = environmentOrFail();
  if (environment.distributed() && device == "cuda")
    return "cuda:" + std::to_string(environment.localRank);
  return device;
}

void
CradlRuntime::JoinDistributedRun(const std::string & device)
{
  runGroup(device);
}

bool
CradlRuntime::DistributedBroadcast(bool value)
{
  const auto group = runGroup();
  return group ? cradl::broadcastBytes(*group, value ? "1" : "0") == "1" : value;
}

std::vector<std::string>
CradlRuntime::DistributedGatherText(const std::string & text)
{
  const auto group = runGroup();
  return group ? cradl::gatherText(*group, text) : std::vector<std::string>{ text };
}

void
CradlRuntime::DistributedBarrier()
{
  if (const auto group = runGroup())
  {
    std::vector<at::Tensor> one{ at::ones({ 1 }) };
    group->allReduceSum(one);
  }
}

std::vector<std::pair<std::string, std::string>>
CradlRuntime::GetSoftwareVersions()
{
  return { { "Cradl", CRADL_VERSION_STRING }, { "ITK", Version::GetITKVersion() }, { "LibTorch", TORCH_VERSION } };
}

std::string
CradlRuntime::ErrorMessage(const std::exception & error)
{
  return cradl::messageOf(error);
}

} // namespace itk
