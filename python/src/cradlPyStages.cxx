// cradl._cradl: the models, scoring, training, fitting and selection (each
// with its settings from the declarations), the one-call pipeline.
#include "cradlPyShared.h"

#include "cradlPipeline.h"
#include "cradlSettings.h"

#include "itkCommand.h"
#include "itkContrastiveEncoderTrainer.h"
#include "itkCradlScanScorer.h"
#include "itkGaussianMixtureFitter.h"
#include "itkMixtureModelSelector.h"

#include <pybind11/functional.h>

#include <functional>
#include <map>

namespace cradl_python
{

namespace
{
// --- Models and scoring -------------------------------------------------------

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
    item["owner"] = row.owner;
    list.append(item);
  }
  return list;
}
} // namespace

void
bindStages(py::module_ & m)
{
  // The stages' declared settings (train_encoder's and fit_mixture's keywords,
  // the scoring recipe's fields: their defaults, ranges and help), and the
  // defaults that belong to no stage's class.
  py::dict declarations;
  declarations["trainer"] = declarationsForPython(cradl::trainerSettingDeclarations());
  declarations["fitter"] = declarationsForPython(cradl::fitterSettingDeclarations());
  declarations["scoring"] = declarationsForPython(cradl::scoringSettingDeclarations());
  m.attr("setting_declarations") = declarations;
  py::dict defaults;
  defaults["select_sigmas"] = py::tuple(py::cast(cradl::defaults::SelectGaussianSigmas));
  defaults["threshold_quantile"] = cradl::defaults::ThresholdQuantile;
  m.attr("defaults") = defaults;

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

  py::class_<itk::CradlScoringSettings> scoring(m, "ScoringSettings");
  scoring.def(py::init<>());
#define cradlPythonScoringField(kind, Name, Type, key, value, constraint, help)                                     \
  scoring.def_readwrite(key, &itk::CradlScoringSettings::Name);
  CRADL_SCORING_SETTINGS(cradlPythonScoringField)
#undef cradlPythonScoringField
  m.def("score", &score, py::arg("encoder"), py::arg("mixture"), py::arg("scan"), py::arg("mask"), py::arg("settings"));
  m.def("train", &train, py::arg("training"), py::arg("validation"), py::arg("settings"), py::arg("progress"));
  m.def("fit_mixture", &fitMixture, py::arg("encoder"), py::arg("scans"), py::arg("settings"));
  m.def("select_mixture", &selectMixture, py::arg("encoder"), py::arg("candidates"), py::arg("validation"),
        py::arg("settings"), py::arg("modes"), py::arg("sigmas"));
  m.def("run_pipeline", &runPipeline, py::arg("config_text"), py::arg("settings_json"), py::arg("force"));
  m.def("run_settings_json", [] { return cradl_pipeline::settingsTableJson().dump(); });
}

} // namespace cradl_python
