#ifndef cradlPipeline_h
#define cradlPipeline_h

// The main job's stages (train, fit, score, evaluate) and their settings;
// `cradl run` chains them, each subcommand runs one.

#include "cradlPipelineConfig.h"

#include <nlohmann/json.hpp>

#include <string>

namespace cradl_cli
{

std::string
encoderPath(const PipelineConfig & config);
std::string
mixturePath(const PipelineConfig & config);

void
trainStage(const PipelineConfig & config);
void
fitStage(const PipelineConfig & config);
/** Scores every scan of `manifest` into OUT/maps, OUT/slices and OUT/scores.csv. */
void
scoreStage(const PipelineConfig & config, const std::string & manifest);
/** Metrics of OUT/maps against the labels of `manifest`; writes OUT/metrics.json. */
nlohmann::json
evaluateStage(const PipelineConfig & config, const std::string & manifest);

} // namespace cradl_cli

#endif
