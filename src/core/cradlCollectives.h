#ifndef cradlCollectives_h
#define cradlCollectives_h

// What data parallelism needs from the processes of a run, without c10d's
// types: DistributedGroup (torch.distributed) implements it, and so can a
// test's stand-in. Every collective must be called by every process in the
// same order.

#include "cradlCoreExport.h"

#include <ATen/ATen.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace cradl
{

class CRADL_CORE_EXPORT Collectives
{
public:
  virtual ~Collectives() = default;

  virtual int64_t
  rank() const = 0;
  virtual int64_t
  worldSize() const = 0;
  /** Sums each tensor (contiguous) over the processes, in place; every
   *  process gets the same bits. */
  virtual void
  allReduceSum(std::vector<at::Tensor> & tensors) = 0;
  /** Starts summing `tensor` in place; the returned function waits for it. */
  virtual std::function<void()>
  startAllReduceSum(at::Tensor tensor) = 0;
  /** Rank `root`'s tensors to every process, in place. */
  virtual void
  broadcast(std::vector<at::Tensor> & tensors, int64_t root) = 0;
};

/** The rows [begin, end) of `count` that process `rank` of `worldSize` takes:
 *  contiguous shards whose sizes differ by at most one. */
CRADL_CORE_EXPORT std::pair<int64_t, int64_t>
shardOf(int64_t count, int64_t rank, int64_t worldSize);

/** Every process's `local` rows [n_r, ...] stacked in rank order, where
 *  process r holds the rows shardOf(total, r, W) gives. Differentiable: the
 *  gradient of the result flows back into the caller's own rows only, which
 *  is exact when every process computes the same function of the result. */
CRADL_CORE_EXPORT at::Tensor
gatherShards(Collectives & collectives, const at::Tensor & local, int64_t total);

/** Rank `root`'s bytes, on every process. */
CRADL_CORE_EXPORT std::string
broadcastBytes(Collectives & collectives, const std::string & bytes, int64_t root = 0);

/** Every process's text, in rank order. */
CRADL_CORE_EXPORT std::vector<std::string>
gatherText(Collectives & collectives, const std::string & text);

/** Throws std::runtime_error on every process when some process's `values`
 *  differ from rank 0's, naming the first that differs: "rank 1's batch_size
 *  is 32, rank 0's 64". `what` says what is compared ("training settings"). */
CRADL_CORE_EXPORT void
requireSameOnEveryProcess(Collectives &                                        collectives,
                          const std::vector<std::pair<std::string, double>> & values,
                          const std::string &                                  what);

} // namespace cradl

#endif
