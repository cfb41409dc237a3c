// The pieces of data parallelism that need no second process: shards, the
// gradient buckets (against a stand-in whose "sum over two identical
// processes" doubles), the environment of torchrun and srun.
#include "cradlCollectives.h"
#include "cradlDistributed.h"
#include "cradlEncoder.h"
#include "cradlGradientBuckets.h"

#include "../cradlErrorModel.h"

#include <gtest/gtest.h>
#include <torch/nn/functional/batchnorm.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/linear.h>
#include <torch/types.h>

#include <cstdlib>
#include <string>

namespace
{
// Two identical processes, seen from one: every sum is twice the value. It
// records the order in which sums started, and whether each had started
// before the backward pass ended.
class TwoIdenticalProcesses : public cradl::Collectives
{
public:
  std::vector<int64_t> started; // numel of each tensor, in order
  bool                 backwardRunning = false;
  std::vector<bool>    startedDuringBackward;

  int64_t
  rank() const override
  {
    return 0;
  }
  int64_t
  worldSize() const override
  {
    return 2;
  }
  void
  allReduceSum(std::vector<at::Tensor> & tensors) override
  {
    for (auto & tensor : tensors)
      tensor.mul_(2);
  }
  std::function<void()>
  startAllReduceSum(at::Tensor tensor) override
  {
    started.push_back(tensor.numel());
    startedDuringBackward.push_back(backwardRunning);
    return [tensor]() mutable { tensor.mul_(2); };
  }
  void
  broadcast(std::vector<at::Tensor> &, int64_t) override
  {}
};

struct ScopedVariables
{
  std::vector<std::string> names;
  ScopedVariables(std::initializer_list<std::pair<const char *, const char *>> variables)
  {
    for (const auto & [name, value] : variables)
    {
      names.push_back(name);
      setenv(name, value, 1);
    }
  }
  ~ScopedVariables()
  {
    for (const auto & name : names)
      unsetenv(name.c_str());
  }
};
} // namespace

using Shard = std::pair<int64_t, int64_t>;

TEST(Collectives, ShardsCoverTheBatchInOrderAndDifferByAtMostOne)
{
  // 10 rows over 3 processes: 0-3, 3-6, 6-10 (10 r / 3 rounded down).
  EXPECT_EQ(cradl::shardOf(10, 0, 3), Shard(0, 3));
  EXPECT_EQ(cradl::shardOf(10, 1, 3), Shard(3, 6));
  EXPECT_EQ(cradl::shardOf(10, 2, 3), Shard(6, 10));
  EXPECT_EQ(cradl::shardOf(8, 1, 2), Shard(4, 8));
  EXPECT_EQ(cradl::shardOf(1, 0, 2), Shard(0, 0));
  EXPECT_EQ(cradl::shardOf(1, 1, 2), Shard(0, 1));
}

TEST(GlobalBatchNorm, OverTwoIdenticalProcessesEqualsBatchNormOfTheBatchStackedTwice)
{
  // Seen from one of two processes holding the same rows x, the global batch
  // is [x; x]: LibTorch's batch norm of it in float64 is the reference for
  // the output, the gradient of x's rows (upstream [g; g]), the running
  // statistics, and twice the weight's and bias's own-row gradients (the
  // gradient all-reduce adds the other process's share).
  torch::manual_seed(5);
  const int64_t    channels = 5;
  const at::Tensor x = at::randn({ 6, channels, 7, 7 }) * 2.0 + 1.0;
  const at::Tensor g = at::randn({ 6, channels, 7, 7 });
  torch::nn::BatchNorm2d norm(channels);
  {
    torch::NoGradGuard noGrad;
    norm->weight.copy_(at::rand({ channels }) + 0.5);
    norm->bias.copy_(at::randn({ channels }));
  }
  torch::nn::BatchNorm2d reference(channels);
  reference->to(at::kDouble);
  {
    torch::NoGradGuard noGrad;
    reference->weight.copy_(norm->weight);
    reference->bias.copy_(norm->bias);
  }
  const at::Tensor stacked = at::cat({ x, x }).to(at::kDouble).requires_grad_();
  const at::Tensor expected = reference->forward(stacked);
  expected.backward(at::cat({ g, g }).to(at::kDouble));

  const at::Tensor input = x.clone().requires_grad_();
  const at::Tensor output = cradl::globalBatchNorm(input, *norm, std::make_shared<TwoIdenticalProcesses>());
  output.backward(g);

  // Error model: every value is a float32 sum of at most n = 2 x 6 x 49
  // terms (the statistics and the backward pass's sums), each term at most
  // the magnitudes it combines; the input's gradient combines three such
  // terms per element (scale dy, scale mean(dy), scale x_hat mean(dy x_hat)).
  const int64_t    n = 2 * 6 * 7 * 7;
  const double     error = 4 * cradl_test::gamma(n, cradl_test::Float32UnitRoundoff);
  const at::Tensor rows = expected.slice(0, 0, 6);
  const at::Tensor expectedGradient = stacked.grad().slice(0, 0, 6);
  const auto       farthest = [](const at::Tensor & a, const at::Tensor & b, const at::Tensor & scale) {
    return ((a.to(at::kDouble) - b) / scale).abs().max().item<double>();
  };
  const at::Tensor view = reference->weight.detach().abs().view({ 1, channels, 1, 1 });
  const at::Tensor xHat = (rows - reference->bias.detach().view({ 1, channels, 1, 1 })) / view;
  const at::Tensor outputScale = view * (xHat.abs() + 1.0) + reference->bias.detach().abs().view({ 1, channels, 1, 1 });
  EXPECT_LE(farthest(output.detach(), rows.detach(), outputScale), error);
  const at::Tensor gradientScale =
    view * (g.abs().to(at::kDouble) + g.abs().mean().item<double>() * (1.0 + xHat.detach().abs())) *
    (stacked.detach().std() + 1.0).reciprocal() * 8.0;
  EXPECT_LE(farthest(input.grad(), expectedGradient, gradientScale), error);
  // The weight's and bias's gradients: sums of dy x_hat and dy over [x; x].
  const at::Tensor sumScale = 2 * (g.abs().to(at::kDouble) * (1.0 + xHat.detach().abs())).sum({ 0, 2, 3 });
  EXPECT_LE(farthest(2 * norm->weight.grad(), reference->weight.grad(), sumScale), error);
  EXPECT_LE(farthest(2 * norm->bias.grad(), reference->bias.grad(), sumScale), error);
  const at::Tensor statisticsScale = at::full({ channels }, 1.0 + 4.0 * x.abs().max().item<double>(), at::kDouble);
  EXPECT_LE(farthest(norm->running_mean, reference->running_mean, statisticsScale), error);
  EXPECT_LE(farthest(norm->running_var, reference->running_var, statisticsScale.pow(2)), error);
  EXPECT_EQ(norm->num_batches_tracked.item<int64_t>(), 1);
  // Without the other process's share the weight's gradient is half the
  // reference: far outside.
  EXPECT_GT(farthest(norm->weight.grad(), reference->weight.grad(), sumScale), 100 * error);
}

TEST(GradientBuckets, SumEveryGradientStartingBucketsInOrderDuringTheBackwardPass)
{
  torch::manual_seed(3);
  // Three layers (float32): first 40 + 4 values, second 40 + 10, third 50 + 5.
  torch::nn::Linear first(10, 4), second(4, 10), third(10, 5);
  std::vector<at::Tensor> parameters;
  for (torch::nn::Linear * layer : { &first, &second, &third })
    for (const auto & p : (*layer)->parameters())
      parameters.push_back(p);
  const at::Tensor input = torch::randn({ 6, 10 });
  const auto       loss = [&] { return third(torch::relu(second(torch::relu(first(input))))).pow(2).sum(); };

  // Plain gradients first.
  loss().backward();
  std::vector<at::Tensor> plain;
  for (auto & p : parameters)
  {
    plain.push_back(p.grad().clone());
    p.mutable_grad().zero_();
  }

  auto                   processes = std::make_shared<TwoIdenticalProcesses>();
  cradl::GradientBuckets buckets(parameters, processes, 200);
  // Buckets of 200 bytes in reverse order: third's bias (20 bytes); third's
  // weight (200) does not fit beside it and fills one alone; second's bias
  // and weight (40 + 160); first's (16 + 160).
  EXPECT_EQ(buckets.buckets(), 4);
  EXPECT_EQ(buckets.bytesPerStep(), 4 * (44 + 50 + 55));
  for (int step = 0; step < 2; ++step) // the buckets are reused step after step
  {
    processes->started.clear();
    processes->startedDuringBackward.clear();
    processes->backwardRunning = true;
    loss().backward();
    processes->backwardRunning = false;
    buckets.finish();
    for (std::size_t i = 0; i < parameters.size(); ++i)
    {
      EXPECT_TRUE(at::equal(parameters[i].grad(), 2 * plain[i])) << "parameter " << i << " step " << step;
      parameters[i].mutable_grad().zero_();
    }
    ASSERT_EQ(static_cast<int64_t>(processes->started.size()), buckets.buckets());
    // Every bucket started from a hook, inside backward(): communication
    // overlaps the rest of the backward pass.
    for (bool during : processes->startedDuringBackward)
      EXPECT_TRUE(during);
    // In the order the backward pass fills them: the last layer's first.
    EXPECT_EQ(processes->started, (std::vector<int64_t>{ 5, 50, 50, 44 }));
  }
}

TEST(GradientBuckets, AParameterWithoutGradientCountsAsZero)
{
  torch::nn::Linear       used(3, 2), unused(3, 2);
  std::vector<at::Tensor> parameters = used->parameters();
  for (const auto & p : unused->parameters())
    parameters.push_back(p);
  auto                   processes = std::make_shared<TwoIdenticalProcesses>();
  cradl::GradientBuckets buckets(parameters, processes, 1 << 20);
  used(torch::ones({ 1, 3 })).sum().backward();
  buckets.finish();
  EXPECT_TRUE(at::equal(unused->weight.grad(), at::zeros({ 2, 3 })));
  EXPECT_TRUE(at::equal(used->bias.grad(), 2 * at::ones({ 2 })));
}

TEST(DistributedEnvironment, SrunsVariablesWhenTorchrunsAreAbsent)
{
  ScopedVariables slurm{ { "SLURM_NTASKS", "8" },         { "SLURM_PROCID", "5" },
                         { "SLURM_LOCALID", "1" },        { "SLURM_NTASKS_PER_NODE", "4(x2)" },
                         { "SLURM_JOB_NODELIST", "gpu[07-08]" } };
  const auto environment = cradl::DistributedEnvironment::fromEnvironment();
  EXPECT_EQ(environment.worldSize, 8);
  EXPECT_EQ(environment.rank, 5);
  EXPECT_EQ(environment.localRank, 1);
  EXPECT_EQ(environment.localWorldSize, 4);
  EXPECT_EQ(environment.address, "gpu07");
  EXPECT_EQ(environment.port, 29500);
  {
    // torchrun's variables win where both are set (torchrun inside an allocation).
    ScopedVariables torchrun{ { "WORLD_SIZE", "2" }, { "RANK", "1" }, { "MASTER_ADDR", "10.0.0.2" } };
    const auto      inner = cradl::DistributedEnvironment::fromEnvironment();
    EXPECT_EQ(inner.worldSize, 2);
    EXPECT_EQ(inner.rank, 1);
    EXPECT_EQ(inner.address, "10.0.0.2");
  }
  EXPECT_EQ(cradl::firstHostOfNodeList("node3"), "node3");
  EXPECT_EQ(cradl::firstHostOfNodeList("a1,b2"), "a1");
  EXPECT_EQ(cradl::firstHostOfNodeList("gpu[012,015-017],cpu4"), "gpu012");
  EXPECT_EQ(cradl::firstHostOfNodeList("cpu4,gpu[1-2]"), "cpu4");
}
