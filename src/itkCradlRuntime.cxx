#include "itkCradlRuntime.h"
#include "cradlErrorText.h"

#include "cradlDevice.h"
#include "cradlThreads.h"

#include "itkMacro.h"
#include "itkMultiThreaderBase.h"

#include <stdexcept>

namespace itk
{

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
  return static_cast<unsigned int>(cradl::availableCores());
}

void
CradlRuntime::SetNumberOfThreads(unsigned int threads)
{
  const unsigned int count = threads == 0 ? GetDefaultNumberOfThreads() : threads;
  cradl::setComputeThreads(static_cast<int>(count));
  MultiThreaderBase::SetGlobalDefaultNumberOfThreads(count);
}

unsigned int
CradlRuntime::GetNumberOfThreads()
{
  return static_cast<unsigned int>(cradl::computeThreads());
}

std::string
CradlRuntime::ErrorMessage(const std::exception & error)
{
  return cradl::messageOf(error);
}

} // namespace itk
