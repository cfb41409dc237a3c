// cradl-bench peak: the CPU's measured float32 FMA peak, the yardstick for
// "GFLOP/s as a share of the machine" in the other benchmarks. Each thread
// runs independent chains of vector FMAs on registers (no memory traffic), as
// wide as the CPU allows (AVX-512 or AVX2); the figure is what the cores
// reach at the clock they actually run at, not a datasheet number.
#include "cradlBenchSupport.h"
#include "cradlBenchCommands.h"

#include <immintrin.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace cradl_cli
{

namespace
{
struct Options
{
  unsigned int threads = 0;
  long         iterations = 200000000;
  int          repeats = 3;
};

// Enough independent chains to cover the FMA latency (4-5 cycles) on every
// FMA port (2 on current x86): 12 chains.
constexpr int chains = 12;

__attribute__((target("avx2,fma"))) float
fmaChainsAvx2(long iterations)
{
  __m256       accumulators[chains];
  const __m256 scale = _mm256_set1_ps(0.999999f);
  const __m256 offset = _mm256_set1_ps(1e-7f);
  for (int c = 0; c < chains; ++c)
  {
    accumulators[c] = _mm256_set1_ps(1.0f + 0.01f * c);
  }
  for (long i = 0; i < iterations; ++i)
  {
    for (int c = 0; c < chains; ++c)
    {
      accumulators[c] = _mm256_fmadd_ps(accumulators[c], scale, offset);
    }
  }
  __m256 sum = accumulators[0];
  for (int c = 1; c < chains; ++c)
  {
    sum = _mm256_add_ps(sum, accumulators[c]);
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, sum);
  return lanes[0]; // returned so that the chains are not optimised away
}

__attribute__((target("avx512f"))) float
fmaChainsAvx512(long iterations)
{
  __m512       accumulators[chains];
  const __m512 scale = _mm512_set1_ps(0.999999f);
  const __m512 offset = _mm512_set1_ps(1e-7f);
  for (int c = 0; c < chains; ++c)
  {
    accumulators[c] = _mm512_set1_ps(1.0f + 0.01f * c);
  }
  for (long i = 0; i < iterations; ++i)
  {
    for (int c = 0; c < chains; ++c)
    {
      accumulators[c] = _mm512_fmadd_ps(accumulators[c], scale, offset);
    }
  }
  __m512 sum = accumulators[0];
  for (int c = 1; c < chains; ++c)
  {
    sum = _mm512_add_ps(sum, accumulators[c]);
  }
  return _mm512_reduce_add_ps(sum);
}

void
run(const Options & options)
{
  const bool avx512 = __builtin_cpu_supports("avx512f");
  if (!avx512 && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")))
  {
    throw std::runtime_error("peak: this CPU has neither AVX-512 nor AVX2 with FMA");
  }
  const unsigned int threads = options.threads > 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  const int          lanes = avx512 ? 16 : 8;
  std::vector<double> seconds;
  float               sink = 0.0f;
  for (int repeat = 0; repeat < options.repeats; ++repeat)
  {
    std::vector<float>       results(threads);
    std::vector<std::thread> workers;
    const auto               start = std::chrono::steady_clock::now();
    for (unsigned int t = 0; t < threads; ++t)
    {
      workers.emplace_back([&, t] {
        results[t] = avx512 ? fmaChainsAvx512(options.iterations) : fmaChainsAvx2(options.iterations);
      });
    }
    for (auto & worker : workers)
    {
      worker.join();
    }
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    for (const float r : results)
    {
      sink += r;
    }
  }
  const double flops = 2.0 * lanes * chains * static_cast<double>(options.iterations) * threads;
  const double best = *std::min_element(seconds.begin(), seconds.end());
  nlohmann::json result;
  result["bench"] = "peak";
  result["threads"] = threads;
  result["vector"] = avx512 ? "avx512" : "avx2";
  result["gflop_per_s"] = flops / best * 1e-9;
  result["gflop_per_s_median"] = flops / medianOf(seconds) * 1e-9;
  result["gflop_per_s_per_thread"] = flops / best * 1e-9 / threads;
  result["checksum"] = sink;
  printBenchResult(result);
}
} // namespace

void
addBenchPeak(CLI::App & bench)
{
  auto   options = std::make_shared<Options>();
  auto * command = bench.add_subcommand("peak", "measured float32 FMA peak of the CPU (GFLOP/s); one JSON line");
  command->add_option("--threads", options->threads, "threads (0 = all cores)")->capture_default_str();
  command->add_option("--iterations", options->iterations, "FMA rounds per thread")->capture_default_str();
  command->add_option("--repeats", options->repeats, "timed repeats (best reported)")->capture_default_str();
  command->callback([options] { run(*options); });
}

} // namespace cradl_cli
