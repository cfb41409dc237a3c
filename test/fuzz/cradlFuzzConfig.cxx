// libFuzzer target: the main job's JSON config reader (parse, keys, types, ranges).
#include "cradlSettings.h"

#include <cstdint>
#include <stdexcept>
#include <string>

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t * data, std::size_t size)
{
  cradl_pipeline::PipelineConfig config;
  try
  {
    config.updateFromText(std::string(reinterpret_cast<const char *>(data), size), "fuzz.json");
  }
  catch (const std::runtime_error &)
  {
  }
  return 0;
}
