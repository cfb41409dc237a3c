#ifndef cradlBenchSupport_h
#define cradlBenchSupport_h

// What every benchmark of cradl-bench prints: timings and the CPU they ran on.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace cradl_cli
{

/** The median of timings: robust to the odd slow repeat on a busy machine. */
inline double
medianOf(std::vector<double> values)
{
  std::sort(values.begin(), values.end());
  const std::size_t middle = values.size() / 2;
  return values.size() % 2 == 1 ? values[middle] : 0.5 * (values[middle - 1] + values[middle]);
}

/** The CPU a benchmark ran on: model name and the flags that decide its
 *  speed (vector width, bfloat16 and AMX units), plus any forced LibTorch
 *  capability. Figures mean nothing without it. */
inline nlohmann::json
cpuDescription()
{
  std::ifstream  cpuinfo("/proc/cpuinfo");
  std::string    line;
  std::string    model = "unknown";
  std::string    family;
  std::string    modelNumber;
  nlohmann::json flags = nlohmann::json::array();
  bool           flagsRead = false;
  while (std::getline(cpuinfo, line))
  {
    const auto colon = line.find(':');
    if (colon == std::string::npos)
      continue;
    const std::string key = line.substr(0, line.find_last_not_of(" \t", colon - 1) + 1);
    const std::string value = colon + 2 <= line.size() ? line.substr(colon + 2) : "";
    if (key == "model name" && model == "unknown")
      model = value;
    if (key == "cpu family" && family.empty())
      family = value;
    if (key == "model" && modelNumber.empty())
      modelNumber = value;
    if (key == "flags" && !flagsRead)
    {
      flagsRead = true;
      std::istringstream words(" " + value + " ");
      for (std::string word; words >> word;)
        for (const char * wanted : { "avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_tile" })
          if (word == wanted)
            flags.push_back(word);
    }
  }
  const char * capability = std::getenv("ATEN_CPU_CAPABILITY");
  return { { "model", model }, { "family_model", family + "/" + modelNumber }, { "flags", flags }, { "aten_cpu_capability", capability ? capability : "auto" } };
}

/** A benchmark's one JSON line on stdout, with the CPU it ran on. */
inline void
printBenchResult(nlohmann::json result)
{
  result["cpu"] = cpuDescription();
  std::cout << result.dump() << std::endl;
}

} // namespace cradl_cli

#endif
