#include "cradlSettings.h"

#include <algorithm>
#include <iomanip>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

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

std::string
rangeText(const Setting & setting)
{
  std::ostringstream text;
  text << std::setprecision(15) << (setting.minimumAllowed ? ">= " : "> ") << setting.minimum; // 0, 15, 1e-06: as written
  if (setting.maximum < 4294967295.0)
    text << " and <= " << setting.maximum;
  return text.str();
}

// Typed reads that refuse what a silent conversion would turn into nonsense
// (-1 threads as 4294967295, "3" as a sigma).
bool
inRange(const Setting & setting, double value)
{
  return (setting.minimumAllowed ? value >= setting.minimum : value > setting.minimum) && value <= setting.maximum;
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
        const std::string wanted = "a non-empty list of integers " + rangeText(setting);
        if (!value.is_array() || value.empty())
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
  static const std::vector<Setting> table{
    { "train", "--train", "training manifest (healthy scans)", {}, &C::train },
    { "val", "--val", "validation manifest (labelled: chooses the mixture, sets the threshold)", {}, &C::validation },
    { "test", "--test", "test manifest (scored and evaluated)", {}, &C::test },
    { "out", "--out", "output folder", {}, &C::out },
    { "device", "--device", "cpu, cuda or cuda:N", {}, &C::device },
    { "threads", "--threads", "threads (0 = all cores; at most 4 per core)", {}, &C::threads, 0, true,
      static_cast<double>(cradl::limits::MaximumThreadsPerCore * std::max(1u, std::thread::hardware_concurrency())) },
    { "seed", "--seed", "seed of training and of EM's initialisation", { "train", "fit" }, &C::seed },
    { "nan_policy", "--nan-policy", "NaN/inf voxels in a brain mask: error or zero", EveryStage, &C::nanPolicy, 0, true,
      4294967295.0, { "error", "zero" } },
    { "slice_size", "--slice-size", "slice side: 64, 128 or 256", { "train" }, &C::sliceSize, 64, true, 256 },
    { "nf", "--nf", "encoder base channels", { "train" }, &C::nf, 1, true, cradl::limits::MaximumNumberOfFilters },
    { "nz", "--nz", "representation size", { "train" }, &C::nz, 1, true, cradl::limits::MaximumRepresentationSize },
    { "epochs", "--epochs", "training epochs", { "train" }, &C::epochs, 1, true, cradl::limits::MaximumEpochs },
    { "batch", "--batch", "slices per step", { "train" }, &C::batch, 2, true, cradl::limits::MaximumBatchSize },
    { "warmup_epochs", "--warmup-epochs", "linear warm-up", { "train" }, &C::warmupEpochs, 0, true,
      cradl::limits::MaximumEpochs },
    { "learning_rate", "--lr", "Adam learning rate", { "train" }, &C::learningRate, 0, false },
    { "mixed_precision", "--mixed-precision", "bf16 training where the CPU or GPU supports it", { "train" },
      &C::mixedPrecision },
    { "components", "--components", "mixture sizes to fit, e.g. 1,2,4,8 (the selection keeps one)", { "fit" },
      &C::components, 1, true, cradl::limits::MaximumComponents },
    { "tolerance", "--tol", "EM tolerance", { "fit" }, &C::tolerance },
    { "patch_layers", "--patch-layers",
      "encoder layers (ReLU index: 0 = 1/2 of the slice size, 1 = 1/4, ...) whose feature maps get a patch density",
      { "fit" }, &C::patchLayers, 0, true, 16 },
    { "patch_grid", "--patch-grid",
      "patch density per position: G x G in-plane cells over the brain's bounding box (0 = one location-agnostic "
      "Gaussian)",
      { "fit" }, &C::patchGrid, 0, true, cradl::limits::MaximumPatchPositionGrid },
    { "patch_depth_bins", "--patch-depth-bins", "patch density per position: bins of slice depth", { "fit" },
      &C::patchDepthBins, 1, true, cradl::limits::MaximumPatchDepthBins },
    { "patch_prior_weight", "--patch-prior-weight",
      "pseudo-positions (x channels) of the pooled fit in each cell's Gaussian: larger shrinks sparse cells more",
      { "fit" }, &C::patchPriorWeight, 0, false },
    { "regularization", "--reg", "covariance regularization (added to the diagonal)", { "fit" }, &C::regularization,
      0, false },
    { "initialization", "--init", "EM start: kmeans++ or random", { "fit" }, &C::initialization, 0, true, 4294967295.0,
      { "kmeans++", "random" } },
    { "score_mode", "--score-mode",
      "the map: gradient (the paper's), patch (feature density, forward only), fused (both and the intensity "
      "deviation, each standardised on the scan's brain) or auto (select chooses by validation AUPRC)",
      Scoring, &C::scoreMode, 0, true, 4294967295.0, { "gradient", "patch", "fused", "auto" } },
    { "median_radius", "--median-radius", "post-processing median radius", Scoring, &C::medianRadius, 0, true,
      cradl::limits::MaximumMedianRadius },
    { "sigma", "--sigma", "post-processing Gaussian sigma (pixels)", Scoring, &C::sigma,
      cradl::limits::MinimumGaussianSigma, true, cradl::limits::MaximumGaussianSigma },
    { "gaussian_radius", "--gaussian-radius", "Gaussian kernel radius", Scoring, &C::gaussianRadius, 0, true,
      cradl::limits::MaximumGaussianRadius },
    { "score_mixed_precision", "--score-mixed-precision", "bf16 scoring", Scoring, &C::scoreMixedPrecision },
    { "select_sigmas", "--select-sigmas",
      "with --score-mode auto, the Gaussian sigmas select tries (each map scored once); empty: --sigma only",
      { "select" }, &C::selectSigmas, cradl::limits::MinimumGaussianSigma, true, cradl::limits::MaximumGaussianSigma },
    { "threshold_quantile", "--threshold-quantile",
      "quantile of healthy validation scores used as label-free threshold", {}, &C::thresholdQuantile, 0, true, 1 },
  };
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
      row.update({ { "minimum", setting.minimum },
                   { "minimum_allowed", setting.minimumAllowed },
                   { "maximum", setting.maximum } });
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
