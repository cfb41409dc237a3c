#ifndef cradlGradientBuckets_h
#define cradlGradientBuckets_h

// The gradient all-reduce of data-parallel training, as PyTorch's DDP does
// it: parameters are grouped into buckets in the order the backward pass
// produces their gradients; a hook copies each gradient into its bucket as
// autograd computes it, and a full bucket's all-reduce starts at once, so
// communication overlaps the rest of the backward pass.

#include "cradlCollectives.h"
#include "cradlCoreExport.h"

#include <ATen/ATen.h>

#include <memory>
#include <vector>

namespace cradl
{

class CRADL_CORE_EXPORT GradientBuckets
{
public:
  /** `parameters` in the order of the forward pass (the backward pass meets
   *  them in reverse); buckets of about `bucketBytes` (a larger tensor has a
   *  bucket of its own). Registers a hook on every parameter. */
  GradientBuckets(const std::vector<at::Tensor> & parameters,
                  std::shared_ptr<Collectives>    collectives,
                  int64_t                         bucketBytes);
  ~GradientBuckets();
  GradientBuckets(const GradientBuckets &) = delete;
  GradientBuckets &
  operator=(const GradientBuckets &) = delete;

  /** After backward(): starts what has not started (a parameter that got no
   *  gradient counts as zero), waits for every sum and writes the sums over
   *  the processes into the parameters' .grad. Returns the seconds spent
   *  waiting here, the communication the backward pass did not hide. */
  double
  finish();

  int64_t
  buckets() const;
  /** Bytes summed per step (every parameter's gradient once). */
  int64_t
  bytesPerStep() const;

private:
  struct State;
  std::shared_ptr<State> m_State;
};

} // namespace cradl

#endif
