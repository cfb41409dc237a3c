// torch.distributed underneath: the environment torchrun sets, and two real
// processes on loopback whose collectives are checked against hand sums.
#include "cradlDistributed.h"
#include "cradlGaussianMixture.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace
{
namespace fs = std::filesystem;

// Sets (or with nullptr unsets) an environment variable for one test.
struct ScopedVariable
{
  std::string name;
  ScopedVariable(const char * variable, const char * value)
    : name(variable)
  {
    value ? setenv(variable, value, 1) : unsetenv(variable);
  }
  ~ScopedVariable() { unsetenv(name.c_str()); }
};

// A loopback port nobody listens on now, from the kernel (port 0): tests
// run in parallel processes, and the CPU-capability copy of the suite too.
int
freeLoopbackPort()
{
  const int   socket = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  const bool found = socket >= 0 && bind(socket, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0 &&
                     getsockname(socket, reinterpret_cast<sockaddr *>(&address), &length) == 0;
  if (socket >= 0)
    close(socket);
  return found ? ntohs(address.sin_port) : 20000 + static_cast<int>(::getpid() % 20000);
}

// Runs `command` through the shell; its standard output and error, and its exit status.
std::pair<std::string, int>
run(const std::string & command)
{
  std::string output;
  FILE *      pipe = popen((command + " 2>&1").c_str(), "r");
  char        buffer[512];
  while (pipe && std::fgets(buffer, sizeof buffer, pipe))
    output += buffer;
  const int status = pipe ? pclose(pipe) : -1;
  return { output, status };
}
} // namespace

TEST(Distributed, ReadsTheLaunchersEnvironmentAndNamesWhatIsWrong)
{
  {
    ScopedVariable world("WORLD_SIZE", nullptr);
    EXPECT_FALSE(cradl::DistributedEnvironment::fromEnvironment().distributed());
  }
  {
    ScopedVariable world("WORLD_SIZE", "4"), rank("RANK", "2"), local("LOCAL_RANK", "0"),
      address("MASTER_ADDR", "node7"), port("MASTER_PORT", "29411");
    const auto environment = cradl::DistributedEnvironment::fromEnvironment();
    EXPECT_EQ(environment.worldSize, 4);
    EXPECT_EQ(environment.rank, 2);
    EXPECT_EQ(environment.localRank, 0);
    EXPECT_EQ(environment.address, "node7");
    EXPECT_EQ(environment.port, 29411);
  }
  const auto message = [](const char * world, const char * rank, const char * port) {
    ScopedVariable w("WORLD_SIZE", world), r("RANK", rank), p("MASTER_PORT", port);
    try
    {
      cradl::DistributedEnvironment::fromEnvironment();
    }
    catch (const std::invalid_argument & error)
    {
      return std::string(error.what());
    }
    return std::string();
  };
  EXPECT_NE(message("2", nullptr, nullptr).find("RANK is not set"), std::string::npos);
  EXPECT_NE(message("2", "2", nullptr).find("RANK='2' is not an integer from 0 to 1"), std::string::npos);
  EXPECT_NE(message("two", "0", nullptr).find("WORLD_SIZE='two'"), std::string::npos);
  EXPECT_NE(message("2", "0", "70000").find("MASTER_PORT='70000'"), std::string::npos);
}

TEST(Distributed, TwoProcessesOnLoopbackSumBroadcastAndGather)
{
  const std::string port = std::to_string(freeLoopbackPort());
  const std::string common = "WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + port + " ";
  const std::string worker = std::string(CRADL_DISTRIBUTED_WORKER) + " 20000";
  const auto [output, status] =
    run("(" + common + "RANK=1 " + worker + " > /dev/stdout & " + common + "RANK=0 " + worker + "; wait)");
  EXPECT_EQ(status, 0) << output;
  // Sums (1 + 2, 10 + 20), rank 0's (7, 8), ranks (0, 1): exact in float64.
  EXPECT_NE(output.find("rank 0 of 2 sum 3 30 broadcast 7 8 gathered 0 1"), std::string::npos) << output;
  EXPECT_NE(output.find("rank 1 of 2 sum 3 30 broadcast 7 8 gathered 0 1"), std::string::npos) << output;
}

TEST(Distributed, ARankThatCannotReachRankZeroSaysWhere)
{
  const std::string port = std::to_string(freeLoopbackPort());
  const auto [output, status] = run("WORLD_SIZE=2 RANK=1 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + port + " " +
                                    std::string(CRADL_DISTRIBUTED_WORKER) + " 1500");
  EXPECT_NE(status, 0);
  EXPECT_NE(output.find("rank 1 of 2 could not join the run at 127.0.0.1:" + port), std::string::npos) << output;
  EXPECT_NE(output.find("is rank 0 running there"), std::string::npos) << output;
}

TEST(Distributed, EmOverTwoProcessesEqualsEmOnAllRows)
{
  const std::string port = std::to_string(freeLoopbackPort());
  const std::string common = "WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + port + " ";
  const std::string worker = std::string(CRADL_DISTRIBUTED_WORKER) + " 20000 em";
  const auto [output, status] = run("(" + common + "RANK=1 " + worker + " & " + common + "RANK=0 " + worker + "; wait)");
  EXPECT_EQ(status, 0) << output;
  // Each rank fitted its half of the rows; both got the all-rows mixture, to
  // within the bound of sums in another order, in as many iterations (the
  // worker prints "ok"; measured: 7e-16 against a bound of 1.3e-11).
  EXPECT_NE(output.find("rank 0 em iterations"), std::string::npos) << output;
  EXPECT_NE(output.find("rank 1 em iterations"), std::string::npos) << output;
  std::size_t ok = 0;
  for (std::size_t at = output.find(" ok\n"); at != std::string::npos; at = output.find(" ok\n", at + 1))
    ++ok;
  EXPECT_EQ(ok, 2u) << output;
}

namespace
{
// Both ranks of `mode` on loopback; their output and the exit status.
std::pair<std::string, int>
twoRanks(const std::string & mode)
{
  const std::string common =
    "WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(freeLoopbackPort()) + " ";
  const std::string worker = std::string(CRADL_DISTRIBUTED_WORKER) + " 60000 " + mode;
  // Fails when either rank fails.
  return run("(" + common + "RANK=1 " + worker + " & one=$!; " + common + "RANK=0 " + worker +
             "; zero=$?; wait $one; exit $(( $? | zero )))");
}

std::size_t
count(const std::string & text, const std::string & what)
{
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

std::vector<double>
readDoubles(const std::string & path)
{
  std::ifstream       file(path, std::ios::binary);
  std::vector<double> values;
  double              value = 0.0;
  while (file.read(reinterpret_cast<char *>(&value), sizeof value))
    values.push_back(value);
  return values;
}
} // namespace

TEST(Distributed, TrainingOverTwoProcessesEqualsOneProcessWithTheGlobalBatch)
{
  // Each rank trains one epoch with its half of every global batch of 8 and
  // compares the weights with one process training on the whole batches,
  // within the error model's bound (the worker prints "ok"); each process on
  // its half alone lands outside that bound.
  const auto [output, status] = twoRanks("train");
  EXPECT_EQ(status, 0) << output;
  EXPECT_EQ(count(output, " ok\n"), 2u) << output;
}

TEST(Distributed, MismatchedSettingsAcrossRanksAreNamed)
{
  const auto [output, status] = twoRanks("mismatch");
  EXPECT_NE(status, 0);
  // Both ranks refuse, naming the setting and both values.
  EXPECT_EQ(count(output, "rank 1's batch_size is 4, rank 0's 8"), 2u) << output;
}

TEST(Distributed, ACheckpointResumesWithAnotherNumberOfProcesses)
{
  const fs::path folder = fs::temp_directory_path() / ("cradl-resume-" + std::to_string(::getpid()));
  fs::remove_all(folder);
  fs::create_directories(folder);
  const std::string checkpoint = (folder / "checkpoint.pt").string();
  const std::string worker = std::string(CRADL_DISTRIBUTED_WORKER) + " 60000 ";
  // Epoch 1 on two processes, epoch 2 on one, epoch 3 on two again.
  auto [first, firstStatus] = twoRanks("checkpoint " + checkpoint + " 1");
  ASSERT_EQ(firstStatus, 0) << first;
  EXPECT_EQ(count(first, "started at epoch 0"), 2u) << first;
  auto [second, secondStatus] = run(worker + "checkpoint " + checkpoint + " 2");
  ASSERT_EQ(secondStatus, 0) << second;
  EXPECT_NE(second.find("rank 0 resumed at epoch 1"), std::string::npos) << second;
  auto [third, thirdStatus] = twoRanks("checkpoint " + checkpoint + " 3 " + (folder / "resumed.bin").string());
  ASSERT_EQ(thirdStatus, 0) << third;
  EXPECT_EQ(count(third, "resumed at epoch 2"), 2u) << third;
  // Against three epochs in one process, uninterrupted, within the error model's bound.
  auto [reference, referenceStatus] = run(worker + "reference 3 " + (folder / "reference.bin").string());
  ASSERT_EQ(referenceStatus, 0) << reference;
  const double bound = std::stod(reference.substr(reference.find("reference bound ") + 16));
  const auto   resumed = readDoubles((folder / "resumed.bin").string());
  const auto   expected = readDoubles((folder / "reference.bin").string());
  ASSERT_EQ(resumed.size(), expected.size());
  ASSERT_FALSE(expected.empty());
  double distance = 0.0, norm = 0.0;
  for (std::size_t i = 0; i < expected.size(); ++i)
  {
    distance += (resumed[i] - expected[i]) * (resumed[i] - expected[i]);
    norm += expected[i] * expected[i];
  }
  EXPECT_LE(std::sqrt(distance / norm), bound);
  EXPECT_GT(bound, 0.0);
  fs::remove_all(folder);
}

TEST(Distributed, EmOverSeveralProcessesNeedsTheSameStart)
{
  cradl::EmOptions options;
  options.components = 2;
  options.sumAcrossProcesses = [](std::vector<at::Tensor> &) {};
  const at::Tensor X = at::randn({ 40, 3 }, at::kDouble);
  EXPECT_THROW(cradl::fitEm(X, options), std::invalid_argument);
  options.components = 1; // one component: every start is the same
  EXPECT_NO_THROW(cradl::fitEm(X, options));
}
