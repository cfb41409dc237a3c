#include "itkCradlRankingAccumulator.h"

#include "itkMacro.h"
#include "itkMultiThreaderBase.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <thread>

namespace itk
{

namespace
{
// Float32 -> unsigned key with the same order (ties stay ties; -0 == +0).
inline std::uint32_t
keyOf(float value)
{
  if (value == 0.0f)
  {
    value = 0.0f;
  }
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);
}

inline float
valueOf(std::uint32_t key)
{
  const std::uint32_t bits = (key & 0x80000000u) ? (key & 0x7fffffffu) : ~key;
  float               value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

// Fixed-size chunks: growing never copies what is stored, so the peak is the size.
class ChunkedKeys
{
public:
  static constexpr std::size_t ChunkSize = std::size_t{ 1 } << 20;

  void
  push(std::uint32_t key)
  {
    if (m_Size % ChunkSize == 0)
    {
      m_Chunks.emplace_back(new std::uint32_t[ChunkSize]);
    }
    m_Chunks.back()[m_Size % ChunkSize] = key;
    ++m_Size;
  }
  std::size_t
  size() const
  {
    return m_Size;
  }
  std::size_t
  chunkCount() const
  {
    return m_Chunks.size();
  }
  const std::uint32_t *
  chunk(std::size_t index, std::size_t & length) const
  {
    length = std::min(ChunkSize, m_Size - index * ChunkSize);
    return m_Chunks[index].get();
  }
  std::uint64_t
  bytes() const
  {
    return m_Chunks.size() * ChunkSize * sizeof(std::uint32_t);
  }
  void
  clear()
  {
    m_Chunks.clear();
    m_Size = 0;
  }

private:
  std::vector<std::unique_ptr<std::uint32_t[]>> m_Chunks;
  std::size_t                                   m_Size = 0;
};

// Kahan-Babuska (Neumaier) summation: the AUPRC sums up to 1e8 terms.
class CompensatedSum
{
public:
  void
  add(double term)
  {
    const double total = m_Sum + term;
    m_Compensation += std::abs(m_Sum) >= std::abs(term) ? (m_Sum - total) + term : (term - total) + m_Sum;
    m_Sum = total;
  }
  double
  value() const
  {
    return m_Sum + m_Compensation;
  }

private:
  double m_Sum = 0.0;
  double m_Compensation = 0.0;
};

// One distinct positive score (or one bin holding positives), highest first:
// its positives, the negatives tied with it, and the negatives strictly
// between it and the next higher run.
struct Run
{
  double        threshold;
  std::uint64_t positives;
  std::uint64_t tiedNegatives;
  std::uint64_t negativesAbove;
};

CradlRankingMetrics
metricsFromRuns(const std::vector<Run> & runs,
                std::uint64_t            positives,
                std::uint64_t            negatives,
                bool                     binned,
                unsigned int             curvePoints)
{
  CradlRankingMetrics metrics;
  metrics.Positives = positives;
  metrics.Negatives = negatives;
  const double P = static_cast<double>(positives);
  const double N = static_cast<double>(negatives);

  CompensatedSum    averagePrecision;
  CompensatedSum    lowAveragePrecision;
  CompensatedSum    highAveragePrecision;
  unsigned __int128 rankSum = 0; // 2 x (pairs ranked right) + tied pairs
  unsigned __int128 tiedPairs = 0;
  std::uint64_t     tp = 0;
  std::uint64_t     fp = 0;
  bool              reached95 = false;
  std::vector<double> thresholds, precision, recall, fpr;
  thresholds.reserve(runs.size());
  precision.reserve(runs.size());
  recall.reserve(runs.size());
  fpr.reserve(runs.size());
  for (const Run & run : runs)
  {
    fp += run.negativesAbove;
    if (binned)
    {
      // Inside a bin the order is unknown: positives one by one after all of the
      // bin's negatives (worst) or before them (best).
      for (std::uint64_t k = 1; k <= run.positives; ++k)
      {
        lowAveragePrecision.add(static_cast<double>(tp + k) / static_cast<double>(tp + k + fp + run.tiedNegatives) / P);
        highAveragePrecision.add(static_cast<double>(tp + k) / static_cast<double>(tp + k + fp) / P);
      }
    }
    tp += run.positives;
    fp += run.tiedNegatives;
    const double runPrecision = static_cast<double>(tp) / static_cast<double>(tp + fp);
    averagePrecision.add(static_cast<double>(run.positives) / P * runPrecision);
    rankSum += static_cast<unsigned __int128>(run.positives) * (2 * (negatives - fp) + run.tiedNegatives);
    tiedPairs += static_cast<unsigned __int128>(run.positives) * run.tiedNegatives;
    if (!reached95 && 20 * tp >= 19 * positives)
    {
      reached95 = true;
      metrics.FPRAt95TPR = static_cast<double>(fp) / N;
    }
    const double dice = 2.0 * static_cast<double>(tp) / static_cast<double>(tp + fp + positives);
    if (dice > metrics.BestDice)
    {
      metrics.BestDice = dice;
      metrics.BestDiceThreshold = run.threshold;
    }
    thresholds.push_back(run.threshold);
    precision.push_back(runPrecision);
    recall.push_back(static_cast<double>(tp) / P);
    fpr.push_back(static_cast<double>(fp) / N);
  }
  metrics.AUPRC = averagePrecision.value();
  metrics.AUROC = static_cast<double>(rankSum) / (2.0 * P * N);
  metrics.AUPRCLow = binned ? lowAveragePrecision.value() : metrics.AUPRC;
  metrics.AUPRCHigh = binned ? highAveragePrecision.value() : metrics.AUPRC;
  metrics.AUROCErrorBound = binned ? 0.5 * static_cast<double>(tiedPairs) / (P * N) : 0.0;

  // Thin the curves to at most curvePoints points, keeping the first and last.
  const std::size_t total = thresholds.size();
  const std::size_t kept = std::min<std::size_t>(total, std::max(2u, curvePoints));
  for (std::size_t i = 0; i < kept; ++i)
  {
    const std::size_t from = kept == 1 ? 0 : (i * (total - 1)) / (kept - 1);
    metrics.Thresholds.push_back(thresholds[from]);
    metrics.Precision.push_back(precision[from]);
    metrics.Recall.push_back(recall[from]);
    metrics.FalsePositiveRate.push_back(fpr[from]);
  }
  return metrics;
}

unsigned int
threadCount(unsigned int requested)
{
  return requested > 0 ? requested : std::max(1u, MultiThreaderBase::GetGlobalDefaultNumberOfThreads());
}
} // namespace

struct CradlRankingAccumulator::Storage
{
  unsigned int               histogramBits = 0;
  ChunkedKeys                positives;
  ChunkedKeys                negatives;
  std::vector<std::uint64_t> positiveHistogram;
  std::vector<std::uint64_t> negativeHistogram;
  std::uint64_t              positiveCount = 0;
  std::uint64_t              negativeCount = 0;

  void
  add(std::uint32_t key, bool positive)
  {
    if (histogramBits > 0)
    {
      (positive ? positiveHistogram : negativeHistogram)[key >> (32 - histogramBits)] += 1;
    }
    else
    {
      (positive ? positives : negatives).push(key);
    }
    (positive ? positiveCount : negativeCount) += 1;
  }
};

CradlRankingAccumulator::CradlRankingAccumulator()
  : m_Storage(std::make_unique<Storage>())
{}
CradlRankingAccumulator::~CradlRankingAccumulator() = default;
CradlRankingAccumulator::CradlRankingAccumulator(CradlRankingAccumulator &&) noexcept = default;
CradlRankingAccumulator &
CradlRankingAccumulator::operator=(CradlRankingAccumulator &&) noexcept = default;

void
CradlRankingAccumulator::SetHistogramBits(unsigned int bits)
{
  if (bits != 0 && (bits < 8 || bits > 24))
  {
    itkGenericExceptionMacro(<< "HistogramBits must be 0 (exact) or 8..24, got " << bits);
  }
  m_Storage = std::make_unique<Storage>();
  m_Storage->histogramBits = bits;
  if (bits > 0)
  {
    m_Storage->positiveHistogram.assign(std::size_t{ 1 } << bits, 0);
    m_Storage->negativeHistogram.assign(std::size_t{ 1 } << bits, 0);
  }
}

unsigned int
CradlRankingAccumulator::GetHistogramBits() const
{
  return m_Storage->histogramBits;
}

void
CradlRankingAccumulator::Clear()
{
  SetHistogramBits(m_Storage->histogramBits);
}

void
CradlRankingAccumulator::Add(const float * scores, const unsigned char * labels, std::size_t count, const std::string & source)
{
  Storage & storage = *m_Storage;
  for (std::size_t i = 0; i < count; ++i)
  {
    if (!std::isfinite(scores[i]))
    {
      itkGenericExceptionMacro(<< (source.empty() ? std::string("scores") : source) << ": non-finite score ("
                               << scores[i] << ") at pixel " << i
                               << "; anomaly maps must be finite (check the model and the input scan)");
    }
    storage.add(keyOf(scores[i]), labels[i] != 0);
  }
}

void
CradlRankingAccumulator::Add(float score, bool positive)
{
  if (!std::isfinite(score))
  {
    itkGenericExceptionMacro(<< "non-finite score (" << score << ")");
  }
  m_Storage->add(keyOf(score), positive);
}

std::uint64_t
CradlRankingAccumulator::GetNumberOfPositives() const
{
  return m_Storage->positiveCount;
}

std::uint64_t
CradlRankingAccumulator::GetNumberOfNegatives() const
{
  return m_Storage->negativeCount;
}

std::uint64_t
CradlRankingAccumulator::GetMemoryInBytes() const
{
  const Storage & storage = *m_Storage;
  return storage.positives.bytes() + storage.negatives.bytes() +
         (storage.positiveHistogram.size() + storage.negativeHistogram.size()) * sizeof(std::uint64_t);
}

namespace
{
// A histogram's runs, highest bin first: bins without positives add their
// negatives to the next run above.
std::vector<Run>
runsOfHistograms(const std::vector<std::uint64_t> & positive, const std::vector<std::uint64_t> & negative,
                 unsigned int bits)
{
  std::vector<Run>   runs;
  const unsigned int shift = 32 - bits;
  std::uint64_t      above = 0;
  for (std::size_t bin = positive.size(); bin-- > 0;)
  {
    if (positive[bin] == 0)
    {
      above += negative[bin];
      continue;
    }
    runs.push_back({ valueOf(static_cast<std::uint32_t>(bin) << shift), positive[bin], negative[bin], above });
    above = 0;
  }
  return runs;
}

// The distinct positive keys, ascending, with their counts, and a lookup on
// their leading bits: start[h] = the first key whose prefix >= h.
struct DistinctKeys
{
  static constexpr unsigned int PrefixBits = 20;
  std::vector<std::uint32_t>    keys;
  std::vector<std::uint64_t>    counts;
  std::vector<std::uint32_t>    start;

  explicit DistinctKeys(const ChunkedKeys & positives)
  {
    std::vector<std::uint32_t> all;
    all.reserve(positives.size());
    for (std::size_t c = 0; c < positives.chunkCount(); ++c)
    {
      std::size_t length = 0;
      const auto * chunk = positives.chunk(c, length);
      all.insert(all.end(), chunk, chunk + length);
    }
    std::sort(all.begin(), all.end());
    for (const std::uint32_t key : all)
    {
      if (keys.empty() || keys.back() != key)
      {
        keys.push_back(key);
        counts.push_back(0);
      }
      ++counts.back();
    }
    start.resize((std::size_t{ 1 } << PrefixBits) + 1);
    std::size_t j = 0;
    for (std::size_t h = 0; h < start.size(); ++h)
    {
      while (j < keys.size() && (keys[j] >> (32 - PrefixBits)) < h)
      {
        ++j;
      }
      start[h] = static_cast<std::uint32_t>(j);
    }
  }

  /** The index of the first key >= `key`. */
  std::size_t
  lowerBound(std::uint32_t key) const
  {
    const std::size_t prefix = key >> (32 - PrefixBits);
    return std::lower_bound(keys.begin() + start[prefix], keys.begin() + start[prefix + 1], key) - keys.begin();
  }
};

// Each negative falls strictly between two distinct positive keys
// (between[i]: below keys[i], above keys[i-1]) or ties one (tied[i]);
// chunks are shared among threads, each counting into its own arrays.
void
countNegatives(const ChunkedKeys &          negatives,
               const DistinctKeys &         distinct,
               unsigned int                 threads,
               std::vector<std::uint64_t> & between,
               std::vector<std::uint64_t> & tied)
{
  const std::size_t  m = distinct.keys.size();
  const unsigned int workers = std::min<std::size_t>(threads, std::max<std::size_t>(1, negatives.chunkCount()));
  std::vector<std::vector<std::uint64_t>> betweenOf(workers, std::vector<std::uint64_t>(m + 1, 0));
  std::vector<std::vector<std::uint64_t>> tiedOf(workers, std::vector<std::uint64_t>(m, 0));
  const auto                              classify = [&](unsigned int worker) {
    for (std::size_t c = worker; c < negatives.chunkCount(); c += workers)
    {
      std::size_t  length = 0;
      const auto * chunk = negatives.chunk(c, length);
      for (std::size_t n = 0; n < length; ++n)
      {
        const std::size_t i = distinct.lowerBound(chunk[n]);
        if (i < m && distinct.keys[i] == chunk[n])
          ++tiedOf[worker][i];
        else
          ++betweenOf[worker][i];
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned int worker = 1; worker < workers; ++worker)
  {
    pool.emplace_back(classify, worker);
  }
  classify(0);
  for (auto & thread : pool)
  {
    thread.join();
  }
  between.assign(m + 1, 0);
  tied.assign(m, 0);
  for (unsigned int worker = 0; worker < workers; ++worker)
  {
    for (std::size_t i = 0; i < m; ++i)
    {
      between[i] += betweenOf[worker][i];
      tied[i] += tiedOf[worker][i];
    }
    between[m] += betweenOf[worker][m];
  }
}
} // namespace

CradlRankingMetrics
CradlRankingAccumulator::Compute(unsigned int curvePoints, unsigned int threads) const
{
  const Storage & storage = *m_Storage;
  if (storage.positiveCount == 0 || storage.negativeCount == 0)
  {
    itkGenericExceptionMacro(<< "AUPRC and AUROC need both classes, but there are " << storage.positiveCount
                             << " positive and " << storage.negativeCount
                             << " negative pixels: check the labels (all empty, or all anomalous?) and the mask");
  }
  if (storage.histogramBits > 0)
  {
    return metricsFromRuns(runsOfHistograms(storage.positiveHistogram, storage.negativeHistogram,
                                            storage.histogramBits),
                           storage.positiveCount, storage.negativeCount, true, curvePoints);
  }
  const DistinctKeys         distinct(storage.positives);
  std::vector<std::uint64_t> between, tied;
  countNegatives(storage.negatives, distinct, threadCount(threads), between, tied);
  std::vector<Run> runs;
  runs.reserve(distinct.keys.size());
  for (std::size_t j = distinct.keys.size(); j-- > 0;)
  {
    runs.push_back({ valueOf(distinct.keys[j]), distinct.counts[j], tied[j], between[j + 1] });
  }
  return metricsFromRuns(runs, storage.positiveCount, storage.negativeCount, false, curvePoints);
}

CradlRankingMetrics
CradlRankingAccumulator::ComputeFromScores(const std::vector<double> &        scores,
                                           const std::vector<unsigned char> & labels,
                                           unsigned int                       curvePoints)
{
  if (scores.size() != labels.size())
  {
    itkGenericExceptionMacro(<< scores.size() << " scores but " << labels.size() << " labels");
  }
  std::vector<std::size_t> order(scores.size());
  std::uint64_t            positives = 0;
  for (std::size_t i = 0; i < scores.size(); ++i)
  {
    if (!std::isfinite(scores[i]))
    {
      itkGenericExceptionMacro(<< "non-finite score (" << scores[i] << ") at position " << i);
    }
    order[i] = i;
    positives += labels[i] != 0;
  }
  const std::uint64_t negatives = scores.size() - positives;
  if (positives == 0 || negatives == 0)
  {
    itkGenericExceptionMacro(<< "AUPRC and AUROC need both classes, but there are " << positives << " positive and "
                             << negatives << " negative samples");
  }
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  std::vector<Run> runs;
  std::uint64_t    above = 0;
  for (std::size_t i = 0; i < order.size();)
  {
    std::uint64_t runPositives = 0;
    std::uint64_t runNegatives = 0;
    const double  value = scores[order[i]];
    for (; i < order.size() && scores[order[i]] == value; ++i)
    {
      (labels[order[i]] != 0 ? runPositives : runNegatives) += 1;
    }
    if (runPositives == 0)
    {
      above += runNegatives;
      continue;
    }
    runs.push_back({ value, runPositives, runNegatives, above });
    above = 0;
  }
  return metricsFromRuns(runs, positives, negatives, false, curvePoints);
}

} // namespace itk
