#include "cradlMetricsJson.h"

#include "itkCradlRankingAccumulator.h"

namespace cradl_pipeline
{

nlohmann::json
rankingJson(const itk::CradlRankingMetrics & metrics)
{
  nlohmann::json fields = nlohmann::json::object();
  itk::CradlVisitMetricFields(metrics, [&](const char * key, auto value) { fields[key] = value; });
  return fields;
}

nlohmann::json
evaluationJson(const itk::AnomalyMapEvaluator::Metrics & m)
{
  nlohmann::json metrics;
  metrics["cradl"] = rankingJson(m.Pixels);
  metrics["cradl_slice"] = rankingJson(m.Slices);
  metrics["baseline_abs_zscore"] = rankingJson(m.BaselinePixels);
  metrics["cradl_brain_only"] = rankingJson(m.PixelsInBrain);
  metrics["baseline_brain_only"] = rankingJson(m.BaselinePixelsInBrain);
  if (m.Thresholded)
    metrics["label_free_threshold"] = { { "value", m.Threshold }, { "dice", m.Dice } };
  for (const auto & kind : m.Kinds)
    metrics["per_kind"][kind.Name] = { { "cradl_brain_only", rankingJson(kind.PixelsInBrain) },
                                       { "baseline_brain_only", rankingJson(kind.BaselinePixelsInBrain) } };
  return metrics;
}

} // namespace cradl_pipeline
