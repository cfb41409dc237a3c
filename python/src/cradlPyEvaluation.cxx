// cradl._cradl: metrics, the label-free threshold, evaluation (under
// metrics.json's keys) and the default data set.
#include "cradlPyShared.h"

#include "cradlMetricsJson.h"

#include "itkAUPRCMetric.h"
#include "itkAnomalyMapEvaluator.h"
#include "itkCradlDatasetBuilder.h"
#include "itkLabelFreeThresholdCalculator.h"

namespace cradl_python
{

namespace
{
// --- Metrics -------------------------------------------------------------------

// Metrics under the keys of every Cradl output (CradlVisitMetricFields).
py::dict
rankingDict(const itk::CradlRankingMetrics & metrics)
{
  py::dict out;
  itk::CradlVisitMetricFields(metrics, [&](const char * key, auto value) { out[key] = value; });
  return out;
}

py::dict
pixelMetrics(const std::vector<PyImage> & maps, const std::vector<PyImage> & labels,
             const std::vector<std::optional<PyImage>> & masks, bool restrictToMask)
{
  if (maps.empty() || maps.size() != labels.size() || (!masks.empty() && masks.size() != maps.size()))
    throw std::invalid_argument("give as many labels (and masks, if any) as maps, at least one");
  using Metric = itk::AUPRCMetric<Float3>;
  auto metric = Metric::New();
  metric->SetRestrictToMask(restrictToMask);
  std::vector<Float3::Pointer> keptMaps;
  std::vector<Byte3::Pointer>  keptLabels, keptMasks;
  for (std::size_t i = 0; i < maps.size(); ++i)
  {
    keptMaps.push_back(maps[i].As<Float3>("map"));
    keptLabels.push_back(labels[i].As<Byte3>("label"));
    keptMasks.push_back(masks.empty() ? nullptr : optionalMask<Byte3>(masks[i]));
  }
  {
    py::gil_scoped_release release;
    for (std::size_t i = 0; i < maps.size(); ++i)
      metric->AddImages(keptMaps[i], keptLabels[i], keptMasks[i]);
    metric->Compute();
  }
  return rankingDict(metric->GetPixelMetrics());
}

double
labelFreeThreshold(const std::vector<PyImage> & maps, const std::vector<std::optional<PyImage>> & masks,
                   const std::vector<std::optional<PyImage>> & labels, double quantile)
{
  if (maps.size() != masks.size() || maps.size() != labels.size())
    throw std::invalid_argument("give a mask and a label (or None) for every map");
  auto calculator = itk::LabelFreeThresholdCalculator::New();
  calculator->SetQuantile(quantile);
  for (std::size_t i = 0; i < maps.size(); ++i)
    calculator->AddScores(maps[i].As<Float3>("map"), optionalMask<Byte3>(masks[i]), optionalMask<Byte3>(labels[i]));
  py::gil_scoped_release release;
  calculator->Compute();
  return calculator->GetThreshold();
}

// One scan for the evaluator: name, scan, mask, label, map, slice scores, kinds.
using EvaluatedScan = std::tuple<std::string, PyImage, std::optional<PyImage>, PyImage, PyImage, std::vector<double>,
                                 std::optional<PyImage>>;

std::string
evaluate(const std::vector<EvaluatedScan> & scans, std::optional<double> threshold, bool withKinds)
{
  auto evaluator = itk::AnomalyMapEvaluator::New();
  if (withKinds)
    evaluator->SetAnomalyKinds(itk::CradlDatasetBuilder::GetAnomalyKindNames());
  if (threshold)
    evaluator->SetThreshold(*threshold);
  for (const auto & [name, scan, mask, label, map, slices, kinds] : scans)
    evaluator->AddScan(name, scan.As<Float3>("scan"), optionalMask<Byte3>(mask), label.As<Byte3>("label"),
                       map.As<Float3>("map"), slices, optionalMask<Byte3>(kinds));
  {
    py::gil_scoped_release release;
    evaluator->Compute();
  }
  // metrics.json's keys (one serialiser); the Python side parses the text.
  return cradl_pipeline::evaluationJson(evaluator->GetMetrics()).dump();
}

// --- The default data set ---------------------------------------------------

py::dict
makeSubject(unsigned int index, bool withAnomalies, unsigned int seed, double spacing)
{
  itk::CradlDatasetBuilder::Subject subject;
  {
    py::gil_scoped_release release;
    auto                   builder = itk::CradlDatasetBuilder::New();
    builder->SetSeed(seed);
    builder->SetOutputSpacing(spacing);
    subject = builder->MakeSubject(index, withAnomalies);
  }
  py::dict out;
  out["image"] = PyImage(subject.Image);
  out["mask"] = PyImage(subject.Mask);
  out["label"] = PyImage(subject.Label);
  out["kinds"] = PyImage(subject.Kinds);
  return out;
}
} // namespace

void
bindEvaluation(py::module_ & m)
{
  m.def("label_free_threshold", &labelFreeThreshold, py::arg("maps"), py::arg("masks"), py::arg("labels"),
        py::arg("quantile"));
  m.def("evaluate", &evaluate, py::arg("scans"), py::arg("threshold"), py::arg("with_kinds"));
  m.def("pixel_metrics", &pixelMetrics, py::arg("maps"), py::arg("labels"), py::arg("masks"),
        py::arg("restrict_to_mask"));
  m.def("make_subject", &makeSubject, py::arg("index"), py::arg("with_anomalies"), py::arg("seed"),
        py::arg("spacing"));
  m.def("anomaly_kind_names", &itk::CradlDatasetBuilder::GetAnomalyKindNames);
  m.def(
    "write_dataset",
    [](const std::string & folder, unsigned int train, unsigned int validation, unsigned int test, double spacing,
       unsigned int seed, const std::string & heldOutKind) {
      py::gil_scoped_release release;
      auto                   builder = itk::CradlDatasetBuilder::New();
      builder->SetNumberOfTrainingSubjects(train);
      builder->SetNumberOfValidationSubjects(validation);
      builder->SetNumberOfTestSubjects(test);
      builder->SetOutputSpacing(spacing);
      builder->SetSeed(seed);
      builder->SetHeldOutKind(heldOutKind);
      builder->Write(folder);
    },
    py::arg("folder"), py::arg("train"), py::arg("validation"), py::arg("test"), py::arg("spacing"), py::arg("seed"),
    py::arg("held_out_kind"));
}

} // namespace cradl_python
