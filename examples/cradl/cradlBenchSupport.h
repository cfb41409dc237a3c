#ifndef cradlBenchSupport_h
#define cradlBenchSupport_h

#include <algorithm>
#include <vector>

namespace cradl_cli
{

/** The median of timings: robust to the odd slow repeat on a busy machine. */
inline double
medianOf(std::vector<double> values)
{
  std::sort(values.begin(), values.end());
  const std::size_t middle = values.size() / 2;
  return values.size() % 2 == 1 ? values[middle] : 0.5 * (values[middle - 1] + values[middle]);
}

} // namespace cradl_cli

#endif
