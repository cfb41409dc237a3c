// The `cradl` Python package's compiled part (`cradl._cradl`): the module's
// public C++ API over images that cross as buffers (cradlPyImage.h). Long
// calls release the GIL; itk::ExceptionObject arrives as cradl.Error with the
// module's message.

#include "cradlPyImage.h"

#include "cradlMetricsJson.h"
#include "cradlPipeline.h"

#include "itkAUPRCMetric.h"
#include "itkAnomalyMapEvaluator.h"
#include "itkAnomalyMapFusionImageFilter.h"
#include "itkLabelFreeThresholdCalculator.h"
#include "itkCommand.h"
#include "itkContrastiveEncoderModel.h"
#include "itkContrastiveEncoderTrainer.h"
#include "itkGaussianMixtureFitter.h"
#include "itkMixtureModelSelector.h"
#include "itkRepresentationNLLGradientImageFilter.h"
#include "itkRepresentationPatchDensityImageFilter.h"
#include "itkCradlDatasetBuilder.h"
#include "itkCradlPreprocessImageFilter.h"
#include "itkCradlRuntime.h"
#include "itkCradlScanScorer.h"
#include "itkGaussianMixtureModel.h"
#include "itkIntensityZScoreImageFilter.h"
#include "itkMedianGaussianPostprocessImageFilter.h"
#include "itkSliceMapToScanImageFilter.h"
#include "itkVersion.h"

#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include <functional>
#include <map>

namespace py = pybind11;
using cradl_python::Byte2;
using cradl_python::Byte3;
using cradl_python::Float2;
using cradl_python::Float3;
using cradl_python::PyImage;

namespace
{

template <typename TImage>
typename TImage::Pointer
detached(TImage * image)
{
  typename TImage::Pointer kept = image;
  kept->DisconnectPipeline();
  return kept;
}

// A mask argument: None, or a uint8 image of the scan's dimension.
template <typename TMask>
typename TMask::Pointer
optionalMask(const std::optional<PyImage> & mask)
{
  return mask ? mask->As<TMask>("mask") : nullptr;
}

// --- Preprocessing and its inverse ------------------------------------------

template <typename TScan, typename TMask>
py::tuple
preprocessAs(const PyImage & scan, const std::optional<PyImage> & mask, unsigned int sliceSize, double clipMinimum,
             double clipMaximum, bool preserveAspectRatio)
{
  const auto input = scan.As<TScan>("scan");
  const auto brain = optionalMask<TMask>(mask);
  auto       filter = itk::CradlPreprocessImageFilter<TScan, TMask>::New();
  {
    py::gil_scoped_release release;
    filter->SetInput(input);
    if (brain)
      filter->SetMaskImage(brain);
    itk::Size<2> size;
    size.Fill(sliceSize);
    filter->SetSliceSize(size);
    filter->SetClipMinimum(clipMinimum);
    filter->SetClipMaximum(clipMaximum);
    filter->SetPreserveAspectRatio(preserveAspectRatio);
    filter->Update();
  }
  return py::make_tuple(PyImage(detached(filter->GetOutput())), PyImage(detached(filter->GetMaskOutput())));
}

py::tuple
preprocess(const PyImage & scan, const std::optional<PyImage> & mask, unsigned int sliceSize, double clipMinimum,
           double clipMaximum, bool preserveAspectRatio)
{
  if (scan.Dimension() == 2)
    return preprocessAs<Float2, Byte2>(scan, mask, sliceSize, clipMinimum, clipMaximum, preserveAspectRatio);
  return preprocessAs<Float3, Byte3>(scan, mask, sliceSize, clipMinimum, clipMaximum, preserveAspectRatio);
}

template <typename TMap, typename TMask>
PyImage
sliceMapToScanAs(const PyImage & map, const PyImage & reference, const std::optional<PyImage> & mask)
{
  const auto input = map.As<TMap>("map");
  const auto brain = optionalMask<TMask>(mask);
  auto       filter = itk::SliceMapToScanImageFilter<TMap, TMap, TMask>::New();
  // The reference gives only the grid: any pixel type, as a float image of its geometry.
  auto grid = TMap::New();
  {
    typename TMap::SizeType size;
    const auto              buffer = reference.Buffer();
    for (unsigned int axis = 0; axis < TMap::ImageDimension; ++axis)
      size[axis] = static_cast<itk::SizeValueType>(buffer.shape[TMap::ImageDimension - 1 - axis]);
    grid->SetRegions(size);
    typename TMap::SpacingType   spacing;
    typename TMap::PointType     origin;
    typename TMap::DirectionType direction;
    const auto                   s = reference.Spacing(), o = reference.Origin();
    const auto                   d = reference.Direction();
    for (unsigned int axis = 0; axis < TMap::ImageDimension; ++axis)
    {
      spacing[axis] = s[axis];
      origin[axis] = o[axis];
      for (unsigned int column = 0; column < TMap::ImageDimension; ++column)
        direction[axis][column] = d[axis][column];
    }
    grid->SetSpacing(spacing);
    grid->SetOrigin(origin);
    grid->SetDirection(direction);
  }
  {
    py::gil_scoped_release release;
    filter->SetInput(input);
    filter->SetReferenceImage(grid);
    if (brain)
      filter->SetMaskImage(brain);
    filter->Update();
  }
  return PyImage(detached(filter->GetOutput()));
}

PyImage
sliceMapToScan(const PyImage & map, const PyImage & reference, const std::optional<PyImage> & mask)
{
  if (map.Dimension() != reference.Dimension())
    throw std::invalid_argument("the map and the reference scan must have the same dimension");
  if (map.Dimension() == 2)
    return sliceMapToScanAs<Float2, Byte2>(map, reference, mask);
  return sliceMapToScanAs<Float3, Byte3>(map, reference, mask);
}

// --- Post-processing and the intensity baseline -----------------------------

template <typename TImage, typename TMask>
PyImage
postprocessAs(const PyImage & map, const std::optional<PyImage> & mask, unsigned int medianRadius, double sigma,
              unsigned int gaussianRadius)
{
  const auto input = map.As<TImage>("map");
  const auto brain = optionalMask<TMask>(mask);
  auto       filter = itk::MedianGaussianPostprocessImageFilter<TImage, TMask>::New();
  {
    py::gil_scoped_release release;
    filter->SetInput(input);
    if (brain)
      filter->SetMaskImage(brain);
    filter->SetMedianRadius(medianRadius);
    filter->SetGaussianSigma(sigma);
    filter->SetGaussianRadius(gaussianRadius);
    filter->Update();
  }
  return PyImage(detached(filter->GetOutput()));
}

PyImage
postprocess(const PyImage & map, const std::optional<PyImage> & mask, unsigned int medianRadius, double sigma,
            unsigned int gaussianRadius)
{
  if (map.Dimension() == 2)
    return postprocessAs<Float2, Byte2>(map, mask, medianRadius, sigma, gaussianRadius);
  return postprocessAs<Float3, Byte3>(map, mask, medianRadius, sigma, gaussianRadius);
}

template <typename TImage, typename TMask>
PyImage
intensityZScoreAs(const PyImage & scan, const std::optional<PyImage> & mask)
{
  const auto input = scan.As<TImage>("scan");
  const auto brain = optionalMask<TMask>(mask);
  auto       filter = itk::IntensityZScoreImageFilter<TImage, TMask>::New();
  {
    py::gil_scoped_release release;
    filter->SetInput(input);
    if (brain)
      filter->SetMaskImage(brain);
    filter->Update();
  }
  return PyImage(detached(filter->GetOutput()));
}

PyImage
intensityZScore(const PyImage & scan, const std::optional<PyImage> & mask)
{
  if (scan.Dimension() == 2)
    return intensityZScoreAs<Float2, Byte2>(scan, mask);
  return intensityZScoreAs<Float3, Byte3>(scan, mask);
}

// --- Models and scoring -------------------------------------------------------

struct EncoderModel
{
  itk::ContrastiveEncoderModel::ConstPointer model;
};

struct MixtureModel
{
  itk::GaussianMixtureModel::ConstPointer model;
};

py::dict
score(const EncoderModel & encoder, const MixtureModel & mixture, const PyImage & scan,
      const std::optional<PyImage> & mask, const itk::CradlScoringSettings & settings)
{
  const auto                      input = scan.As<Float3>("scan");
  const auto                      brain = optionalMask<Byte3>(mask);
  itk::CradlScanScorer::Result    result;
  {
    py::gil_scoped_release release;
    auto                   scorer = itk::CradlScanScorer::New();
    scorer->SetEncoder(encoder.model);
    scorer->SetMixture(mixture.model);
    scorer->SetSettings(settings);
    result = scorer->Score(input, brain);
  }
  py::dict out;
  out["anomaly_map"] = PyImage(result.AnomalyMap);
  out["raw_map"] = PyImage(result.RawMap);
  out["slice_map"] = PyImage(result.SliceMap);
  out["slice_nll"] = result.SliceNLL;
  py::dict components;
  for (const auto & [name, image] : result.Components)
    components[py::str(name)] = PyImage(image);
  out["components"] = components;
  return out;
}

// --- Training, fitting, selection ------------------------------------------------

using ScanPair = std::pair<PyImage, std::optional<PyImage>>;

// Keyword settings onto an object's setters: one entry per snake_case name.
template <typename TObject>
using SetterTable = std::map<std::string, std::function<void(TObject &, const py::handle &)>>;

template <typename TObject>
void
applySettings(TObject & object, const SetterTable<TObject> & table, const py::dict & settings, const char * what)
{
  for (const auto & [key, value] : settings)
  {
    const auto name = py::cast<std::string>(key);
    const auto setter = table.find(name);
    if (setter == table.end())
    {
      std::string known;
      for (const auto & entry : table)
        known += (known.empty() ? "" : ", ") + entry.first;
      throw std::invalid_argument(std::string(what) + " has no setting '" + name + "' (it has: " + known + ")");
    }
    setter->second(object, value);
  }
}

// A declared setting (cradlSettingDeclarations.h) as a keyword: its key, and its Set<Name>.
#define cradlPythonSetter(kind, Name, Type, key, value, constraint, help)                                            \
  { key, [](auto & object, const py::handle & given) { object.Set##Name(py::cast<Type>(given)); } },

// Calls a Python progress callback from an ITK IterationEvent with the GIL
// held; a False return, an exception or Ctrl-C aborts the filter, and the
// Python exception (if any) is raised again after the filter stopped.
class ProgressBridge
{
public:
  ProgressBridge(itk::ProcessObject * filter, py::object callback, std::function<py::dict()> report)
    : m_Filter(filter)
    , m_Callback(std::move(callback))
    , m_Report(std::move(report))
  {
    auto command = itk::SimpleMemberCommand<ProgressBridge>::New();
    command->SetCallbackFunction(this, &ProgressBridge::Observe);
    m_Tag = filter->AddObserver(itk::IterationEvent(), command);
  }
  ~ProgressBridge() { m_Filter->RemoveObserver(m_Tag); }

  /** Runs `update` without the GIL; rethrows a callback's exception. */
  void
  Run(const std::function<void()> & update)
  {
    try
    {
      py::gil_scoped_release release;
      update();
    }
    catch (const itk::ProcessAborted &)
    {
      if (m_Error)
        throw *m_Error;
      throw;
    }
  }

private:
  void
  Observe()
  {
    py::gil_scoped_acquire acquire;
    try
    {
      if (PyErr_CheckSignals() != 0)
        throw py::error_already_set();
      if (!m_Callback.is_none() && m_Callback(m_Report()).equal(py::bool_(false)))
        m_Filter->AbortGenerateDataOn();
    }
    catch (py::error_already_set & error)
    {
      m_Error = std::make_shared<py::error_already_set>(std::move(error));
      m_Filter->AbortGenerateDataOn();
    }
  }

  itk::ProcessObject *                    m_Filter;
  py::object                              m_Callback;
  std::function<py::dict()>               m_Report;
  std::shared_ptr<py::error_already_set>  m_Error;
  unsigned long                           m_Tag = 0;
};

EncoderModel
train(const std::vector<ScanPair> & training, const std::vector<ScanPair> & validation, const py::dict & settings,
      const py::object & progress)
{
  using Trainer = itk::ContrastiveEncoderTrainer;
  static const SetterTable<Trainer> table{ CRADL_TRAINER_SETTINGS(cradlPythonSetter) };
  auto trainer = Trainer::New();
  applySettings(*trainer, table, settings, "training");
  std::vector<itk::DataObject::Pointer> kept; // the scans live until training ends
  const auto add = [&](const std::vector<ScanPair> & scans, bool isValidation) {
    for (const auto & [scan, mask] : scans)
    {
      const auto image = scan.As<Float3>("scan");
      const auto brain = optionalMask<Byte3>(mask);
      kept.push_back(image.GetPointer());
      if (brain)
        kept.push_back(brain.GetPointer());
      if (isValidation)
        trainer->AddValidationScan(image, brain);
      else
        trainer->AddTrainingScan(image, brain);
    }
  };
  add(training, false);
  add(validation, true);
  Trainer * t = trainer.GetPointer();
  ProgressBridge bridge(t, progress, [t]() {
    py::dict report;
    report["epoch"] = t->GetCurrentEpoch();
    report["step"] = t->GetCurrentStep();
    report["steps_per_epoch"] = t->GetStepsPerEpoch();
    report["loss"] = t->GetCurrentLoss();
    report["learning_rate"] = t->GetCurrentLearningRate();
    report["views_per_second"] = t->GetViewsPerSecond();
    report["validation_loss"] = t->GetLastValidationLoss();
    report["progress"] = t->GetProgress();
    return report;
  });
  bridge.Run([&]() { trainer->Update(); });
  return EncoderModel{ trainer->GetOutput() };
}

py::dict
fitMixture(const EncoderModel & encoder, const std::vector<ScanPair> & scans, const py::dict & settings)
{
  using Fitter = itk::GaussianMixtureFitter;
  static const SetterTable<Fitter> table{ CRADL_FITTER_SETTINGS(cradlPythonSetter) };
  auto fitter = Fitter::New();
  applySettings(*fitter, table, settings, "fitting");
  fitter->SetEncoder(encoder.model);
  std::vector<itk::DataObject::Pointer> kept;
  for (const auto & [scan, mask] : scans)
  {
    const auto image = scan.As<Float3>("scan");
    const auto brain = optionalMask<Byte3>(mask);
    kept.push_back(image.GetPointer());
    fitter->AddScan(image, brain);
    if (brain)
      kept.push_back(brain.GetPointer());
  }
  {
    py::gil_scoped_release release;
    fitter->Update();
  }
  py::list candidates;
  for (unsigned int i = 0; i < fitter->GetCandidates().size(); ++i)
  {
    const auto & c = fitter->GetCandidates()[i];
    py::dict row;
    row["components"] = c.NumberOfComponents;
    row["iterations"] = c.Iterations;
    row["converged"] = c.Converged;
    row["mean_log_likelihood"] = c.MeanLogLikelihood;
    row["bic"] = c.BIC;
    row["model"] = MixtureModel{ fitter->GetCandidateModel(i) };
    candidates.append(row);
  }
  py::dict out;
  out["model"] = MixtureModel{ fitter->GetOutput() };
  out["candidates"] = candidates;
  return out;
}

using LabelledScan = std::tuple<PyImage, std::optional<PyImage>, PyImage>;

py::dict
selectMixture(const EncoderModel & encoder, const std::vector<MixtureModel> & candidates,
              const std::vector<LabelledScan> & validation, const itk::CradlScoringSettings & settings,
              const std::vector<std::string> & modes, const std::vector<double> & sigmas)
{
  auto selector = itk::MixtureModelSelector::New();
  selector->SetEncoder(encoder.model);
  for (const auto & candidate : candidates)
    selector->AddCandidate(candidate.model);
  std::vector<itk::DataObject::Pointer> kept;
  for (const auto & [scan, mask, label] : validation)
  {
    const auto image = scan.As<Float3>("scan");
    const auto brain = optionalMask<Byte3>(mask);
    const auto truth = label.As<Byte3>("label");
    kept.insert(kept.end(), { image.GetPointer(), truth.GetPointer() });
    if (brain)
      kept.push_back(brain.GetPointer());
    selector->AddValidationScan(image, brain, truth);
  }
  selector->SetScoringSettings(settings);
  if (!modes.empty())
    selector->SetScoringModes(modes);
  if (!sigmas.empty())
    selector->SetGaussianSigmas(sigmas);
  {
    py::gil_scoped_release release;
    selector->Update();
  }
  py::list rows;
  for (const auto & c : selector->GetCandidates())
  {
    py::dict row;
    row["components"] = c.NumberOfComponents;
    row["bic"] = c.BIC;
    row["validation_auprc"] = c.ValidationAUPRC;
    row["scoring_mode"] = c.ScoringMode;
    row["gaussian_sigma"] = c.GaussianSigma;
    rows.append(row);
  }
  py::dict out;
  out["model"] = MixtureModel{ selector->GetOutput() };
  out["rows"] = rows;
  out["selected_index"] = selector->GetSelectedIndex();
  out["settings"] = selector->GetSelectedScoringSettings();
  return out;
}

// --- The one-call pipeline -----------------------------------------------------

std::string
runPipeline(const std::string & configText, const std::string & settingsJson, bool force)
{
  cradl_pipeline::PipelineConfig config;
  if (!configText.empty())
    config.updateFromText(configText, "the config file");
  config.updateFromText(settingsJson, "run()'s settings");
  config.force = force;
  py::gil_scoped_release release;
  return cradl_pipeline::runPipeline(config).dump();
}

// --- Raw maps of 2D slices or 3D volumes (the encoder score filters) --------------

template <typename TImage, typename TMask>
py::tuple
rawMapAs(const EncoderModel & encoder, const MixtureModel & mixture, const PyImage & scan,
         const std::optional<PyImage> & mask, const itk::CradlScoringSettings & settings)
{
  typename itk::CradlEncoderScoreImageFilter<TImage, TMask>::Pointer filter;
  if (settings.Mode == "gradient")
  {
    auto gradient = itk::RepresentationNLLGradientImageFilter<TImage, TMask>::New();
    gradient->SetMixedPrecision(settings.MixedPrecision);
    filter = gradient;
  }
  else if (settings.Mode == "patch")
    filter = itk::RepresentationPatchDensityImageFilter<TImage, TMask>::New();
  else
    throw std::invalid_argument("a raw map is \"gradient\" or \"patch\", not \"" + settings.Mode + "\"");
  const auto input = scan.As<TImage>("scan");
  const auto brain = optionalMask<TMask>(mask);
  {
    py::gil_scoped_release release;
    filter->SetInput(input);
    if (brain)
      filter->SetMaskImage(brain);
    filter->SetEncoder(encoder.model);
    filter->SetMixture(mixture.model);
    filter->SetDevice(settings.Device);
    filter->SetBatchSize(settings.BatchSize);
    filter->Update();
  }
  return py::make_tuple(PyImage(detached(filter->GetOutput())), filter->GetSliceNLL());
}

py::tuple
rawMap(const EncoderModel & encoder, const MixtureModel & mixture, const PyImage & scan,
       const std::optional<PyImage> & mask, const itk::CradlScoringSettings & settings)
{
  if (scan.Dimension() == 2)
    return rawMapAs<Float2, Byte2>(encoder, mixture, scan, mask, settings);
  return rawMapAs<Float3, Byte3>(encoder, mixture, scan, mask, settings);
}

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

// --- Fusion, the label-free threshold, evaluation -------------------------------

template <typename TImage, typename TMask>
PyImage
fuseAs(const std::vector<PyImage> & maps, const std::optional<PyImage> & mask)
{
  auto                              filter = itk::AnomalyMapFusionImageFilter<TImage, TMask>::New();
  std::vector<typename TImage::Pointer> kept;
  for (const auto & map : maps)
    kept.push_back(map.As<TImage>("map"));
  const auto brain = optionalMask<TMask>(mask);
  {
    py::gil_scoped_release release;
    for (unsigned int i = 0; i < kept.size(); ++i)
      filter->SetMap(i, kept[i]);
    if (brain)
      filter->SetMaskImage(brain);
    filter->Update();
  }
  return PyImage(detached(filter->GetOutput()));
}

PyImage
fuse(const std::vector<PyImage> & maps, const std::optional<PyImage> & mask)
{
  if (maps.empty())
    throw std::invalid_argument("give at least one map to fuse");
  if (maps.front().Dimension() == 2)
    return fuseAs<Float2, Byte2>(maps, mask);
  return fuseAs<Float3, Byte3>(maps, mask);
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

// A model file's class: load and save without the GIL.
template <typename THolder, typename TModel>
py::class_<THolder>
bindModel(py::module_ & m, const char * name)
{
  return py::class_<THolder>(m, name)
    .def_static(
      "load",
      [](const std::string & path) {
        py::gil_scoped_release release;
        return THolder{ TModel::Load(path) };
      },
      py::arg("path"))
    .def(
      "save",
      [](const THolder & self, const std::string & path) {
        py::gil_scoped_release release;
        self.model->Save(path);
      },
      py::arg("path"));
}

} // namespace

namespace
{
// Declarations as Python dicts: name, key, type, default, range or choices, help.
py::list
declarationsForPython(const std::vector<cradl::SettingDeclaration> & rows)
{
  static const char * typeNames[] = { "integer", "number", "boolean", "string", "integers" };
  py::list list;
  for (const auto & row : rows)
  {
    py::dict item;
    item["name"] = row.name;
    item["key"] = row.key;
    item["type"] = typeNames[static_cast<int>(row.type)];
    switch (row.type)
    {
      case cradl::SettingType::Integer:
        item["default"] = static_cast<unsigned long long>(row.defaultNumber);
        break;
      case cradl::SettingType::Boolean:
        item["default"] = row.defaultNumber != 0.0;
        break;
      case cradl::SettingType::Text:
        item["default"] = row.defaultText;
        break;
      case cradl::SettingType::Integers:
      {
        py::list values;
        for (const double value : row.defaultList)
          values.append(static_cast<unsigned long long>(value));
        item["default"] = values;
        break;
      }
      default:
        item["default"] = row.defaultNumber;
    }
    item["minimum"] = row.range.minimum;
    item["minimum_allowed"] = row.range.minimumAllowed;
    item["maximum"] = row.range.maximum;
    item["may_be_empty"] = row.mayBeEmpty;
    item["choices"] = row.choices;
    item["help"] = row.help;
    list.append(item);
  }
  return list;
}
} // namespace

PYBIND11_MODULE(_cradl, m)
{
  m.doc() = "Cradl's compiled core: images cross as buffers; see the `cradl` package.";
  static py::exception<itk::ExceptionObject> error(m, "Error", PyExc_RuntimeError);
  py::register_exception_translator([](std::exception_ptr thrown) {
    try
    {
      if (thrown)
        std::rethrow_exception(thrown);
    }
    catch (const itk::ExceptionObject & e)
    {
      error(e.GetDescription());
    }
    catch (const std::runtime_error & e) // the pipeline's settings and files: the tool's messages
    {
      error(e.what());
    }
  });
  m.attr("itk_version") = itk::Version::GetITKVersion();
  // The limits every front end refuses past (cradl::limits): the Python
  // filters check them when a parameter is set, as the ITK setters do.
  py::dict limits;
  limits["median_radius"] = cradl::limits::MaximumMedianRadius;
  limits["gaussian_radius"] = cradl::limits::MaximumGaussianRadius;
  limits["gaussian_sigma"] = cradl::limits::MaximumGaussianSigma;
  py::dict lowest;
  lowest["gaussian_sigma"] = cradl::limits::MinimumGaussianSigma;
  m.attr("minimum") = lowest;
  limits["threads_per_core"] = cradl::limits::MaximumThreadsPerCore;
  m.attr("maximum") = limits;
  // The stages' declared settings (train_encoder's and fit_mixture's keywords,
  // their defaults, ranges and help) and the scoring defaults.
  py::dict declarations;
  declarations["trainer"] = declarationsForPython(cradl::trainerSettingDeclarations());
  declarations["fitter"] = declarationsForPython(cradl::fitterSettingDeclarations());
  m.attr("setting_declarations") = declarations;
  py::dict defaults;
  defaults["median_radius"] = cradl::defaults::MedianRadius;
  defaults["gaussian_sigma"] = cradl::defaults::GaussianSigma;
  defaults["gaussian_radius"] = cradl::defaults::GaussianRadius;
  defaults["scoring_batch_size"] = cradl::defaults::ScoringBatchSize;
  defaults["select_sigmas"] = py::tuple(py::cast(cradl::defaults::SelectGaussianSigmas));
  defaults["threshold_quantile"] = cradl::defaults::ThresholdQuantile;
  m.attr("defaults") = defaults;

  py::class_<PyImage>(m, "Image", py::buffer_protocol())
    .def(py::init(&PyImage::FromBuffer), py::arg("pixels"), py::arg("spacing"), py::arg("origin"),
         py::arg("direction"), "A copy of float32 or uint8 pixels (z, y, x) with ITK's (x, y, z) geometry.")
    .def_buffer(&PyImage::Buffer)
    .def_property_readonly("dimension", &PyImage::Dimension)
    .def_property_readonly("spacing", &PyImage::Spacing)
    .def_property_readonly("origin", &PyImage::Origin)
    .def_property_readonly("direction", &PyImage::Direction);

  m.def("preprocess", &preprocess, py::arg("scan"), py::arg("mask"), py::arg("slice_size"), py::arg("clip_minimum"),
        py::arg("clip_maximum"), py::arg("preserve_aspect_ratio"));
  m.def("slice_map_to_scan", &sliceMapToScan, py::arg("map"), py::arg("reference"), py::arg("mask"));
  m.def("postprocess", &postprocess, py::arg("map"), py::arg("mask"), py::arg("median_radius"), py::arg("sigma"),
        py::arg("gaussian_radius"));
  m.def("intensity_zscore", &intensityZScore, py::arg("scan"), py::arg("mask"));

  bindModel<EncoderModel, itk::ContrastiveEncoderModel>(m, "EncoderModel")
    .def_property_readonly("image_size", [](const EncoderModel & self) { return self.model->GetImageSize(); })
    .def_property_readonly("nf", [](const EncoderModel & self) { return self.model->GetNumberOfFilters(); })
    .def_property_readonly("nz", [](const EncoderModel & self) { return self.model->GetRepresentationSize(); })
    .def_property_readonly("clip_minimum", [](const EncoderModel & self) { return self.model->GetClipMinimum(); })
    .def_property_readonly("clip_maximum", [](const EncoderModel & self) { return self.model->GetClipMaximum(); })
    .def_property_readonly("preserve_aspect_ratio",
                           [](const EncoderModel & self) { return self.model->GetPreserveAspectRatio(); })
    .def_property_readonly("completed_epochs", [](const EncoderModel & self) { return self.model->GetCompletedEpochs(); });

  bindModel<MixtureModel, itk::GaussianMixtureModel>(m, "MixtureModel")
    .def_property_readonly("components", [](const MixtureModel & self) { return self.model->GetNumberOfComponents(); })
    .def_property_readonly("dimension", [](const MixtureModel & self) { return self.model->GetDimension(); })
    .def_property_readonly("weights", [](const MixtureModel & self) { return self.model->GetWeights(); })
    .def_property_readonly("bic", [](const MixtureModel & self) { return self.model->GetBIC(); })
    .def_property_readonly("has_patch_density", [](const MixtureModel & self) { return self.model->HasPatchDensity(); })
    .def_property_readonly("selected_scoring_mode",
                           [](const MixtureModel & self) { return self.model->GetSelectedScoringMode(); })
    .def_property_readonly("selected_gaussian_sigma",
                           [](const MixtureModel & self) { return self.model->GetSelectedGaussianSigma(); });

  py::class_<itk::CradlScoringSettings>(m, "ScoringSettings")
    .def(py::init<>())
    .def_readwrite("mode", &itk::CradlScoringSettings::Mode)
    .def_readwrite("device", &itk::CradlScoringSettings::Device)
    .def_readwrite("batch_size", &itk::CradlScoringSettings::BatchSize)
    .def_readwrite("mixed_precision", &itk::CradlScoringSettings::MixedPrecision)
    .def_readwrite("median_radius", &itk::CradlScoringSettings::MedianRadius)
    .def_readwrite("gaussian_sigma", &itk::CradlScoringSettings::GaussianSigma)
    .def_readwrite("gaussian_radius", &itk::CradlScoringSettings::GaussianRadius);
  m.def("raw_map", &rawMap, py::arg("encoder"), py::arg("mixture"), py::arg("scan"), py::arg("mask"),
        py::arg("settings"));
  m.def("score", &score, py::arg("encoder"), py::arg("mixture"), py::arg("scan"), py::arg("mask"), py::arg("settings"));

  m.def("train", &train, py::arg("training"), py::arg("validation"), py::arg("settings"), py::arg("progress"));
  m.def("fit_mixture", &fitMixture, py::arg("encoder"), py::arg("scans"), py::arg("settings"));
  m.def("select_mixture", &selectMixture, py::arg("encoder"), py::arg("candidates"), py::arg("validation"),
        py::arg("settings"), py::arg("modes"), py::arg("sigmas"));
  m.def("run_pipeline", &runPipeline, py::arg("config_text"), py::arg("settings_json"), py::arg("force"));
  m.def("run_settings_json", [] { return cradl_pipeline::settingsTableJson().dump(); });
  m.def("fuse", &fuse, py::arg("maps"), py::arg("mask"));
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
  m.def("cuda_available", &itk::CradlRuntime::IsCudaAvailable);
  m.def("set_number_of_threads", &itk::CradlRuntime::SetNumberOfThreads, py::arg("threads"));
}
