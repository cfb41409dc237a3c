#ifndef cradlPipelineConfig_h
#define cradlPipelineConfig_h

// The main job's settings: defaults, a JSON config file, and flags on top.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace cradl_cli
{

struct PipelineConfig
{
  // Data and output.
  std::string train;
  std::string validation;
  std::string test;
  std::string out = "cradl-out";
  // Compute.
  std::string  device = "cpu";
  unsigned int threads = 0;
  unsigned int seed = 0;
  // NaN or infinite voxels inside a brain mask: "error" or "zero".
  std::string nanPolicy = "error";
  // Stage 1 (the paper's defaults).
  unsigned int sliceSize = 128;
  unsigned int nf = 64;
  unsigned int nz = 512;
  unsigned int epochs = 100;
  unsigned int batch = 64;
  unsigned int warmupEpochs = 10;
  double       learningRate = 1e-4;
  bool         mixedPrecision = true;
  // Stage 2.
  std::vector<unsigned int> components{ 1 };
  double                    tolerance = 1e-2;
  double                    regularization = 1e-5;
  std::string               initialization = "kmeans++";
  // Scoring.
  unsigned int medianRadius = 2;
  double       sigma = 3.0;
  unsigned int gaussianRadius = 3;
  bool         scoreMixedPrecision = false;
  // Label-free threshold: this quantile of healthy validation scores.
  double thresholdQuantile = 0.99;
  // Re-run finished stages.
  bool force = false;

  nlohmann::json
  toJson() const;
  /** Values of `json` override this config's; unknown keys, values of the
   *  wrong type and values out of range are errors (std::runtime_error). */
  void
  update(const nlohmann::json & json);
  /** update() from a JSON text; `origin` names it in error messages. */
  void
  updateFromText(const std::string & text, const std::string & origin);
};

} // namespace cradl_cli

#endif
