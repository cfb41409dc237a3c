/*=========================================================================
 *
 *  Copyright NumFOCUS
 *
 *  Licensed under the Apache License, Version 2.0 (the "License");
 *  you may not use this file except in compliance with the License.
 *  You may obtain a copy of the License at
 *
 *         http://www.apache.org/licenses/LICENSE-2.0.txt
 *
 *  Unless required by applicable law or agreed to in writing, software
 *  distributed under the License is distributed on an "AS IS" BASIS,
 *  WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 *  See the License for the specific language governing permissions and
 *  limitations under the License.
 *
 *=========================================================================*/
#ifndef itkCradlSettingMacros_h
#define itkCradlSettingMacros_h

// An ITK class's settings from its rows in cradlSettingDeclarations.h:
//   public:    CRADL_TRAINER_SETTINGS(cradlSettingAccessors)   Set/Get (and On/Off for flags)
//   private:   CRADL_TRAINER_SETTINGS(cradlSettingMember)      m_<Name>, initialised to the default
//   PrintSelf: CRADL_TRAINER_SETTINGS(cradlPrintSetting)
// A setter refuses a value outside the row's range or choices with an
// ExceptionObject naming the setting and what it allows.

#include "cradlSettingDeclarations.h"
#include "itkMacro.h"

#include <algorithm>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

namespace itk
{
/** What a range allows, in words: "from 0 to 15", "> 0", ">= 1". */
inline std::string
CradlDescribeSettingRange(const cradl::SettingRange & range)
{
  std::ostringstream text;
  text.precision(15);
  const bool bounded = range.maximum < std::numeric_limits<double>::infinity();
  if (range.minimumAllowed && bounded)
    text << "from " << range.minimum << " to " << range.maximum;
  else
  {
    text << (range.minimumAllowed ? ">= " : "> ") << range.minimum;
    if (bounded)
      text << " and <= " << range.maximum;
  }
  return text.str();
}

/** Empty when `value` is allowed, else what is: for the setters' messages. */
template <typename T>
std::string
CradlSettingRefusal(const T & value, const cradl::SettingRange & range)
{
  return range.contains(static_cast<double>(value)) ? std::string() : "must be " + CradlDescribeSettingRange(range);
}
inline std::string
CradlSettingRefusal(const std::string & value, const cradl::SettingChoices & choices)
{
  if (choices.values.empty() || std::find(choices.values.begin(), choices.values.end(), value) != choices.values.end())
    return {};
  std::string allowed;
  for (const auto & choice : choices.values)
    allowed += (allowed.empty() ? "\"" : " or \"") + choice + "\"";
  return "must be " + allowed;
}
inline std::string
CradlSettingRefusal(const std::vector<unsigned int> & values, const cradl::SettingList & list)
{
  const bool itemsAllowed = std::all_of(values.begin(), values.end(), [&](unsigned int item) {
    return list.items.contains(static_cast<double>(item));
  });
  if (itemsAllowed && (list.mayBeEmpty || !values.empty()))
    return {};
  return std::string("must be a ") + (list.mayBeEmpty ? "" : "non-empty ") + "list of integers " +
         CradlDescribeSettingRange(list.items);
}

/** A setting's value for PrintSelf. */
template <typename T>
const T &
CradlSettingText(const T & value)
{
  return value;
}
inline const char *
CradlSettingText(bool value)
{
  return value ? "On" : "Off";
}
inline std::string
CradlSettingText(const std::vector<unsigned int> & values)
{
  std::string text = "[";
  for (const unsigned int value : values)
    text += (text.size() > 1 ? ", " : "") + std::to_string(value);
  return text + "]";
}
} // namespace itk

#define cradlSettingMember(kind, Name, Type, key, value, constraint, help) Type m_##Name = value;

#define cradlPrintSetting(kind, Name, Type, key, value, constraint, help)                                            \
  os << indent << #Name ": " << ::itk::CradlSettingText(this->m_##Name) << std::endl;

#define cradlSettingAccessors(kind, Name, Type, key, value, constraint, help)                                        \
  cradlSettingAccessors_##kind(Name, Type, constraint)

// Shared by every kind: refuse, or store and mark modified.
#define cradlSettingStore(Name, value, constraint)                                                                   \
  {                                                                                                                   \
    const std::string refusal = ::itk::CradlSettingRefusal(value, constraint);                                        \
    if (!refusal.empty())                                                                                             \
    {                                                                                                                 \
      itkExceptionMacro(<< #Name " " << refusal << ", got " << ::itk::CradlSettingText(value));                      \
    }                                                                                                                 \
    if (this->m_##Name != value)                                                                                      \
    {                                                                                                                 \
      this->m_##Name = value;                                                                                         \
      this->Modified();                                                                                               \
    }                                                                                                                 \
  }

#define cradlSettingAccessors_Number(Name, Type, constraint)                                                         \
  virtual void Set##Name(const Type value) cradlSettingStore(Name, value, constraint)                                \
  itkGetConstMacro(Name, Type);

#define cradlSettingAccessors_Flag(Name, Type, constraint)                                                           \
  itkSetMacro(Name, bool);                                                                                            \
  itkGetConstMacro(Name, bool);                                                                                       \
  itkBooleanMacro(Name);

#define cradlSettingAccessors_Text(Name, Type, constraint)                                                           \
  virtual void Set##Name(const std::string & value) cradlSettingStore(Name, value, constraint)                       \
  virtual void Set##Name(const char * value) { this->Set##Name(std::string(value ? value : "")); }                   \
  virtual const char * Get##Name() const { return this->m_##Name.c_str(); }

#define cradlSettingAccessors_List(Name, Type, constraint)                                                           \
  virtual void Set##Name(const Type & value) cradlSettingStore(Name, value, constraint)                              \
  const Type & Get##Name() const { return this->m_##Name; }

#endif
