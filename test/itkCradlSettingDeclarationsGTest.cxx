// The ITK stages' settings come from their declarations
// (cradlSettingDeclarations.h): each setter accepts its range's edges and
// its choices, refuses what lies past them (naming the setting) and keeps
// the value it had; PrintSelf shows every setting.

#include "itkContrastiveEncoderTrainer.h"
#include "itkCradlScoringSettings.h"
#include "itkGaussianMixtureFitter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <set>
#include <sstream>
#include <string>

namespace
{
std::string
refusal(const std::function<void()> & set)
{
  try
  {
    set();
  }
  catch (const itk::ExceptionObject & error)
  {
    return error.GetDescription();
  }
  return {};
}

// A number's edges are accepted, values past them refused.
template <typename T, typename Set, typename Get>
void
checkNumber(const char * name, const cradl::SettingRange & range, Set set, Get get)
{
  SCOPED_TRACE(name);
  const T    before = get();
  const auto refused = [&](double value) {
    const std::string message = refusal([&] { set(static_cast<T>(value)); });
    EXPECT_NE(message.find(std::string(name) + " must be"), std::string::npos) << value << ": " << message;
    EXPECT_EQ(get(), before) << "a refused value was kept";
  };
  const double typeMaximum = static_cast<double>(std::numeric_limits<T>::max());
  const double typeLowest = static_cast<double>(std::numeric_limits<T>::lowest());
  if (range.minimumAllowed && range.minimum > typeLowest)
  {
    if (std::is_integral_v<T> ? range.minimum - 1 >= typeLowest : true)
      refused(std::is_integral_v<T> ? range.minimum - 1 : std::nextafter(range.minimum, -INFINITY));
  }
  if (!range.minimumAllowed)
    refused(range.minimum);
  if (range.maximum < typeMaximum)
    refused(std::is_integral_v<T> ? range.maximum + 1 : std::nextafter(range.maximum, INFINITY));
  if constexpr (std::is_floating_point_v<T>)
    refused(std::numeric_limits<double>::quiet_NaN());
  for (const double edge : { range.minimum, range.maximum })
    if (std::isfinite(edge) && (edge != range.minimum || range.minimumAllowed) && edge <= typeMaximum)
    {
      EXPECT_EQ(refusal([&] { set(static_cast<T>(edge)); }), "") << edge;
      EXPECT_EQ(get(), static_cast<T>(edge));
    }
  set(before);
}

template <typename Set, typename Get>
void
checkText(const char * name, const cradl::SettingChoices & choices, Set set, Get get)
{
  SCOPED_TRACE(name);
  const std::string before = get();
  if (choices.values.empty())
    return;
  const std::string message = refusal([&] { set(std::string("no such choice")); });
  EXPECT_NE(message.find(std::string(name) + " must be \"" + choices.values.front() + "\""), std::string::npos)
    << message;
  EXPECT_EQ(std::string(get()), before);
  for (const auto & choice : choices.values)
  {
    set(choice);
    EXPECT_EQ(std::string(get()), choice);
  }
  set(before);
}

template <typename Set, typename Get>
void
checkList(const char * name, const cradl::SettingList & list, Set set, Get get)
{
  SCOPED_TRACE(name);
  const auto before = get();
  const auto refused = [&](const std::vector<unsigned int> & values) {
    const std::string message = refusal([&] { set(values); });
    EXPECT_NE(message.find(std::string(name) + " must be"), std::string::npos) << message;
    EXPECT_EQ(get(), before);
  };
  refused({ static_cast<unsigned int>(list.items.maximum) + 1 });
  if (list.items.minimum >= 1)
    refused({ static_cast<unsigned int>(list.items.minimum) - 1 });
  if (!list.mayBeEmpty)
    refused({});
  else
    EXPECT_EQ(refusal([&] { set({}); }), "");
  set({ static_cast<unsigned int>(list.items.minimum), static_cast<unsigned int>(list.items.maximum) });
  EXPECT_EQ(get(), (std::vector<unsigned int>{ static_cast<unsigned int>(list.items.minimum),
                                               static_cast<unsigned int>(list.items.maximum) }));
  set(before);
}

template <typename Set, typename Get>
void
checkFlag(const char * name, Set set, Get get)
{
  SCOPED_TRACE(name);
  const bool before = get();
  set(!before);
  EXPECT_EQ(get(), !before);
  set(before);
}

#define cradlCheckSetting(kind, Name, Type, key, value, constraint, help)                                            \
  cradlCheckSetting_##kind(Name, Type, constraint);                                                                  \
  EXPECT_EQ(object->Get##Name(), static_cast<Type>(defaults::Name)) << #Name " does not start at its declared default";          \
  EXPECT_NE(printed.find("  " #Name ": "), std::string::npos) << #Name " is missing from PrintSelf";
#define cradlCheckSetting_Number(Name, Type, constraint)                                                              \
  checkNumber<Type>(#Name, constraint, [&](Type v) { object->Set##Name(v); }, [&] { return object->Get##Name(); })
#define cradlCheckSetting_Text(Name, Type, constraint)                                                                \
  checkText(#Name, constraint, [&](const std::string & v) { object->Set##Name(v); },                              \
            [&] { return std::string(object->Get##Name()); })
#define cradlCheckSetting_List(Name, Type, constraint)                                                                \
  checkList(#Name, constraint, [&](const Type & v) { object->Set##Name(v); }, [&] { return object->Get##Name(); })
#define cradlCheckSetting_Flag(Name, Type, constraint)                                                                \
  checkFlag(#Name, [&](bool v) { object->Set##Name(v); }, [&] { return object->Get##Name(); })

template <typename T>
std::string
printed(T & object)
{
  std::ostringstream text;
  object.Print(text);
  return text.str();
}
} // namespace

TEST(SettingDeclarations, TrainerSettersFollowTheirDeclarations)
{
  namespace defaults = cradl::defaults::trainer;
  auto              object = itk::ContrastiveEncoderTrainer::New();
  const std::string printed = ::printed(*object);
  CRADL_TRAINER_SETTINGS(cradlCheckSetting)
}

TEST(SettingDeclarations, FitterSettersFollowTheirDeclarations)
{
  namespace defaults = cradl::defaults::fitter;
  auto              object = itk::GaussianMixtureFitter::New();
  const std::string printed = ::printed(*object);
  CRADL_FITTER_SETTINGS(cradlCheckSetting)
}

TEST(SettingDeclarations, TablesListEachSettingOnceWithItsDefault)
{
  for (const auto * rows : { &cradl::trainerSettingDeclarations(), &cradl::fitterSettingDeclarations(),
                             &cradl::scoringSettingDeclarations() })
  {
    std::set<std::string> names, keys;
    for (const auto & row : *rows)
    {
      EXPECT_TRUE(names.insert(row.name).second) << row.name << " is declared twice";
      EXPECT_TRUE(keys.insert(row.key).second) << row.key << " is used twice";
      EXPECT_NE(std::string(row.help), "") << row.name;
      if (row.type == cradl::SettingType::Integer || row.type == cradl::SettingType::Number)
        EXPECT_TRUE(row.range.contains(row.defaultNumber)) << row.name << "'s default is outside its range";
    }
  }
  EXPECT_EQ(cradl::declarationNamed(cradl::trainerSettingDeclarations(), "LearningRate").defaultNumber, 1e-4);
  EXPECT_EQ(std::string(cradl::declarationNamed(cradl::trainerSettingDeclarations(), "NumberOfFilters").key), "nf");
  EXPECT_THROW(cradl::declarationNamed(cradl::fitterSettingDeclarations(), "LearningRate"), std::out_of_range);
}

TEST(SettingDeclarations, TheScoringRecipeComparesAndPrintsEveryField)
{
  const itk::CradlScoringSettings defaults;
  std::ostringstream              text;
  text << defaults;
  EXPECT_EQ(text.str(), "mode gradient, device cpu, batch_size 64, mixed_precision 0, median_radius 2, "
                        "gaussian_sigma 3, gaussian_radius 3");
  for (const auto & row : cradl::scoringSettingDeclarations())
    EXPECT_NE(text.str().find(row.key), std::string::npos) << row.name;
  auto changed = defaults;
  changed.GaussianRadius = 4;
  EXPECT_NE(changed, defaults);
  changed = defaults;
  changed.MixedPrecision = true;
  EXPECT_NE(changed, defaults);
  EXPECT_EQ(itk::CradlScoringSettings(), defaults);
}
