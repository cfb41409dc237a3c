#ifndef cradlDistributed_h
#define cradlDistributed_h

// Data parallelism on torch.distributed (c10d): the rendezvous that torchrun
// and cluster launchers describe in the environment (RANK, WORLD_SIZE,
// LOCAL_RANK, MASTER_ADDR, MASTER_PORT; SLURM's srun variables too), a TCP
// store served by rank 0, and a process group for the collectives: Gloo for
// CPU tensors, NCCL for CUDA tensors where LibTorch was built with it.

#include "cradlCollectives.h"
#include "cradlCoreExport.h"

#include <ATen/ATen.h>
#include <c10/core/Device.h>

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
  int64_t     localWorldSize = 1; // processes on this machine (LOCAL_WORLD_SIZE)

  bool
  distributed() const
  {
    return worldSize > 1;
  }
  /** From RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR,
   *  MASTER_PORT (torchrun's); without WORLD_SIZE, from SLURM_NTASKS,
   *  SLURM_PROCID, SLURM_LOCALID, SLURM_NTASKS_PER_NODE and the first host of
   *  SLURM_JOB_NODELIST (srun's); without either, a single process. Throws
   *  std::invalid_argument naming the variable that is missing or wrong. */
  static DistributedEnvironment
  fromEnvironment();
};

/** The first host of a SLURM node list: "gpu[07-09,12],cpu3" -> "gpu07". */
CRADL_CORE_EXPORT std::string
firstHostOfNodeList(const std::string & nodeList);

/** Whether this LibTorch can make the process group for `backend`
 *  ("gloo": built with gloo's headers; "nccl": a CUDA LibTorch with NCCL). */
CRADL_CORE_EXPORT bool
distributedBackendAvailable(const std::string & backend);

/** The collectives of one run. Construction is the rendezvous: rank 0
 *  serves the store, every rank connects within `timeout` or gets a
 *  std::runtime_error that says where it tried to connect. `backend`:
 *  "gloo" (CPU tensors, CUDA tensors through the host) or "nccl" (CUDA
 *  tensors on the GPU of LOCAL_RANK). */
class CRADL_CORE_EXPORT DistributedGroup : public Collectives
{
public:
  DistributedGroup(const DistributedEnvironment & environment,
                   std::chrono::milliseconds      timeout,
                   const std::string &            backend = "gloo");
  ~DistributedGroup();
  DistributedGroup(const DistributedGroup &) = delete;
  DistributedGroup &
  operator=(const DistributedGroup &) = delete;

  int64_t
  rank() const override;
  int64_t
  worldSize() const override;
  const DistributedEnvironment &
  environment() const;
  const std::string &
  backend() const;
  /** Sums each tensor (contiguous) over the ranks, in place. */
  void
  allReduceSum(std::vector<at::Tensor> & tensors) override;
  std::function<void()>
  startAllReduceSum(at::Tensor tensor) override;
  /** Rank `root`'s tensors to every rank, in place. */
  void
  broadcast(std::vector<at::Tensor> & tensors, int64_t root = 0) override;
  /** Every rank's `tensor` (same shape everywhere), stacked [worldSize, ...]. */
  at::Tensor
  allGather(const at::Tensor & tensor);

private:
  struct Impl;
  std::unique_ptr<Impl> m_Impl;
};

/** The run this process belongs to, joined once and shared by every stage:
 *  null in a single process (no WORLD_SIZE); else the group of the
 *  environment, NCCL when `device` is CUDA and NCCL is there, else Gloo.
 *  The rendezvous waits CRADL_DISTRIBUTED_TIMEOUT seconds (default 300). */
CRADL_CORE_EXPORT std::shared_ptr<DistributedGroup>
processGroupOfEnvironment(const c10::Device & device);

} // namespace cradl

#endif
