#ifndef cradlMachine_h
#define cradlMachine_h

// What a stage ran on, for its record and the report: the CPU (model,
// cores, the vector units that decide its speed), the GPUs nvidia-smi
// lists, and the software versions.

#include <nlohmann/json.hpp>

namespace cradl_pipeline
{

nlohmann::json
describeMachine();

} // namespace cradl_pipeline

#endif
