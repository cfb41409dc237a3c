#ifndef cradlProcessMemory_h
#define cradlProcessMemory_h

// Peak resident memory, measured as the anchors measure it: VmHWM from
// /proc/self/status, reset through /proc/self/clear_refs before a timed part.

#include <fstream>
#include <string>

namespace cradl_cli
{

inline double
statusMebibytes(const std::string & field)
{
  std::ifstream status("/proc/self/status");
  std::string   line;
  while (std::getline(status, line))
  {
    if (line.rfind(field + ":", 0) == 0)
    {
      return std::stod(line.substr(field.size() + 1)) / 1024.0; // kB
    }
  }
  return -1.0;
}

inline double
residentMebibytes()
{
  return statusMebibytes("VmRSS");
}

inline double
peakResidentMebibytes()
{
  return statusMebibytes("VmHWM");
}

/** Returns false where the kernel does not support resetting the peak. */
inline bool
resetPeakResident()
{
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  return static_cast<bool>(clear);
}

} // namespace cradl_cli

#endif
