#ifndef cradlMetricsJson_h
#define cradlMetricsJson_h

// Evaluation metrics as JSON, under one set of keys for every front end:
// the tool's OUT/metrics.json and the Python package's cradl.evaluate.

#include "itkAnomalyMapEvaluator.h"

#include <nlohmann/json.hpp>

namespace cradl_pipeline
{

/** One ranking's figures (auprc, auroc, fpr_at_95_tpr, ...: CradlVisitMetricFields). */
nlohmann::json
rankingJson(const itk::CradlRankingMetrics & metrics);

/** An evaluator's metrics: cradl (pooled pixels), cradl_slice, cradl_brain_only,
 *  baseline_abs_zscore, baseline_brain_only, label_free_threshold {value, dice}
 *  when a threshold was given, and per_kind {name: {cradl_brain_only,
 *  baseline_brain_only}} for the kinds present. */
nlohmann::json
evaluationJson(const itk::AnomalyMapEvaluator::Metrics & metrics);

} // namespace cradl_pipeline

#endif
