#ifndef cradlPythonOracle_h
#define cradlPythonOracle_h

// Runs an oracle script under Debian's Python (python3-sklearn/-scipy/-torch)
// and reads its 'name value' lines.

#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>
#include <unistd.h>

namespace cradl_test
{

inline std::string
pythonScript(const std::string & name)
{
  return std::string(CRADL_TEST_PYTHON_DIR) + "/" + name;
}

inline std::map<std::string, double>
runPythonOracle(const std::string & script, const std::vector<std::string> & arguments)
{
  std::string command = std::string(CRADL_PYTHON_EXECUTABLE) + " '" + pythonScript(script) + "'";
  for (const auto & argument : arguments)
  {
    command += " '" + argument + "'";
  }
  command += " 2>&1";
  FILE * pipe = popen(command.c_str(), "r");
  if (pipe == nullptr)
  {
    throw std::runtime_error("cannot run " + command);
  }
  std::string output;
  char        buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr)
  {
    output += buffer;
  }
  const int status = pclose(pipe);
  if (status != 0)
  {
    throw std::runtime_error("oracle failed (" + command + "):\n" + output);
  }
  std::map<std::string, double> values;
  std::istringstream            lines(output);
  std::string                   name;
  std::string                   value;
  while (lines >> name >> value)
  {
    values[name] = std::stod(value);
  }
  return values;
}

/** A fresh temporary folder for one test. */
inline std::filesystem::path
scratchFolder(const std::string & name)
{
  // The process id keeps apart the same test run twice at once (CTest runs the
  // core tests under two CPU capabilities in parallel).
  const auto folder =
    std::filesystem::temp_directory_path() / ("cradl-test-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(folder);
  std::filesystem::create_directories(folder);
  return folder;
}

} // namespace cradl_test

#endif
