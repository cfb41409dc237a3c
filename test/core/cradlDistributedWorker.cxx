// One rank of the distributed tests (cradlDistributedGTest): joins the run
// the environment describes and prints what the collectives gave it.
//   cradlDistributedWorker TIMEOUT_MS
#include "cradlDistributed.h"

#include <iostream>
#include <string>

int
main(int argc, char ** argv)
{
  try
  {
    const auto             environment = cradl::DistributedEnvironment::fromEnvironment();
    cradl::DistributedGroup group(environment, std::chrono::milliseconds(std::stoll(argc > 1 ? argv[1] : "10000")));
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
