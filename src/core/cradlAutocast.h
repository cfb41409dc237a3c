#ifndef cradlAutocast_h
#define cradlAutocast_h

#include <ATen/autocast_mode.h>
#include <c10/core/Device.h>

namespace cradl
{

/** bfloat16 autocast while alive (when enabled), on the CPU or CUDA. */
class AutocastScope
{
public:
  AutocastScope(const c10::Device & device, bool enabled)
    : m_Cuda(device.is_cuda())
    , m_Enabled(enabled)
  {
    if (!m_Enabled)
      return;
    if (m_Cuda)
    {
      at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
      at::autocast::set_enabled(true);
    }
    else
    {
      at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
      at::autocast::set_cpu_enabled(true);
    }
  }
  ~AutocastScope()
  {
    if (!m_Enabled)
      return;
    (m_Cuda ? at::autocast::set_enabled : at::autocast::set_cpu_enabled)(false);
    at::autocast::clear_cache();
  }
  AutocastScope(const AutocastScope &) = delete;
  AutocastScope &
  operator=(const AutocastScope &) = delete;

private:
  bool m_Cuda;
  bool m_Enabled;
};

} // namespace cradl

#endif
