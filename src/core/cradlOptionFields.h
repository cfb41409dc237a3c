#ifndef cradlOptionFields_h
#define cradlOptionFields_h

// An options struct's fields, each named once: from one list come its
// dictionary in model files and checkpoints, its reading back, and its part
// of the settings fingerprint that every process of a run must share.

#include "cradlModelFile.h"

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace cradl
{

template <typename Options>
struct OptionField
{
  const char *                                                                                   key;
  std::variant<int64_t Options::*, uint64_t Options::*, double Options::*, bool Options::*> member;
};

template <typename Options>
using OptionFields = std::vector<OptionField<Options>>;

template <typename Options>
ValueDict
optionsToDict(const Options & options, const OptionFields<Options> & fields)
{
  ValueDict dict = makeValueDict();
  for (const auto & field : fields)
    std::visit(
      [&](auto member) {
        using T = std::decay_t<decltype(options.*member)>;
        if constexpr (std::is_same_v<T, uint64_t>)
          dict.insert(field.key, static_cast<int64_t>(options.*member)); // the dictionary's integers are signed
        else
          dict.insert(field.key, options.*member);
      },
      field.member);
  return dict;
}

template <typename Options>
Options
optionsFromDict(const ValueDict & dict, const OptionFields<Options> & fields)
{
  Options options;
  for (const auto & field : fields)
    std::visit(
      [&](auto member) {
        using T = std::decay_t<decltype(options.*member)>;
        const auto value = dict.at(field.key);
        if constexpr (std::is_same_v<T, bool>)
          options.*member = value.toBool();
        else if constexpr (std::is_same_v<T, double>)
          options.*member = value.toDouble();
        else
          options.*member = static_cast<T>(value.toInt());
      },
      field.member);
  return options;
}

/** The fields as numbers, appended to `fingerprint` (booleans as 0 or 1). */
template <typename Options>
void
appendFingerprint(std::vector<std::pair<std::string, double>> & fingerprint,
                  const Options &                               options,
                  const OptionFields<Options> &                 fields)
{
  for (const auto & field : fields)
    std::visit([&](auto member) { fingerprint.emplace_back(field.key, static_cast<double>(options.*member)); },
               field.member);
}

} // namespace cradl

#endif
