#ifndef cradlDistributed_h
#define cradlDistributed_h

// Data parallelism on torch.distributed (c10d): the rendezvous that torchrun
// and cluster launchers describe in the environment (RANK, WORLD_SIZE,
// LOCAL_RANK, MASTER_ADDR, MASTER_PORT), a TCP store served by rank 0, and a
// Gloo process group (CPU tensors) for the collectives.

#include "cradlCoreExport.h"

#include <ATen/ATen.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace cradl
{

/** Where this process stands in a run of WORLD_SIZE processes. */
struct CRADL_CORE_EXPORT DistributedEnvironment
{
  int64_t     rank = 0;
  int64_t     worldSize = 1;
  int64_t     localRank = 0;
  std::string address = "127.0.0.1";
  int         port = 29500;

  bool
  distributed() const
  {
    return worldSize > 1;
  }
  /** From RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT; without
   *  WORLD_SIZE a single process. Throws std::invalid_argument naming the
   *  variable that is missing or wrong. */
  static DistributedEnvironment
  fromEnvironment();
};

/** The collectives of one run. Construction is the rendezvous: rank 0
 *  serves the store, every rank connects within `timeout` or gets a
 *  std::runtime_error that says where it tried to connect. */
class CRADL_CORE_EXPORT DistributedGroup
{
public:
  DistributedGroup(const DistributedEnvironment & environment, std::chrono::milliseconds timeout);
  ~DistributedGroup();
  DistributedGroup(const DistributedGroup &) = delete;
  DistributedGroup &
  operator=(const DistributedGroup &) = delete;

  int64_t
  rank() const;
  int64_t
  worldSize() const;
  /** Sums each tensor (CPU, contiguous) over the ranks, in place. */
  void
  allReduceSum(std::vector<at::Tensor> & tensors);
  /** Rank `root`'s tensors to every rank, in place. */
  void
  broadcast(std::vector<at::Tensor> & tensors, int64_t root = 0);
  /** Every rank's `tensor` (same shape everywhere), stacked [worldSize, ...]. */
  at::Tensor
  allGather(const at::Tensor & tensor);

private:
  struct Impl;
  std::unique_ptr<Impl> m_Impl;
};

} // namespace cradl

#endif
