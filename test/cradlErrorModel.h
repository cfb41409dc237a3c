#ifndef cradlErrorModel_h
#define cradlErrorModel_h

// The error model every numeric tolerance in the tests is derived from.
//
// A floating-point format with p significant bits rounds to nearest with a
// relative error of at most its unit round-off u = 2^-p. A sum of n products
// of exactly representable numbers is off by at most gamma(n) = n u / (1 - n u)
// of the sum of the products' magnitudes (Higham, Accuracy and Stability of
// Numerical Algorithms, 2nd ed., eq. 3.4), whatever the order or blocking a
// CPU's kernels choose; independent roundings grow like sqrt(n) u instead
// (ibid. 2.8), which is what results of random data show. Where a result's
// conditioning is not known in closed form, a test measures it by perturbing
// the computation as the model says and takes a stated multiple of that.

#include <cmath>
#include <cstdint>

namespace cradl_test
{

constexpr double Float64UnitRoundoff = 0x1p-53;
constexpr double Float32UnitRoundoff = 0x1p-24;
constexpr double Tf32UnitRoundoff = 0x1p-11;    // CUDA tensor cores' float32 convolutions (11 bits)
constexpr double Bfloat16UnitRoundoff = 0x1p-8; // 8 significant bits, float32's exponent

/** Higham's gamma_n: the worst-case relative error of an n-term dot product. */
inline double
gamma(int64_t n, double unitRoundoff)
{
  const double nu = static_cast<double>(n) * unitRoundoff;
  return nu / (1.0 - nu);
}

/** A float32 result of float64 arithmetic: one rounding of a value whose own
 *  float64 error is a few u64 of `scale`, the magnitudes it combined. */
inline double
float32Rounding(double value, double scale = 1.0)
{
  return Float32UnitRoundoff * std::abs(value) + 16 * Float64UnitRoundoff * scale;
}

/** A stochastic model's measured error is one draw; a bound that holds for the
 *  draws a test does not see takes this multiple of the largest one seen. */
constexpr double DrawSafetyFactor = 2.0;

} // namespace cradl_test

#endif
