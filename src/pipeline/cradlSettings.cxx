#include "cradlSettings.h"

#include "cradlThreads.h"

#include <algorithm>
#include <iomanip>
#include <limits>
#include <set>
#include <sstream>
#include <stdexcept>

namespace cradl_pipeline
{

namespace
{
using Json = nlohmann::json;
using C = PipelineConfig;

const std::vector<std::string> Scoring{ "select", "score" };
const std::vector<std::string> EveryStage{ "train", "fit", "select", "score" };

[[noreturn]] void
refuse(const std::string & key, const std::string & wanted, const Json & value)
{
  throw std::runtime_error("configuration: '" + key + "' must be " + wanted + ", got " + value.dump());
}

// The largest value an unsigned setting holds: a range's "no maximum" for integers.
constexpr double LargestInteger = 4294967295.0;

std::string
rangeText(const Setting & setting)
{
  const auto & range = setting.range;
  std::ostringstream text;
  text << std::setprecision(15) << (range.minimumAllowed ? ">= " : "> ") << range.minimum; // 0, 15, 1e-06: as written
  if (range.maximum < LargestInteger)
    text << " and <= " << range.maximum;
  return text.str();
}

// Typed reads that refuse what a silent conversion would turn into nonsense
// (-1 threads as 4294967295, "3" as a sigma).
bool
inRange(const Setting & setting, double value)
{
  return setting.range.contains(value);
}

// A row of an ITK stage's setting: help, range and choices from its declaration.
Setting
declared(const cradl::SettingDeclaration & declaration, const char * flag, std::vector<std::string> stages,
         Setting::Field field, const char * key = nullptr)
{
  Setting row{ key ? key : declaration.key, flag, declaration.help, std::move(stages), field };
  row.range = declaration.range;
  if (declaration.type == cradl::SettingType::Integer || declaration.type == cradl::SettingType::Integers)
    row.range.maximum = std::min(row.range.maximum, LargestInteger);
  row.choices = declaration.choices;
  row.mayBeEmpty = declaration.mayBeEmpty;
  row.declaration = &declaration;
  return row;
}

Setting
nonEmpty(Setting row)
{
  row.mayBeEmpty = false;
  return row;
}

const cradl::SettingDeclaration &
trainer(const char * name)
{
  return cradl::declarationNamed(cradl::trainerSettingDeclarations(), name);
}

const cradl::SettingDeclaration &
fitter(const char * name)
{
  return cradl::declarationNamed(cradl::fitterSettingDeclarations(), name);
}

const cradl::SettingDeclaration &
scoring(const char * name)
{
  return cradl::declarationNamed(cradl::scoringSettingDeclarations(), name);
}

void
read(const Setting & setting, const Json & value, C & config)
{
  const std::string key = setting.key;
  std::visit(
    [&](auto member) {
      using T = std::decay_t<decltype(config.*member)>;
      if constexpr (std::is_same_v<T, std::string>)
      {
        if (!value.is_string())
          refuse(key, "a string", value);
        const auto & choices = setting.choices;
        if (!choices.empty() && std::find(choices.begin(), choices.end(), value.get<std::string>()) == choices.end())
        {
          std::string allowed;
          for (const auto & choice : choices)
            allowed += (allowed.empty() ? "\"" : " or \"") + choice + "\"";
          refuse(key, allowed, value);
        }
        config.*member = value.get<std::string>();
      }
      else if constexpr (std::is_same_v<T, unsigned int>)
      {
        if (!value.is_number_unsigned() || !inRange(setting, static_cast<double>(value.get<uint64_t>())))
          refuse(key, "an integer " + rangeText(setting), value);
        config.*member = value.get<unsigned int>();
      }
      else if constexpr (std::is_same_v<T, double>)
      {
        if (!value.is_number() || !inRange(setting, value.get<double>()))
          refuse(key, "a number " + rangeText(setting), value);
        config.*member = value.get<double>();
      }
      else if constexpr (std::is_same_v<T, bool>)
      {
        if (!value.is_boolean())
          refuse(key, "true or false", value);
        config.*member = value.get<bool>();
      }
      else if constexpr (std::is_same_v<T, std::vector<double>>)
      {
        const std::string wanted = "a list of numbers " + rangeText(setting);
        if (!value.is_array())
          refuse(key, wanted, value);
        T list;
        for (const auto & item : value)
        {
          if (!item.is_number() || !inRange(setting, item.get<double>()))
            refuse(key, wanted, value);
          list.push_back(item.get<double>());
        }
        config.*member = list;
      }
      else
      {
        const std::string wanted =
          std::string(setting.mayBeEmpty ? "a list of integers " : "a non-empty list of integers ") + rangeText(setting);
        if (!value.is_array() || (value.empty() && !setting.mayBeEmpty))
          refuse(key, wanted, value);
        T list;
        for (const auto & item : value)
        {
          if (!item.is_number_unsigned() || !inRange(setting, static_cast<double>(item.get<uint64_t>())))
            refuse(key, wanted, value);
          list.push_back(item.get<unsigned int>());
        }
        config.*member = list;
      }
    },
    setting.field);
}

Json
valueOf(const Setting & setting, const C & config)
{
  return std::visit([&](auto member) { return Json(config.*member); }, setting.field);
}
} // namespace

const std::vector<Setting> &
settingsTable()
{
  static const std::vector<Setting> table = [] {
    const auto unbounded = cradl::AtLeast(0);
    const auto below = [](double maximum) { return cradl::Between(0, maximum); };
    std::vector<Setting> rows{
      { "train", "--train", "training manifest (healthy scans)", {}, &C::train },
      { "val", "--val", "validation manifest (labelled: chooses the mixture, sets the threshold)", {}, &C::validation },
      { "test", "--test", "test manifest (scored and evaluated)", {}, &C::test },
      { "out", "--out", "output folder", {}, &C::out },
      { "device", "--device", "cpu, cuda or cuda:N", {}, &C::device },
      // The runtime's own bound (4 per core of this process's CPU affinity), so both refuse alike.
      { "threads", "--threads", "threads (0 = all cores; at most 4 per core)", {}, &C::threads,
        below(cradl::maximumComputeThreads()) },
      { "seed", "--seed", "seed of training and of EM's initialisation", { "train", "fit" }, &C::seed },
      { "nan_policy", "--nan-policy", "NaN/inf voxels in a brain mask: error or zero", EveryStage, &C::nanPolicy,
        unbounded, { "error", "zero" } },
      declared(trainer("SliceSize"), "--slice-size", { "train" }, &C::sliceSize),
      declared(trainer("NumberOfFilters"), "--nf", { "train" }, &C::nf),
      declared(trainer("RepresentationSize"), "--nz", { "train" }, &C::nz),
      declared(trainer("NumberOfEpochs"), "--epochs", { "train" }, &C::epochs),
      declared(trainer("BatchSize"), "--batch", { "train" }, &C::batch, "batch"),
      declared(trainer("WarmupEpochs"), "--warmup-epochs", { "train" }, &C::warmupEpochs),
      declared(trainer("LearningRate"), "--lr", { "train" }, &C::learningRate),
      declared(trainer("MixedPrecision"), "--mixed-precision", { "train" }, &C::mixedPrecision),
      declared(fitter("ComponentCandidates"), "--components", { "fit" }, &C::components),
      declared(fitter("Tolerance"), "--tol", { "fit" }, &C::tolerance),
      // The tool's patch and fused maps need a patch density: its list of layers may not be empty.
      nonEmpty(declared(fitter("PatchDensityLayers"), "--patch-layers", { "fit" }, &C::patchLayers)),
      declared(fitter("PatchPositionGrid"), "--patch-grid", { "fit" }, &C::patchGrid),
      declared(fitter("PatchDepthBins"), "--patch-depth-bins", { "fit" }, &C::patchDepthBins),
      declared(fitter("PatchPriorWeight"), "--patch-prior-weight", { "fit" }, &C::patchPriorWeight),
      declared(fitter("CovarianceRegularization"), "--reg", { "fit" }, &C::regularization),
      declared(fitter("Initialization"), "--init", { "fit" }, &C::initialization),
      { "score_mode", "--score-mode",
        "the map: gradient (the paper's), patch (feature density, forward only), fused (both and the intensity "
        "deviation, each standardised on the scan's brain) or auto (select chooses by validation AUPRC)",
        Scoring, &C::scoreMode, unbounded, { "gradient", "patch", "fused", "auto" } },
      declared(scoring("MedianRadius"), "--median-radius", Scoring, &C::medianRadius),
      declared(scoring("GaussianSigma"), "--sigma", Scoring, &C::sigma, "sigma"),
      declared(scoring("GaussianRadius"), "--gaussian-radius", Scoring, &C::gaussianRadius),
      declared(scoring("MixedPrecision"), "--score-mixed-precision", Scoring, &C::scoreMixedPrecision,
               "score_mixed_precision"),
      { "select_sigmas", "--select-sigmas",
        "with --score-mode auto, the Gaussian sigmas select tries (each map scored once); empty: --sigma only",
        { "select" }, &C::selectSigmas,
        cradl::Between(cradl::limits::MinimumGaussianSigma, cradl::limits::MaximumGaussianSigma) },
      { "threshold_quantile", "--threshold-quantile",
        "quantile of healthy validation scores used as label-free threshold", {}, &C::thresholdQuantile,
        cradl::Fraction() },
    };
    return rows;
  }();
  return table;
}

nlohmann::json
settingsTableJson()
{
  static const char * typeNames[] = { "string", "integer", "number", "boolean", "integers", "numbers" };
  const PipelineConfig defaults;
  Json                 table = Json::array();
  for (const auto & setting : settingsTable())
  {
    Json row{ { "key", setting.key },
              { "flag", setting.flag },
              { "type", typeNames[setting.field.index()] },
              { "default", valueOf(setting, defaults) },
              { "stages", setting.stages },
              { "help", setting.help } };
    if (setting.field.index() == 0)
      row["choices"] = setting.choices;
    else if (setting.field.index() != 3)
      row.update({ { "minimum", setting.range.minimum },
                   { "minimum_allowed", setting.range.minimumAllowed },
                   { "maximum", std::min(setting.range.maximum, std::numeric_limits<double>::max()) } });
    if (setting.declaration)
      row["declared_by"] = std::string(setting.declaration->owner) + "::" + setting.declaration->name;
    table.push_back(row);
  }
  return table;
}

nlohmann::json
PipelineConfig::toJson() const
{
  Json json = Json::object();
  for (const auto & setting : settingsTable())
    json[setting.key] = valueOf(setting, *this);
  return json;
}

nlohmann::json
PipelineConfig::settingsOf(const std::string & stage) const
{
  Json json = Json::object();
  for (const auto & setting : settingsTable())
    if (std::find(setting.stages.begin(), setting.stages.end(), stage) != setting.stages.end())
      json[setting.key] = valueOf(setting, *this);
  return json;
}

nlohmann::json
PipelineConfig::valuesDeclaredBy(const std::vector<cradl::SettingDeclaration> & declarations) const
{
  Json json = Json::object();
  for (const auto & setting : settingsTable())
    if (setting.declaration && setting.declaration >= declarations.data() &&
        setting.declaration < declarations.data() + declarations.size())
      json[setting.declaration->name] = valueOf(setting, *this);
  return json;
}

void
PipelineConfig::update(const nlohmann::json & json)
{
  if (!json.is_object())
    throw std::runtime_error("configuration: expected a JSON object of settings, got " + json.dump().substr(0, 80));
  const auto & table = settingsTable();
  for (const auto & item : json.items())
  {
    const std::string key = item.key(); // a named copy: lambdas cannot capture structured bindings in C++17
    if (std::none_of(table.begin(), table.end(), [&](const Setting & s) { return key == s.key; }))
      throw std::runtime_error("configuration: unknown key '" + key + "'");
  }
  // All or nothing: a refused value leaves this config as it was.
  PipelineConfig updated = *this;
  for (const auto & setting : table)
    if (json.contains(setting.key))
      read(setting, json.at(setting.key), updated);
  *this = updated;
}

void
PipelineConfig::updateFromText(const std::string & text, const std::string & origin)
{
  // JSON allows a key twice and nlohmann keeps the last: refused instead,
  // since one of the two values is then silently ignored.
  std::vector<std::set<std::string>> keysOfOpenObjects;
  std::string                        repeated;
  const auto                         noteKeys = [&](int, Json::parse_event_t event, Json & parsed) {
    if (event == Json::parse_event_t::object_start)
      keysOfOpenObjects.emplace_back();
    else if (event == Json::parse_event_t::object_end && !keysOfOpenObjects.empty())
      keysOfOpenObjects.pop_back();
    else if (event == Json::parse_event_t::key && !keysOfOpenObjects.empty() &&
             !keysOfOpenObjects.back().insert(parsed.get<std::string>()).second && repeated.empty())
      repeated = parsed.get<std::string>();
    return true;
  };
  const Json json = Json::parse(text, noteKeys, /*allow_exceptions=*/false);
  if (json.is_discarded())
    throw std::runtime_error("'" + origin + "' is not valid JSON: check it with python3 -m json.tool");
  if (!repeated.empty())
    throw std::runtime_error("'" + origin + "': key '" + repeated + "' is given twice: keep one");
  try
  {
    update(json);
  }
  catch (const std::runtime_error & error)
  {
    throw std::runtime_error("'" + origin + "': " + error.what());
  }
}

} // namespace cradl_pipeline
