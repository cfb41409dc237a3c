#include "cradlDevice.h"
#include "cradlText.h"

#include <torch/cuda.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace cradl
{

int
cudaDeviceCount()
{
  return static_cast<int>(torch::cuda::device_count());
}

namespace
{
bool
isDecimal(const std::string & text)
{
  return !text.empty() && text.size() <= 4 &&
         std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}
} // namespace

c10::Device
parseDevice(const std::string & name)
{
  const std::string text = trimmed(name);
  if (text == "cpu")
  {
    return c10::Device(c10::kCPU);
  }
  int index = 0;
  if (text == "cuda")
  {
    index = 0;
  }
  else if (text.rfind("cuda:", 0) == 0 && isDecimal(text.substr(5)) && text.size() <= 9) // cuda:0 to cuda:9999
  {
    index = std::stoi(text.substr(5));
  }
  else
  {
    std::string shown = name.substr(0, 40) + (name.size() > 40 ? "..." : "");
    std::replace_if(shown.begin(), shown.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; }, '?');
    throw std::invalid_argument("unknown device '" + shown + "': use \"cpu\", \"cuda\" or \"cuda:N\" (N = GPU index)");
  }

  if (!torch::cuda::is_available())
  {
    throw std::runtime_error(
      "device '" + text +
      "' was asked for, but no CUDA GPU is usable here (a CPU-only LibTorch such as Debian's libtorch, "
      "no NVIDIA driver, or CUDA_VISIBLE_DEVICES hides the GPUs): use device \"cpu\", or build against a "
      "CUDA LibTorch with -DTorch_DIR=... on a machine with a GPU");
  }
  const int count = cudaDeviceCount();
  if (index >= count)
  {
    throw std::runtime_error("device '" + text + "' was asked for, but only " + std::to_string(count) +
                             " CUDA device(s) are visible (cuda:0 .. cuda:" + std::to_string(count - 1) + ")");
  }
  return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index));
}

std::string
deviceName(const c10::Device & device)
{
  if (device.is_cpu())
  {
    return "cpu";
  }
  return "cuda:" + std::to_string(device.has_index() ? device.index() : 0);
}

} // namespace cradl
