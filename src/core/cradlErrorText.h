#ifndef cradlErrorText_h
#define cradlErrorText_h

// What an error says to a user: LibTorch's errors carry a C++ backtrace
// ("Exception raised from ... frame #0: ...") that helps nobody reading a
// message about their file; only the message is kept.

#include <c10/util/Exception.h>

#include <exception>
#include <string>

namespace cradl
{

inline std::string
messageOf(const std::exception & error)
{
  if (const auto * torchError = dynamic_cast<const c10::Error *>(&error))
    return torchError->what_without_backtrace();
  std::string text = error.what();
  const auto  backtrace = text.find("Exception raised from ");
  return backtrace == std::string::npos ? text : text.substr(0, backtrace);
}

} // namespace cradl

#endif
