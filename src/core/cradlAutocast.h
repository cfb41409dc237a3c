#ifndef cradlAutocast_h
#define cradlAutocast_h

#include <ATen/autocast_mode.h>
#include <c10/core/Device.h>
#include <torch/version.h>

namespace cradl
{

/** bfloat16 autocast while alive (when enabled), on the CPU or CUDA. */
class AutocastScope
{
public:
  AutocastScope(const c10::Device & device, bool enabled)
    : m_Type(device.type())
    , m_Enabled(enabled)
  {
    if (m_Enabled)
      set(true);
  }
  ~AutocastScope()
  {
    if (!m_Enabled)
      return;
    set(false);
    at::autocast::clear_cache();
  }
  AutocastScope(const AutocastScope &) = delete;
  AutocastScope &
  operator=(const AutocastScope &) = delete;

private:
  // LibTorch 2.4 took the device type into one API; 1.13 has one per device.
  void
  set(bool on) const
  {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    if (on)
      at::autocast::set_autocast_dtype(m_Type, at::kBFloat16);
    at::autocast::set_autocast_enabled(m_Type, on);
#else
    if (m_Type == c10::DeviceType::CUDA)
    {
      if (on)
        at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
      at::autocast::set_enabled(on);
    }
    else
    {
      if (on)
        at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
      at::autocast::set_cpu_enabled(on);
    }
#endif
  }

  c10::DeviceType m_Type;
  bool            m_Enabled;
};

} // namespace cradl

#endif
