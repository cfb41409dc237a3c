#include "cradlDistributed.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef CRADL_HAS_GLOO
#  include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef USE_C10D_NCCL
#  include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <cstdlib>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <stdexcept>

namespace cradl
{

namespace
{
const char *
variable(const char * name)
{
  const char * text = std::getenv(name);
  return text != nullptr && *text != '\0' ? text : nullptr;
}

// An integer environment variable in [minimum, maximum]; `fallback` when unset.
// `leadingOnly` accepts SLURM's "2(x3)" as 2.
int64_t
integerVariable(const char * name, int64_t fallback, int64_t minimum, int64_t maximum, bool leadingOnly = false)
{
  const char * text = variable(name);
  if (text == nullptr)
    return fallback;
  char *          end = nullptr;
  const long long value = std::strtoll(text, &end, 10);
  if (end == text || (*end != '\0' && !leadingOnly) || value < minimum || value > maximum)
    throw std::invalid_argument(std::string(name) + "='" + text + "' is not an integer from " +
                                std::to_string(minimum) + " to " + std::to_string(maximum));
  return value;
}
} // namespace

std::string
firstHostOfNodeList(const std::string & nodeList)
{
  const std::size_t bracket = nodeList.find('[');
  const std::size_t comma = nodeList.find(',');
  if (bracket == std::string::npos || (comma != std::string::npos && comma < bracket))
    return nodeList.substr(0, comma);
  // "prefix[07-09,12]": the prefix and the first number as written (zeros kept).
  const std::size_t first = nodeList.find_first_of("-,]", bracket + 1);
  return nodeList.substr(0, bracket) + nodeList.substr(bracket + 1, first - bracket - 1);
}

DistributedEnvironment
DistributedEnvironment::fromEnvironment()
{
  DistributedEnvironment environment;
  if (variable("WORLD_SIZE") == nullptr && variable("SLURM_NTASKS") != nullptr && variable("SLURM_PROCID") != nullptr)
  {
    // srun: one task per process.
    environment.worldSize = integerVariable("SLURM_NTASKS", 1, 1, 1 << 20);
    if (!environment.distributed())
      return environment;
    environment.rank = integerVariable("SLURM_PROCID", 0, 0, environment.worldSize - 1);
    environment.localRank = integerVariable("SLURM_LOCALID", 0, 0, environment.worldSize - 1);
    environment.localWorldSize =
      integerVariable("SLURM_NTASKS_PER_NODE", environment.worldSize, 1, environment.worldSize, true);
    if (const char * address = variable("MASTER_ADDR"))
      environment.address = address;
    else if (const char * nodes = variable("SLURM_JOB_NODELIST"))
      environment.address = firstHostOfNodeList(nodes);
    environment.port = static_cast<int>(integerVariable("MASTER_PORT", environment.port, 1, 65535));
    return environment;
  }
  environment.worldSize = integerVariable("WORLD_SIZE", 1, 1, 1 << 20);
  if (!environment.distributed())
    return environment;
  if (variable("RANK") == nullptr)
    throw std::invalid_argument("WORLD_SIZE=" + std::to_string(environment.worldSize) +
                                " but RANK is not set: start the processes with torchrun, srun, or cradl --nproc");
  environment.rank = integerVariable("RANK", 0, 0, environment.worldSize - 1);
  environment.localRank = integerVariable("LOCAL_RANK", environment.rank, 0, environment.worldSize - 1);
  environment.localWorldSize =
    integerVariable("LOCAL_WORLD_SIZE", environment.worldSize, 1, environment.worldSize);
  if (const char * address = variable("MASTER_ADDR"))
    environment.address = address;
  environment.port = static_cast<int>(integerVariable("MASTER_PORT", environment.port, 1, 65535));
  return environment;
}

bool
distributedBackendAvailable(const std::string & backend)
{
#ifdef CRADL_HAS_GLOO
  if (backend == "gloo")
    return true;
#endif
#ifdef USE_C10D_NCCL
  if (backend == "nccl")
    return true;
#endif
  return false;
}

namespace
{
// A process group behind type-erased calls: c10d's classes and their Work
// type differ between LibTorch 1.13 (ProcessGroup) and 2.x (Backend).
struct BoundGroup
{
  std::function<std::function<void()>(std::vector<at::Tensor> &)>          allReduce;
  std::function<std::function<void()>(std::vector<at::Tensor> &, int64_t)> broadcast;

  explicit operator bool() const { return static_cast<bool>(allReduce); }

  template <typename Group>
  static BoundGroup
  of(const c10::intrusive_ptr<Group> & group)
  {
    BoundGroup bound;
    bound.allReduce = [group](std::vector<at::Tensor> & tensors) {
      auto work = group->allreduce(tensors);
      return std::function<void()>([work] { work->wait(); });
    };
    bound.broadcast = [group](std::vector<at::Tensor> & tensors, int64_t root) {
      c10d::BroadcastOptions options;
      options.rootRank = root;
      auto work = group->broadcast(tensors, options);
      return std::function<void()>([work] { work->wait(); });
    };
    return bound;
  }
};
} // namespace

namespace
{
// Said in full by connectToStore: passed on as it is.
struct StoreDoesNotAnswer : std::runtime_error
{
  using std::runtime_error::runtime_error;
};

// The run's store: served here (rank 0) or reached as a client, then a
// handshake (an `add`, which a c10d store answers at once). c10d's client
// waits for a reply without a time limit, so a port served by another
// program would hang every rank: the connection and the handshake run on a
// thread of their own, given up after the timeout (the thread, blocked on
// its socket, is left behind: the run ends with the error anyway).
c10::intrusive_ptr<c10d::TCPStore>
connectToStore(const DistributedEnvironment & environment, const c10d::TCPStoreOptions & options)
{
  using Store = c10::intrusive_ptr<c10d::TCPStore>;
  auto       result = std::make_shared<std::promise<Store>>();
  auto       reply = result->get_future();
  const auto address = environment.address;
  std::thread([result, address, options] {
    try
    {
      auto store = c10::make_intrusive<c10d::TCPStore>(address, options);
      store->add("cradl/handshake", 1);
      result->set_value(store);
    }
    catch (...)
    {
      result->set_exception(std::current_exception());
    }
  }).detach();
  // The store's own timeout ends a rendezvous that never completes; the
  // margin lets it say so first.
  const auto margin = std::chrono::seconds(2);
  if (reply.wait_for(options.timeout + margin) != std::future_status::ready)
    throw StoreDoesNotAnswer(
      "rank " + std::to_string(environment.rank) + " of " + std::to_string(environment.worldSize) + " reached " +
      address + ":" + std::to_string(environment.port) + " but no c10d store answered there within " +
      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(options.timeout).count()) +
      " s: another program serves that port, or rank 0 is stuck; choose another MASTER_PORT "
      "(CRADL_DISTRIBUTED_TIMEOUT sets the wait)");
  return reply.get();
}
} // namespace

struct DistributedGroup::Impl
{
  DistributedEnvironment             environment;
  std::string                        backend;
  c10::intrusive_ptr<c10d::TCPStore> store;
  BoundGroup                         gloo; // CPU tensors
  BoundGroup                         nccl; // CUDA tensors
  c10::Device                        ncclDevice{ c10::kCPU };

  // The group for `tensor`'s device, and the device its data must be on.
  const BoundGroup &
  groupFor(const at::Tensor & tensor, c10::Device & device) const
  {
    if (nccl && (tensor.is_cuda() || !gloo))
    {
      device = ncclDevice;
      return nccl;
    }
    device = c10::kCPU;
    if (!gloo)
      throw std::logic_error("no process group for CPU tensors");
    if (tensor.is_cuda())
      device = tensor.device(); // Gloo copies CUDA tensors through the host itself
    return gloo;
  }

  // Runs `collective` on `tensors`, copied to the group's device and back when needed.
  template <typename Collective>
  std::function<void()>
  run(std::vector<at::Tensor> & tensors, Collective collective) const
  {
    c10::Device        device = c10::kCPU;
    const BoundGroup & group = groupFor(tensors.front(), device);
    bool               inPlace = true;
    for (const auto & tensor : tensors)
      inPlace = inPlace && tensor.device() == device && tensor.is_contiguous();
    if (inPlace)
      return collective(group, tensors);
    // Collectives need contiguous tensors on the group's device: a copy, then back.
    std::vector<at::Tensor> moved;
    for (const auto & tensor : tensors)
      moved.push_back(tensor.to(device).contiguous());
    auto wait = collective(group, moved);
    return [wait, moved, originals = tensors]() mutable {
      wait();
      for (std::size_t i = 0; i < moved.size(); ++i)
        originals[i].copy_(moved[i]);
    };
  }
};

DistributedGroup::DistributedGroup(const DistributedEnvironment & environment,
                                   std::chrono::milliseconds      timeout,
                                   const std::string &            backend)
  : m_Impl(std::make_unique<Impl>())
{
  m_Impl->environment = environment;
  m_Impl->backend = backend;
  if (!distributedBackendAvailable(backend))
  {
    throw std::runtime_error("this Cradl was built without torch.distributed's " + backend + " backend (" +
                             (backend == "nccl" ? std::string("a CUDA LibTorch with NCCL is needed")
                                                : std::string("gloo's headers were not found: install libgloo-dev "
                                                              "and rebuild")) +
                             ")");
  }
  const std::string where = environment.address + ":" + std::to_string(environment.port);
  try
  {
    // Under torchrun the agent already serves the store on MASTER_PORT and
    // says so (TORCHELASTIC_USE_AGENT_STORE): every rank is a client then,
    // and the keys of each restart attempt stay apart, as PyTorch does.
    const char * agent = std::getenv("TORCHELASTIC_USE_AGENT_STORE");
    const bool   agentStore = agent != nullptr && std::string(agent) == "True";
    const char * attempt = std::getenv("TORCHELASTIC_RESTART_COUNT");
    c10d::TCPStoreOptions options;
    options.port = static_cast<std::uint16_t>(environment.port);
    options.isServer = environment.rank == 0 && !agentStore;
    options.numWorkers = static_cast<std::size_t>(environment.worldSize);
    options.waitWorkers = !agentStore;
    options.timeout = timeout;
    const auto served = connectToStore(environment, options);
    m_Impl->store = served;
    const c10::intrusive_ptr<c10d::Store> store = c10::make_intrusive<c10d::PrefixStore>(
      std::string("cradl/attempt_") + (attempt != nullptr ? attempt : "0"), served);
    const int rank = static_cast<int>(environment.rank);
    const int size = static_cast<int>(environment.worldSize);
#ifdef CRADL_HAS_GLOO
    {
      // Gloo always (where built): small CPU collectives of every stage.
      auto groupOptions = c10d::ProcessGroupGloo::Options::create(timeout);
      groupOptions->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(environment.address));
      m_Impl->gloo = BoundGroup::of(c10::make_intrusive<c10d::ProcessGroupGloo>(
        c10::make_intrusive<c10d::PrefixStore>("gloo", store), rank, size, groupOptions));
    }
#endif
#ifdef USE_C10D_NCCL
    if (backend == "nccl")
    {
      auto groupOptions = c10d::ProcessGroupNCCL::Options::create();
      groupOptions->timeout = timeout;
      m_Impl->ncclDevice = c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(environment.localRank));
      m_Impl->nccl = BoundGroup::of(c10::make_intrusive<c10d::ProcessGroupNCCL>(
        c10::make_intrusive<c10d::PrefixStore>("nccl", store), rank, size, groupOptions));
    }
#endif
    // The group is usable once every rank answered: a first collective.
    std::vector<at::Tensor> one{ at::ones({ 1 }) };
    allReduceSum(one);
  }
  catch (const StoreDoesNotAnswer &)
  {
    throw;
  }
  catch (const std::exception & error)
  {
    std::string message = error.what();
    message = message.substr(0, message.find('\n'));
    if (message.find("failed to bind") != std::string::npos || message.find("Address already in use") != std::string::npos)
      throw std::runtime_error("rank 0 of " + std::to_string(environment.worldSize) + " could not serve the run at " +
                               where + ": the port is in use (another run, or a launcher that serves the store "
                               "itself without saying so in TORCHELASTIC_USE_AGENT_STORE): choose another MASTER_PORT");
    throw std::runtime_error("rank " + std::to_string(environment.rank) + " of " +
                             std::to_string(environment.worldSize) + " could not join the run at " + where +
                             " within " + std::to_string(timeout.count() / 1000.0).substr(0, 5) +
                             " s: is rank 0 running there, and are MASTER_ADDR and MASTER_PORT the same on every "
                             "rank? (" + message + ")");
  }
}

DistributedGroup::~DistributedGroup() = default;

int64_t
DistributedGroup::rank() const
{
  return m_Impl->environment.rank;
}

int64_t
DistributedGroup::worldSize() const
{
  return m_Impl->environment.worldSize;
}

const DistributedEnvironment &
DistributedGroup::environment() const
{
  return m_Impl->environment;
}

const std::string &
DistributedGroup::backend() const
{
  return m_Impl->backend;
}

void
DistributedGroup::allReduceSum(std::vector<at::Tensor> & tensors)
{
  // One collective per tensor: c10d's allreduce takes a list as the copies
  // of one tensor on several devices, not as several tensors.
  std::vector<std::function<void()>> pending;
  for (auto & tensor : tensors)
    pending.push_back(startAllReduceSum(tensor));
  for (auto & wait : pending)
    wait();
}

std::function<void()>
DistributedGroup::startAllReduceSum(at::Tensor tensor)
{
  std::vector<at::Tensor> one{ std::move(tensor) };
  return m_Impl->run(one, [](const BoundGroup & group, std::vector<at::Tensor> & tensors) {
    return group.allReduce(tensors);
  });
}

void
DistributedGroup::broadcast(std::vector<at::Tensor> & tensors, int64_t root)
{
  for (auto & tensor : tensors)
  {
    std::vector<at::Tensor> one{ tensor };
    m_Impl->run(one, [root](const BoundGroup & group, std::vector<at::Tensor> & moved) {
      return group.broadcast(moved, root);
    })();
  }
}

at::Tensor
DistributedGroup::allGather(const at::Tensor & tensor)
{
  const at::Tensor row = tensor.contiguous().unsqueeze(0);
  return gatherShards(*this, row, worldSize()).detach();
}

std::shared_ptr<DistributedGroup>
processGroupOfEnvironment(const c10::Device & device)
{
  static std::mutex                        mutex;
  static std::shared_ptr<DistributedGroup> group;
  static bool                              joined = false;
  std::lock_guard<std::mutex>              lock(mutex);
  if (!joined)
  {
    // A failed rendezvous throws again at the next call: never a silent single process.
    const DistributedEnvironment environment = DistributedEnvironment::fromEnvironment();
    if (environment.distributed())
    {
      const int64_t seconds = integerVariable("CRADL_DISTRIBUTED_TIMEOUT", 300, 1, 1 << 20);
      const bool    nccl = device.is_cuda() && distributedBackendAvailable("nccl");
      group = std::make_shared<DistributedGroup>(environment, std::chrono::seconds(seconds), nccl ? "nccl" : "gloo");
    }
    joined = true;
  }
  return group;
}

} // namespace cradl
