#ifndef cradlFuzzFile_h
#define cradlFuzzFile_h

// The readers under test take paths: each input goes to one file per process
// (libFuzzer's -jobs/-workers run processes side by side), rewritten per run.

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace cradl_fuzz
{

inline std::string
inputFile(const uint8_t * data, std::size_t size, const std::string & suffix)
{
  static const std::filesystem::path folder = [] {
    auto path = std::filesystem::temp_directory_path() / ("cradl-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(path);
    return path;
  }();
  const std::string path = (folder / ("input" + suffix)).string();
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char *>(data),
                                                                  static_cast<std::streamsize>(size));
  return path;
}

} // namespace cradl_fuzz

#endif
