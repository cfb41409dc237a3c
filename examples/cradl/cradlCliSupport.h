#ifndef cradlCliSupport_h
#define cradlCliSupport_h

// Small pieces shared by the cradl subcommands.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <unistd.h>
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

// Progress with rate and ETA on stderr. On a terminal one line is redrawn in
// place; otherwise (a log file, nohup, a scheduler, CI) a full line is
// written each time `done` passes the next multiple of `logEvery`, so that a
// long run shows signs of life without flooding its log.
class ProgressLine
{
public:
  ProgressLine(std::string stage, double total, double logEvery = 1.0)
    : m_Stage(std::move(stage))
    , m_Total(total)
    , m_LogEvery(logEvery)
    , m_Start(std::chrono::steady_clock::now())
    , m_Terminal(isatty(STDERR_FILENO) != 0)
  {}
  void
  update(double done, const std::string & detail = "")
  {
    if (!m_Terminal)
    {
      if (done < m_NextLogged)
        return;
      while (m_NextLogged <= done)
        m_NextLogged += m_LogEvery;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_Start).count();
    const double rate = done > 0 && seconds > 0 ? done / seconds : 0.0;
    const double eta = rate > 0 ? (m_Total - done) / rate : 0.0;
    std::fprintf(stderr, "%scradl: %s %3.0f%% (%.0f/%.0f) %.2f/s ETA %.0fs %s%s", m_Terminal ? "\r" : "",
                 m_Stage.c_str(), 100.0 * done / m_Total, done, m_Total, rate, eta, detail.c_str(),
                 m_Terminal ? "   " : "\n");
    std::fflush(stderr);
  }
  ~ProgressLine()
  {
    if (m_Terminal)
      std::fprintf(stderr, "\n");
  }

private:
  std::string                           m_Stage;
  double                                m_Total;
  double                                m_LogEvery;
  double                                m_NextLogged = 0.0;
  std::chrono::steady_clock::time_point m_Start;
  bool                                  m_Terminal;
};

} // namespace cradl_cli

#endif
