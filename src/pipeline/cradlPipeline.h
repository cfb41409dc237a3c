#ifndef cradlPipeline_h
#define cradlPipeline_h

// The main job's stages; `cradl run` (and the Python package's cradl.run)
// chains them, each subcommand runs one:
//   train     healthy scans -> OUT/encoder.pt             (ContrastiveEncoderTrainer)
//   fit       representations -> OUT/candidates/*.pt      (GaussianMixtureFitter)
//   select    validation maps -> OUT/mixture.pt, OUT/validation/  (MixtureModelSelector)
//   score     test scans -> OUT/maps, OUT/slices, OUT/scores.csv (CradlScanScorer)
//   evaluate  maps + labels -> OUT/metrics.json, OUT/report (AnomalyMapEvaluator)
// Each stage skips itself when its record (OUT/.cradl/<stage>.json) matches.

#include "cradlSettings.h"

#include <nlohmann/json.hpp>

#include <string>

namespace cradl_pipeline
{

void
trainStage(const PipelineConfig & config);
void
fitStage(const PipelineConfig & config);
void
selectStage(const PipelineConfig & config);
/** Scores every scan of `manifest` into OUT/maps, OUT/slices and OUT/scores.csv. */
void
scoreStage(const PipelineConfig & config, const std::string & manifest);
/** Metrics of OUT/maps against the labels of `manifest`; writes OUT/metrics.json. */
nlohmann::json
evaluateStage(const PipelineConfig & config, const std::string & manifest);

/** Before anything is written: every manifest `command` ("train", ...,
 *  "run") needs is readable, lists files that exist and at least one scan;
 *  the device is usable; OUT is a folder or absent. Throws saying what is
 *  wrong. */
void
validateInputs(const PipelineConfig & config, const std::string & command);

/** Before any stage: removes the temporaries an interrupted run left in OUT
 *  and, with `recordsConfig`, writes OUT/config.json. */
void
prepareOutput(const PipelineConfig & config, bool recordsConfig);
/** `cradl run` after prepareOutput: every stage in turn (finished ones skip
 *  themselves); returns metrics.json's content. */
nlohmann::json
runStages(const PipelineConfig & config);
/** The one-call pipeline (the Python package's `cradl.run`): validateInputs,
 *  prepareOutput with the config recorded, then runStages. */
nlohmann::json
runPipeline(const PipelineConfig & config);

} // namespace cradl_pipeline

#endif
