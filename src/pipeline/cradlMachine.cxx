#include "cradlMachine.h"

#include "itkCradlRuntime.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace cradl_pipeline
{

namespace
{
// The first /proc/cpuinfo line that starts with `key`, after its colon.
std::string
cpuinfo(const std::string & key)
{
  std::ifstream file("/proc/cpuinfo");
  std::string   line;
  while (std::getline(file, line))
    if (line.rfind(key, 0) == 0 && line.find(':') != std::string::npos)
    {
      std::string value = line.substr(line.find(':') + 1);
      return value.substr(value.find_first_not_of(' ') == std::string::npos ? 0 : value.find_first_not_of(' '));
    }
  return "";
}

// Lines of a command's standard output; none when it is not there.
std::vector<std::string>
outputLines(const std::string & command)
{
  std::vector<std::string> lines;
  FILE *                   pipe = popen((command + " 2>/dev/null").c_str(), "r");
  if (!pipe)
    return lines;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe))
  {
    std::string line = buffer;
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
      line.pop_back();
    if (!line.empty())
      lines.push_back(line);
  }
  pclose(pipe);
  return lines;
}
} // namespace

nlohmann::json
describeMachine()
{
  nlohmann::json machine;
  machine["cpu"] = cpuinfo("model name");
  machine["cores"] = static_cast<int64_t>(sysconf(_SC_NPROCESSORS_ONLN));
  std::istringstream flags(" " + cpuinfo("flags") + " ");
  std::string        flag;
  nlohmann::json     units = nlohmann::json::array();
  while (flags >> flag)
    if (flag == "avx2" || flag == "fma" || flag == "avx512f" || flag == "avx512_bf16" || flag == "amx_bf16")
      units.push_back(flag);
  machine["vector_units"] = units;
  machine["gpus"] = outputLines("command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total --format=csv,noheader");
  machine["processes"] = itk::CradlRuntime::GetDistributedWorldSize();
  for (const auto & [name, version] : itk::CradlRuntime::GetSoftwareVersions())
    machine["software"][name] = version;
  return machine;
}

} // namespace cradl_pipeline
