// One rank of the distributed tests (cradlDistributedGTest): joins the run
// the environment describes and prints what the collectives gave it, or with
// "em" fits a mixture to its half of the rows and compares it with EM on all
// rows in this process.
//   cradlDistributedWorker TIMEOUT_MS [em]
#include "cradlDistributed.h"
#include "cradlGaussianMixture.h"

#include "../cradlErrorModel.h"

#include <iostream>
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
} // namespace

int
main(int argc, char ** argv)
{
  try
  {
    const auto             environment = cradl::DistributedEnvironment::fromEnvironment();
    cradl::DistributedGroup group(environment, std::chrono::milliseconds(std::stoll(argc > 1 ? argv[1] : "10000")));
    if (argc > 2 && std::string(argv[2]) == "em")
      return emAgainstOneProcess(group);
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
