/*=========================================================================
 *
 *  Copyright NumFOCUS
 *
 *  Licensed under the Apache License, Version 2.0 (the "License");
 *  you may not use this file except in compliance with the License.
 *  You may obtain a copy of the License at
 *
 *         http://www.apache.org/licenses/LICENSE-2.0.txt
 *
 *  Unless required by applicable law or agreed to in writing, software
 *  distributed under the License is distributed on an "AS IS" BASIS,
 *  WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 *  See the License for the specific language governing permissions and
 *  limitations under the License.
 *
 *=========================================================================*/
#ifndef itkCradlRuntime_h
#define itkCradlRuntime_h

#include "CradlExport.h"

#include <exception>
#include <string>
#include <utility>
#include <vector>

namespace itk
{

/** \class CradlRuntime
 * \brief Compute device and thread settings shared by Cradl's filters.
 *
 * Devices are run-time strings: "cpu", "cuda" (= "cuda:0") or "cuda:N".
 * ValidateDevice() throws an ExceptionObject that says what to do when CUDA is
 * asked for but this build of LibTorch or this machine has none.
 *
 * Threads: LibTorch starts with one intra-op thread on many Linux machines,
 * and its OpenMP runtime lowers the process-wide count. SetNumberOfThreads()
 * sets LibTorch's intra-op threads, OpenBLAS's threads when it is the BLAS, and
 * ITK's global default, all to the same number. Cradl runs its LibTorch stages
 * and its ITK stages one after the other, never one inside the other, so the
 * two pools never compete for the cores.
 *
 * Several processes (data parallelism on torch.distributed): a process
 * started by torchrun, SLURM's srun or `cradl --nproc` belongs to the run
 * its environment describes (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR,
 * MASTER_PORT, or srun's SLURM_* variables). Cradl's stages join it on
 * their first collective; the functions below let a program take part
 * (write files on rank 0, split its own work). Every process must call the
 * collective ones in the same order. In a single process they are trivial.
 *
 * \ingroup Cradl
 */
class Cradl_EXPORT CradlRuntime
{
public:
  /** Returns the canonical name ("cpu", "cuda:0", ...) of a usable device. */
  static std::string
  ValidateDevice(const std::string & device);

  /** Whether this LibTorch has CUDA and a GPU is visible. */
  static bool
  IsCudaAvailable();

  /** Number of visible CUDA devices (0 with a CPU-only LibTorch). */
  static int
  GetCudaDeviceCount();

  /** Cores this process may use (its CPU affinity): the default thread count. */
  static unsigned int
  GetDefaultNumberOfThreads();

  /** Sets LibTorch, OpenBLAS and ITK's default thread counts; 0 means all cores. */
  static void
  SetNumberOfThreads(unsigned int threads);

  /** LibTorch's current intra-op thread count. */
  static unsigned int
  GetNumberOfThreads();

  /** LibTorch's own log lines (glog or c10 logging: c10d's socket warnings
   *  while a run assembles, ...): on by default, as LibTorch leaves them;
   *  the cradl tool turns them off unless --verbose, since its own errors
   *  say what went wrong. */
  static void
  SetLibraryLogging(bool on);

  /** This process's rank, the run's number of processes, and the rank among
   *  the processes of this machine (0, 1, 0 in a single process). */
  static unsigned int
  GetDistributedRank();
  static unsigned int
  GetDistributedWorldSize();
  static unsigned int
  GetDistributedLocalRank();

  /** The device a process of the run uses for `device`: "cuda" becomes
   *  "cuda:LOCAL_RANK" (one GPU per process), anything else is unchanged. */
  static std::string
  GetDistributedDevice(const std::string & device);

  /** Joins the run now (once per process; nothing in a single process):
   *  Gloo, plus NCCL when `device` is CUDA and LibTorch has it. Throws an
   *  ExceptionObject that says where rank 0 was not found. */
  static void
  JoinDistributedRun(const std::string & device = "cpu");

  /** Rank 0's value, on every process. */
  static bool
  DistributedBroadcast(bool value);

  /** Every process's text, in rank order, on every process. */
  static std::vector<std::string>
  DistributedGatherText(const std::string & text);

  /** Returns once every process has called it. */
  static void
  DistributedBarrier();

  /** The versions this build runs on: {"Cradl", "ITK", "LibTorch"} and
   *  their version strings, for reports and bug reports. */
  static std::vector<std::pair<std::string, std::string>>
  GetSoftwareVersions();

  /** What an error says to a user: the message, without the C++ backtrace
   *  that LibTorch's errors carry. */
  static std::string
  ErrorMessage(const std::exception & error);
};

} // namespace itk

#endif
