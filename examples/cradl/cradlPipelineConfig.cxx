#include "cradlPipelineConfig.h"

#include <stdexcept>

namespace cradl_cli
{

namespace
{
using Json = nlohmann::json;

[[noreturn]] void
refuse(const std::string & key, const std::string & wanted, const Json & value)
{
  throw std::runtime_error("configuration: '" + key + "' must be " + wanted + ", got " + value.dump());
}

// Typed reads that refuse what a silent conversion would turn into nonsense
// (-1 threads as 4294967295, "3" as a sigma).
unsigned int
unsignedAt(const Json & values, const std::string & key, unsigned int minimum = 0)
{
  const Json & value = values.at(key);
  if (!value.is_number_unsigned() || value.get<uint64_t>() > 0xffffffffu || value.get<unsigned int>() < minimum)
    refuse(key, "an integer >= " + std::to_string(minimum), value);
  return value.get<unsigned int>();
}

double
numberAt(const Json & values, const std::string & key, double minimum, bool minimumAllowed)
{
  const Json & value = values.at(key);
  if (!value.is_number() || !(minimumAllowed ? value.get<double>() >= minimum : value.get<double>() > minimum))
    refuse(key, std::string("a number ") + (minimumAllowed ? ">= " : "> ") + Json(minimum).dump(), value);
  return value.get<double>();
}

std::string
stringAt(const Json & values, const std::string & key)
{
  const Json & value = values.at(key);
  if (!value.is_string())
    refuse(key, "a string", value);
  return value.get<std::string>();
}

bool
booleanAt(const Json & values, const std::string & key)
{
  const Json & value = values.at(key);
  if (!value.is_boolean())
    refuse(key, "true or false", value);
  return value.get<bool>();
}
} // namespace

nlohmann::json
PipelineConfig::toJson() const
{
  return { { "train", train },
           { "val", validation },
           { "test", test },
           { "out", out },
           { "device", device },
           { "threads", threads },
           { "seed", seed },
           { "nan_policy", nanPolicy },
           { "slice_size", sliceSize },
           { "nf", nf },
           { "nz", nz },
           { "epochs", epochs },
           { "batch", batch },
           { "warmup_epochs", warmupEpochs },
           { "learning_rate", learningRate },
           { "mixed_precision", mixedPrecision },
           { "components", components },
           { "tolerance", tolerance },
           { "regularization", regularization },
           { "initialization", initialization },
           { "median_radius", medianRadius },
           { "sigma", sigma },
           { "gaussian_radius", gaussianRadius },
           { "score_mixed_precision", scoreMixedPrecision },
           { "threshold_quantile", thresholdQuantile } };
}

void
PipelineConfig::update(const nlohmann::json & json)
{
  if (!json.is_object())
    throw std::runtime_error("configuration: expected a JSON object of settings, got " + json.dump().substr(0, 80));
  Json merged = toJson();
  for (const auto & [key, value] : json.items())
  {
    if (!merged.contains(key))
      throw std::runtime_error("configuration: unknown key '" + key + "'");
    merged[key] = value;
  }
  train = stringAt(merged, "train");
  validation = stringAt(merged, "val");
  test = stringAt(merged, "test");
  out = stringAt(merged, "out");
  device = stringAt(merged, "device");
  threads = unsignedAt(merged, "threads");
  seed = unsignedAt(merged, "seed");
  nanPolicy = stringAt(merged, "nan_policy");
  if (nanPolicy != "error" && nanPolicy != "zero")
    refuse("nan_policy", "\"error\" or \"zero\"", merged["nan_policy"]);
  sliceSize = unsignedAt(merged, "slice_size", 1);
  nf = unsignedAt(merged, "nf", 1);
  nz = unsignedAt(merged, "nz", 1);
  epochs = unsignedAt(merged, "epochs", 1);
  batch = unsignedAt(merged, "batch", 2);
  warmupEpochs = unsignedAt(merged, "warmup_epochs");
  learningRate = numberAt(merged, "learning_rate", 0.0, false);
  mixedPrecision = booleanAt(merged, "mixed_precision");
  const Json & candidates = merged["components"];
  if (!candidates.is_array() || candidates.empty())
    refuse("components", "a non-empty list of integers >= 1", candidates);
  components.clear();
  for (std::size_t i = 0; i < candidates.size(); ++i)
  {
    if (!candidates[i].is_number_unsigned() || candidates[i].get<uint64_t>() < 1 || candidates[i].get<uint64_t>() > 4096)
      refuse("components", "a non-empty list of integers from 1 to 4096", candidates);
    components.push_back(candidates[i].get<unsigned int>());
  }
  tolerance = numberAt(merged, "tolerance", 0.0, true);
  regularization = numberAt(merged, "regularization", 0.0, true);
  initialization = stringAt(merged, "initialization");
  medianRadius = unsignedAt(merged, "median_radius");
  sigma = numberAt(merged, "sigma", 0.0, false);
  gaussianRadius = unsignedAt(merged, "gaussian_radius");
  scoreMixedPrecision = booleanAt(merged, "score_mixed_precision");
  thresholdQuantile = numberAt(merged, "threshold_quantile", 0.0, true);
  if (thresholdQuantile > 1.0)
    refuse("threshold_quantile", "a number from 0 to 1", merged["threshold_quantile"]);
}

void
PipelineConfig::updateFromText(const std::string & text, const std::string & origin)
{
  const Json json = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded())
    throw std::runtime_error("'" + origin + "' is not valid JSON: check it with python3 -m json.tool");
  try
  {
    update(json);
  }
  catch (const std::runtime_error & error)
  {
    throw std::runtime_error("'" + origin + "': " + error.what());
  }
}

} // namespace cradl_cli
