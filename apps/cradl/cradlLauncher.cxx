#include "cradlLauncher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <stdexcept>

namespace cradl_cli
{

std::vector<std::string> &
commandLine()
{
  static std::vector<std::string> arguments;
  return arguments;
}

namespace
{
// A loopback port nobody listens on now (the kernel's choice for port 0).
int
freeLoopbackPort()
{
  const int socket = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (socket < 0 || bind(socket, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0 ||
      getsockname(socket, reinterpret_cast<sockaddr *>(&address), &length) != 0)
  {
    if (socket >= 0)
      close(socket);
    throw std::runtime_error(std::string("--nproc: no free loopback port for the rendezvous: ") + std::strerror(errno));
  }
  const int port = ntohs(address.sin_port);
  close(socket);
  return port;
}

std::vector<std::string>
withoutProcessOption(const std::vector<std::string> & arguments)
{
  std::vector<std::string> kept;
  for (std::size_t i = 0; i < arguments.size(); ++i)
  {
    if (arguments[i] == "--nproc")
      ++i; // and its value
    else if (arguments[i].rfind("--nproc=", 0) != 0)
      kept.push_back(arguments[i]);
  }
  return kept;
}
} // namespace

int
runLocalProcesses(unsigned int processes)
{
  const char * world = std::getenv("WORLD_SIZE");
  if ((world != nullptr && *world != '\0') || std::getenv("SLURM_PROCID") != nullptr)
    throw std::runtime_error("--nproc in a process that torchrun or srun started: let the launcher start the "
                             "processes, or start cradl alone with --nproc");
  const std::vector<std::string> arguments = withoutProcessOption(commandLine());
  const std::string              port = std::to_string(freeLoopbackPort());
  std::vector<pid_t>             ranks;
  for (unsigned int rank = 0; rank < processes; ++rank)
  {
    const pid_t child = fork();
    if (child < 0)
      throw std::runtime_error(std::string("--nproc: cannot start a process: ") + std::strerror(errno));
    if (child == 0)
    {
      setenv("WORLD_SIZE", std::to_string(processes).c_str(), 1);
      setenv("RANK", std::to_string(rank).c_str(), 1);
      setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
      setenv("LOCAL_WORLD_SIZE", std::to_string(processes).c_str(), 1);
      setenv("MASTER_ADDR", "127.0.0.1", 1);
      setenv("MASTER_PORT", port.c_str(), 1);
      std::vector<char *> argv;
      for (const auto & argument : arguments)
        argv.push_back(const_cast<char *>(argument.c_str()));
      argv.push_back(nullptr);
      execv("/proc/self/exe", argv.data());
      std::cerr << "cradl: --nproc: cannot run " << arguments.front() << ": " << std::strerror(errno) << std::endl;
      _exit(127);
    }
    ranks.push_back(child);
  }
  // The first rank to fail decides the status; the others are stopped, as
  // they would wait for it at their next collective.
  int    status = 0;
  size_t running = ranks.size();
  while (running > 0)
  {
    int         childStatus = 0;
    const pid_t ended = wait(&childStatus);
    if (ended < 0)
      break;
    --running;
    const int code = WIFEXITED(childStatus) ? WEXITSTATUS(childStatus) : 128 + WTERMSIG(childStatus);
    if (code != 0 && status == 0)
    {
      status = code;
      for (std::size_t rank = 0; rank < ranks.size(); ++rank)
      {
        if (ranks[rank] == ended)
          std::cerr << "cradl: --nproc: rank " << rank << " of " << processes << " failed (exit status " << code
                    << "); stopping the others" << std::endl;
        else
          kill(ranks[rank], SIGTERM);
      }
    }
  }
  return status;
}

} // namespace cradl_cli
