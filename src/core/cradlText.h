#ifndef cradlText_h
#define cradlText_h

#include <algorithm>
#include <cctype>
#include <string>

namespace cradl
{

/** `text` without leading and trailing white space. */
inline std::string
trimmed(const std::string & text)
{
  const auto isSpace = [](unsigned char c) { return std::isspace(c) != 0; };
  const auto first = std::find_if_not(text.begin(), text.end(), isSpace);
  const auto last = std::find_if_not(text.rbegin(), text.rend(), isSpace).base();
  return first < last ? std::string(first, last) : std::string();
}

/** Whether `text` ends with `suffix`. */
inline bool
endsWith(const std::string & text, const std::string & suffix)
{
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace cradl

#endif
