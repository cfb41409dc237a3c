#include "cradlDistributed.h"

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <cstdlib>
#include <stdexcept>

namespace cradl
{

namespace
{
// An integer environment variable in [minimum, maximum]; `fallback` when unset.
int64_t
integerVariable(const char * name, int64_t fallback, int64_t minimum, int64_t maximum)
{
  const char * text = std::getenv(name);
  if (text == nullptr || *text == '\0')
    return fallback;
  char *          end = nullptr;
  const long long value = std::strtoll(text, &end, 10);
  if (*end != '\0' || value < minimum || value > maximum)
    throw std::invalid_argument(std::string(name) + "='" + text + "' is not an integer from " +
                                std::to_string(minimum) + " to " + std::to_string(maximum));
  return value;
}
} // namespace

DistributedEnvironment
DistributedEnvironment::fromEnvironment()
{
  DistributedEnvironment environment;
  environment.worldSize = integerVariable("WORLD_SIZE", 1, 1, 1 << 20);
  if (!environment.distributed())
    return environment;
  if (std::getenv("RANK") == nullptr)
    throw std::invalid_argument("WORLD_SIZE=" + std::to_string(environment.worldSize) +
                                " but RANK is not set: start the processes with torchrun, srun, or cradl --nproc");
  environment.rank = integerVariable("RANK", 0, 0, environment.worldSize - 1);
  environment.localRank = integerVariable("LOCAL_RANK", environment.rank, 0, environment.worldSize - 1);
  if (const char * address = std::getenv("MASTER_ADDR"); address != nullptr && *address != '\0')
    environment.address = address;
  environment.port = static_cast<int>(integerVariable("MASTER_PORT", environment.port, 1, 65535));
  return environment;
}

struct DistributedGroup::Impl
{
  c10::intrusive_ptr<c10d::TCPStore>        store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
};

DistributedGroup::DistributedGroup(const DistributedEnvironment & environment, std::chrono::milliseconds timeout)
  : m_Impl(std::make_unique<Impl>())
{
  const std::string where = environment.address + ":" + std::to_string(environment.port);
  try
  {
    c10d::TCPStoreOptions options;
    options.port = static_cast<std::uint16_t>(environment.port);
    options.isServer = environment.rank == 0;
    options.numWorkers = static_cast<std::size_t>(environment.worldSize);
    options.waitWorkers = true;
    options.timeout = timeout;
    m_Impl->store = c10::make_intrusive<c10d::TCPStore>(environment.address, options);
    auto groupOptions = c10d::ProcessGroupGloo::Options::create(timeout);
    groupOptions->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(environment.address));
    m_Impl->group = c10::make_intrusive<c10d::ProcessGroupGloo>(m_Impl->store, static_cast<int>(environment.rank),
                                                               static_cast<int>(environment.worldSize), groupOptions);
  }
  catch (const std::exception & error)
  {
    std::string message = error.what();
    message = message.substr(0, message.find('\n'));
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
  return m_Impl->group->getRank();
}

int64_t
DistributedGroup::worldSize() const
{
  return m_Impl->group->getSize();
}

void
DistributedGroup::allReduceSum(std::vector<at::Tensor> & tensors)
{
  for (auto & tensor : tensors)
  {
    std::vector<at::Tensor> one{ tensor };
    m_Impl->group->allreduce(one)->wait();
  }
}

void
DistributedGroup::broadcast(std::vector<at::Tensor> & tensors, int64_t root)
{
  c10d::BroadcastOptions options;
  options.rootRank = root;
  for (auto & tensor : tensors)
  {
    std::vector<at::Tensor> one{ tensor };
    m_Impl->group->broadcast(one, options)->wait();
  }
}

at::Tensor
DistributedGroup::allGather(const at::Tensor & tensor)
{
  std::vector<std::vector<at::Tensor>> outputs(1);
  for (int64_t r = 0; r < worldSize(); ++r)
    outputs[0].push_back(at::empty_like(tensor));
  std::vector<at::Tensor> input{ tensor.contiguous() };
  m_Impl->group->allgather(outputs, input)->wait();
  return at::stack(outputs[0]);
}

} // namespace cradl
