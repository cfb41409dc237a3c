#include "cradlGradientBuckets.h"

#include <ATen/core/grad_mode.h>

#include <chrono>
#include <functional>
#include <mutex>

namespace cradl
{

struct GradientBuckets::State
{
  struct Bucket
  {
    at::Tensor            flat;
    std::vector<int64_t>  parameters; // indices into `parameters`
    int64_t               waitingFor = 0;
    std::function<void()> wait;
  };
  struct Place
  {
    int64_t bucket = 0;
    int64_t offset = 0;
    bool    arrived = false;
  };

  std::shared_ptr<Collectives> collectives;
  std::vector<at::Tensor>      parameters;
  std::vector<Place>           places;
  std::vector<Bucket>          buckets;
  int64_t                      nextToStart = 0;
  int64_t                      bytes = 0;
  // Autograd may call hooks from its worker threads (CUDA).
  std::mutex mutex;

  at::Tensor
  slot(int64_t parameter)
  {
    const Place &    place = places[static_cast<std::size_t>(parameter)];
    const at::Tensor p = parameters[static_cast<std::size_t>(parameter)];
    return buckets[static_cast<std::size_t>(place.bucket)].flat.slice(0, place.offset, place.offset + p.numel()).view(p.sizes());
  }

  // Buckets start in their fixed order, so that every process issues the
  // same sequence of collectives.
  void
  startReadyBuckets()
  {
    while (nextToStart < static_cast<int64_t>(buckets.size()) &&
           buckets[static_cast<std::size_t>(nextToStart)].waitingFor == 0)
    {
      Bucket & bucket = buckets[static_cast<std::size_t>(nextToStart++)];
      bucket.wait = collectives->startAllReduceSum(bucket.flat);
    }
  }

  void
  arrived(int64_t parameter, const at::Tensor & gradient)
  {
    std::lock_guard<std::mutex> lock(mutex);
    Place &                     place = places[static_cast<std::size_t>(parameter)];
    slot(parameter).copy_(gradient);
    if (!place.arrived)
    {
      place.arrived = true;
      --buckets[static_cast<std::size_t>(place.bucket)].waitingFor;
      startReadyBuckets();
    }
  }
};

GradientBuckets::GradientBuckets(const std::vector<at::Tensor> & parameters,
                                 std::shared_ptr<Collectives>    collectives,
                                 int64_t                         bucketBytes)
  : m_State(std::make_shared<State>())
{
  State & s = *m_State;
  s.collectives = std::move(collectives);
  s.parameters = parameters;
  s.places.resize(parameters.size());
  int64_t filled = 0;
  for (int64_t i = static_cast<int64_t>(parameters.size()) - 1; i >= 0; --i)
  {
    const at::Tensor & p = parameters[static_cast<std::size_t>(i)];
    const int64_t      size = p.numel() * static_cast<int64_t>(p.element_size());
    // A bucket holds one dtype and device; the next one starts when this
    // one would grow past bucketBytes (a larger tensor fills one alone).
    const auto sameKind = [&] {
      const at::Tensor & first = s.parameters[static_cast<std::size_t>(s.buckets.back().parameters.front())];
      return first.scalar_type() == p.scalar_type() && first.device() == p.device();
    };
    if (s.buckets.empty() || (filled > 0 && filled + size > bucketBytes) || !sameKind())
    {
      s.buckets.emplace_back();
      filled = 0;
    }
    State::Bucket & bucket = s.buckets.back();
    s.places[static_cast<std::size_t>(i)] = { static_cast<int64_t>(s.buckets.size()) - 1, filled / p.element_size(), false };
    bucket.parameters.push_back(i);
    filled += size;
    s.bytes += size;
  }
  for (auto & bucket : s.buckets)
  {
    int64_t elements = 0;
    for (const int64_t i : bucket.parameters)
      elements += s.parameters[static_cast<std::size_t>(i)].numel();
    bucket.flat = at::zeros({ elements }, s.parameters[static_cast<std::size_t>(bucket.parameters.front())].options());
    bucket.waitingFor = static_cast<int64_t>(bucket.parameters.size());
  }
  const std::weak_ptr<State> weak = m_State;
  for (std::size_t i = 0; i < parameters.size(); ++i)
  {
    at::Tensor parameter = parameters[i];
    parameter.register_hook([weak, i](const at::Tensor & gradient) {
      if (auto state = weak.lock())
        state->arrived(static_cast<int64_t>(i), gradient);
    });
  }
}

GradientBuckets::~GradientBuckets() = default;

double
GradientBuckets::finish()
{
  State &    s = *m_State;
  const auto started = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    for (std::size_t i = 0; i < s.places.size(); ++i)
    {
      State::Place & place = s.places[i];
      if (!place.arrived)
      {
        s.slot(static_cast<int64_t>(i)).zero_();
        place.arrived = true;
        --s.buckets[static_cast<std::size_t>(place.bucket)].waitingFor;
      }
    }
    s.startReadyBuckets();
  }
  for (auto & bucket : s.buckets)
  {
    bucket.wait();
    bucket.wait = nullptr;
    bucket.waitingFor = static_cast<int64_t>(bucket.parameters.size());
  }
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  at::NoGradGuard noGrad;
  for (std::size_t i = 0; i < s.parameters.size(); ++i)
  {
    at::Tensor & parameter = s.parameters[i];
    const at::Tensor sum = s.slot(static_cast<int64_t>(i));
    if (parameter.grad().defined())
      parameter.mutable_grad().copy_(sum);
    else
      parameter.mutable_grad() = sum.clone();
    s.places[i].arrived = false;
  }
  s.nextToStart = 0;
  return waited;
}

int64_t
GradientBuckets::buckets() const
{
  return static_cast<int64_t>(m_State->buckets.size());
}

int64_t
GradientBuckets::bytesPerStep() const
{
  return m_State->bytes;
}

} // namespace cradl
