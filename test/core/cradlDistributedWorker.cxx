// One rank of the distributed tests (cradlDistributedGTest). Modes:
//   (none)                 prints what the collectives gave it
//   em                     EM on its half of the rows against EM on all rows
//   train                  one epoch data-parallel against one process
//   mismatch               trains with rank 1's batch size changed (refused)
//   checkpoint FILE E [W]  trains up to epoch E resuming from FILE, saving it
//                          after each epoch; writes the weights to W
//   reference E W          one process, E epochs uninterrupted, weights to W
//                          and the bound of another run's distance
//   cradlDistributedWorker TIMEOUT_MS [MODE ...]
#include "cradlContrastiveTraining.h"
#include "cradlDistributed.h"
#include "cradlGaussianMixture.h"
#include "cradlTinyTraining.h"

#include "../cradlErrorModel.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <string>

namespace
{
// The same 600 x 6 rows on every rank (seeded), three clusters; rank r keeps rows r, r + W, ...
int
emAgainstOneProcess(cradl::DistributedGroup & group)
{
  at::manual_seed(11);
  const at::Tensor centres = at::tensor({ 0.0, 4.0, -3.0 }, at::kDouble).view({ 3, 1 }).expand({ 3, 6 });
  const at::Tensor X = (at::randn({ 600, 6 }, at::kDouble) + centres.repeat({ 200, 1 })).contiguous();
  const at::Tensor mine = X.slice(0, group.rank(), X.size(0), group.worldSize()).contiguous();
  cradl::EmOptions options;
  options.components = 3;
  options.tolerance = 1e-10;
  options.maxIterations = 20;
  // The same start everywhere: k-means++ on all rows, as rank 0 would broadcast it.
  cradl::EmOptions start = options;
  start.maxIterations = 1;
  const auto initial = cradl::fitEm(X, start).parameters;
  const auto alone = cradl::fitEm(X, options, &initial);
  options.sumAcrossProcesses = [&group](std::vector<at::Tensor> & tensors) { group.allReduceSum(tensors); };
  const auto together = cradl::fitEm(mine, options, &initial);
  // Sums of N terms in another order, through every iteration: per iteration
  // 2 gamma_N of the magnitudes, amplified by the covariances' condition number.
  const double kappa = at::linalg_cond(alone.parameters.covariances).max().item<double>();
  const double bound = cradl_test::DrawSafetyFactor * alone.iterations * 2 *
                       cradl_test::gamma(X.size(0) * X.size(1), cradl_test::Float64UnitRoundoff) * kappa;
  const auto   relative = [](const at::Tensor & a, const at::Tensor & b) {
    return ((a - b).abs().max() / b.abs().max()).item<double>();
  };
  const double difference = std::max({ relative(together.parameters.means, alone.parameters.means),
                                       relative(together.parameters.covariances, alone.parameters.covariances),
                                       relative(together.parameters.weights, alone.parameters.weights) });
  std::cout << "rank " << group.rank() << " em iterations " << together.iterations << " " << alone.iterations
            << " lower bound " << together.lowerBound << " " << alone.lowerBound << " difference " << difference
            << " bound " << bound << (difference <= bound && together.iterations == alone.iterations ? " ok" : " FAIL")
            << std::endl;
  return 0;
}
// The parameters and buffers of the encoder and head that the computation
// determines, flattened (float64). Left out: the biases of the convolutions
// that feed a batch norm, and the running means that follow them: batch
// norm removes any constant, so their gradient is zero in exact arithmetic
// and Adam turns its rounding noise into steps of +-lr in any run, one
// process or several.
at::Tensor
flatWeights(const cradl::ContrastiveTraining & training)
{
  std::vector<at::Tensor> parts;
  const cradl::ValueDict  weights = training.currentWeights();
  for (const char * part : { "encoder", "head" })
  {
    const auto state = weights.at(part).toGenericDict();
    for (const auto & item : state)
    {
      const std::string name = item.key().toStringRef();
      const auto        dot = name.rfind('.');
      const std::string layer = name.substr(0, dot);
      const auto        index = layer.rfind('.');
      const std::string next = layer.substr(0, index + 1) + std::to_string(std::stoll(layer.substr(index + 1)) + 1);
      const bool        feedsNorm = name.substr(dot) == ".bias" && state.contains(next + ".running_mean");
      if (feedsNorm || name.substr(dot) == ".running_mean")
        continue;
      parts.push_back(item.value().toTensor().to(at::kDouble).flatten());
    }
  }
  return at::cat(parts);
}

cradl::ContrastiveTraining
tinyRun(const cradl::TrainingOptions & options, std::shared_ptr<cradl::Collectives> collectives = nullptr)
{
  return cradl::ContrastiveTraining(cradl_test::tinyEncoder(), {}, options, c10::kCPU, cradl_test::blobSlices(32, 1),
                                    cradl_test::blobSlices(12, 2), std::move(collectives));
}

double
relativeDifference(const at::Tensor & a, const at::Tensor & b)
{
  return ((a - b).norm() / b.norm()).item<double>();
}

// The error model of data-parallel training: two runs of the same global
// batches differ only in the order of float32 sums (batch-norm statistics,
// gradients summed over the processes, convolutions of other batch sizes).
// Each sum of n terms is off by at most gamma_n u32 times the sum of its
// terms' magnitudes, not of its result: where a gradient element cancels
// (conv weights before a batch norm), its error is of the size of the
// tensor's large elements and Adam's normalisation turns it into a step
// (measured on AVX-512 oneDNN: one process with 1 thread against 2 threads
// 6.1e-5 apart; a relative perturbation bounded that at 7.8e-6). So the
// one-process run is repeated with every gradient element perturbed by
// gamma_n u32 times its tensor's largest magnitude at every step (n: the
// largest sum, the first layers' 2 B (S/2)^2 terms); the bound is
// DrawSafetyFactor times the farthest perturbed run's distance.
struct TrainingBound
{
  at::Tensor reference; // flat weights of the unperturbed run
  double     referenceLoss = 0.0;
  double     weights = 0.0; // bound on the relative distance of weights
  double     loss = 0.0;    // and of the last epoch's training loss
};

TrainingBound
oneProcessTraining(const cradl::TrainingOptions & options)
{
  TrainingBound bound;
  auto          reference = tinyRun(options);
  while (!reference.finished())
    bound.referenceLoss = reference.trainEpoch().trainingLoss;
  bound.reference = flatWeights(reference);
  const int64_t sumLength = 2 * options.batchSize * (64 / 2) * (64 / 2);
  const double  perturbation = cradl_test::gamma(sumLength, cradl_test::Float32UnitRoundoff);
  for (uint64_t draw = 0; draw < 2; ++draw)
  {
    auto          run = tinyRun(options);
    at::Generator noise = at::make_generator<at::CPUGeneratorImpl>(100 + draw);
    run.setGradientCallback([&](const std::vector<at::Tensor> & parameters) {
      for (const auto & parameter : parameters)
      {
        at::Tensor gradient = parameter.mutable_grad();
        const at::Tensor scale = gradient.abs().max();
        gradient.add_(scale * perturbation * (2.0 * at::rand(parameter.sizes(), noise) - 1.0));
      }
    });
    double loss = 0.0;
    while (!run.finished())
      loss = run.trainEpoch().trainingLoss;
    bound.weights = std::max(bound.weights, relativeDifference(flatWeights(run), bound.reference));
    bound.loss = std::max(bound.loss, std::abs(loss - bound.referenceLoss) / bound.referenceLoss);
  }
  bound.weights *= cradl_test::DrawSafetyFactor;
  // The loss itself is a float32 sum over the 2B x 2B similarities of
  // d-vectors: at least that sum's bound for the same weights.
  bound.loss = std::max(cradl_test::DrawSafetyFactor * bound.loss,
                        cradl_test::gamma(2 * options.batchSize * cradl_test::tinyEncoder().headOutput, cradl_test::Float32UnitRoundoff));
  return bound;
}

// One epoch (4 global batches of 8, augmented, then validation) on two
// processes against one process with the whole batch, within the bound; a
// wrong computation (each process on its half of every batch alone) must
// fall outside it.
int
trainingAgainstOneProcess(const std::shared_ptr<cradl::DistributedGroup> & group)
{
  at::set_num_threads(1);
  const cradl::TrainingOptions options = cradl_test::tinyTraining(1);
  const TrainingBound          bound = oneProcessTraining(options);

  auto         together = tinyRun(options, group);
  const auto   report = together.trainEpoch();
  const double difference = relativeDifference(flatWeights(together), bound.reference);
  const double lossDifference = std::abs(report.trainingLoss - bound.referenceLoss) / bound.referenceLoss;

  cradl::TrainingOptions half = options;
  half.batchSize = options.batchSize / 2;
  auto alone = tinyRun(half);
  alone.trainEpoch();
  const double wrong = relativeDifference(flatWeights(alone), bound.reference);

  std::cout << std::setprecision(3) << "rank " << group->rank() << " training difference " << difference << " bound "
            << bound.weights << " (halves alone " << wrong << ") loss " << report.trainingLoss << " "
            << bound.referenceLoss << " difference " << lossDifference << " bound " << bound.loss << " all-reduced "
            << together.lastStepTiming().allReduceBytes << " bytes"
            << (difference <= bound.weights && wrong > bound.weights && lossDifference <= bound.loss ? " ok" : " FAIL")
            << std::endl;
  return 0;
}

// One process, EPOCHS epochs uninterrupted: writes the flat weights (float64,
// raw) to `weightsFile` and prints the bound of another run's distance.
int
referenceTraining(int64_t epochs, const std::string & weightsFile)
{
  at::set_num_threads(1);
  const TrainingBound bound = oneProcessTraining(cradl_test::tinyTraining(epochs));
  std::ofstream(weightsFile, std::ios::binary)
    .write(reinterpret_cast<const char *>(bound.reference.data_ptr<double>()),
           static_cast<std::streamsize>(bound.reference.numel() * sizeof(double)));
  std::cout << std::setprecision(17) << "reference bound " << bound.weights << std::endl;
  return 0;
}

// Trains (resuming from `checkpoint` when it is there) until `epochs`
// epochs are done, writing the checkpoint after each; prints each epoch's
// losses, and writes the final flat weights to `weightsFile` when given.
int
trainWithCheckpoint(const std::shared_ptr<cradl::DistributedGroup> & group, const std::string & checkpoint,
                    int64_t epochs, const std::string & weightsFile)
{
  at::set_num_threads(1);
  auto run = tinyRun(cradl_test::tinyTraining(3), group);
  const bool resumed = run.resumeIfPresent(checkpoint);
  const int64_t rank = group ? group->rank() : 0;
  std::cout << std::setprecision(17) << "rank " << rank << (resumed ? " resumed at epoch " : " started at epoch ")
            << run.completedEpochs() << std::endl;
  while (run.completedEpochs() < epochs)
  {
    const auto report = run.trainEpoch();
    run.saveCheckpoint(checkpoint);
    std::cout << "rank " << rank << " epoch " << report.epoch << " loss " << report.trainingLoss << " validation "
              << report.validationLoss << std::endl;
  }
  const at::Tensor weights = flatWeights(run);
  if (!weightsFile.empty() && rank == 0)
    std::ofstream(weightsFile, std::ios::binary)
      .write(reinterpret_cast<const char *>(weights.data_ptr<double>()),
             static_cast<std::streamsize>(weights.numel() * sizeof(double)));
  return 0;
}
} // namespace

int
main(int argc, char ** argv)
{
  try
  {
    const auto        environment = cradl::DistributedEnvironment::fromEnvironment();
    const std::string mode = argc > 2 ? argv[2] : "";
    const auto        timeout = std::chrono::milliseconds(std::stoll(argc > 1 ? argv[1] : "10000"));
    if (mode == "checkpoint") // also as a single process, without WORLD_SIZE
      return trainWithCheckpoint(environment.distributed() ? std::make_shared<cradl::DistributedGroup>(environment, timeout)
                                                           : nullptr,
                                 argv[3], std::stoll(argv[4]), argc > 5 ? argv[5] : "");
    if (mode == "reference")
      return referenceTraining(std::stoll(argv[3]), argv[4]);
    const auto shared = std::make_shared<cradl::DistributedGroup>(environment, timeout);
    cradl::DistributedGroup & group = *shared;
    if (mode == "em")
      return emAgainstOneProcess(group);
    if (mode == "train")
      return trainingAgainstOneProcess(shared);
    if (mode == "mismatch")
    {
      cradl::TrainingOptions options = cradl_test::tinyTraining(1);
      if (group.rank() == 1)
        options.batchSize = 4;
      tinyRun(options, shared);
      return 0;
    }
    const double            r = static_cast<double>(group.rank());
    // Sum of (r + 1, 10 (r + 1)) over ranks; rank 0's (7, 8) to all; every rank's r.
    std::vector<at::Tensor> sums{ at::tensor({ r + 1.0, 10.0 * (r + 1.0) }, at::kDouble) };
    group.allReduceSum(sums);
    std::vector<at::Tensor> broadcast{ group.rank() == 0 ? at::tensor({ 7.0, 8.0 }, at::kDouble)
                                                         : at::zeros({ 2 }, at::kDouble) };
    group.broadcast(broadcast);
    const at::Tensor gathered = group.allGather(at::tensor({ r }, at::kDouble));
    std::cout << "rank " << group.rank() << " of " << group.worldSize() << " sum " << sums[0][0].item<double>() << " "
              << sums[0][1].item<double>() << " broadcast " << broadcast[0][0].item<double>() << " "
              << broadcast[0][1].item<double>() << " gathered";
    for (int64_t i = 0; i < gathered.size(0); ++i)
      std::cout << " " << gathered[i][0].item<double>();
    std::cout << std::endl;
    return 0;
  }
  catch (const std::exception & error)
  {
    std::cerr << "error: " << error.what() << std::endl;
    return 1;
  }
}
