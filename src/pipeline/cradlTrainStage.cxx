// train: healthy scans -> OUT/encoder.pt (ContrastiveEncoderTrainer), resumable from OUT/checkpoint.pt.
#include "cradlPipeline.h"
#include "cradlStageFrame.h"
#include "cradlProgressLine.h"

#include "itkContrastiveEncoderTrainer.h"
#include "itkCradlImageIO.h"

#include <chrono>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <sstream>

namespace cradl_pipeline
{

namespace
{
std::string
trainingProgressDetail(const itk::ContrastiveEncoderTrainer & trainer)
{
  std::ostringstream detail;
  detail << "epoch " << trainer.GetCurrentEpoch() << " step " << trainer.GetCurrentStep() << " loss "
         << trainer.GetCurrentLoss() << " val ";
  if (trainer.GetLastValidationLoss() > 0) // NT-Xent is positive: 0 means not validated yet
    detail << trainer.GetLastValidationLoss();
  else
    detail << "-";
  detail << " lr " << trainer.GetCurrentLearningRate() << " " << static_cast<int>(trainer.GetViewsPerSecond())
         << " views/s";
  return detail.str();
}

// The whole training's time from its first steps, said once: long runs
// should not start silently. The first step (allocation, oneDNN's choice of
// kernels) is left out; validation is counted as one more step per epoch.
struct TrainingEstimate
{
  using Clock = std::chrono::steady_clock;
  Clock::time_point afterFirst;
  unsigned int      seen = 0;
  bool              said = false;

  void
  step(const itk::ContrastiveEncoderTrainer & trainer, unsigned int epochs)
  {
    if (said)
      return;
    if (++seen == 1)
    {
      afterFirst = Clock::now();
      return;
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - afterFirst).count();
    if (elapsed < 5.0 && seen < 20)
      return;
    const double perStep = elapsed / (seen - 1);
    const double steps = static_cast<double>(trainer.GetStepsPerEpoch() + 1) * epochs;
    const double remaining = perStep * steps * std::max(0.0, 1.0 - static_cast<double>(trainer.GetProgress()));
    std::cerr << "cradl: train: about " << humanDuration(remaining) << " to go (" << epochs << " epochs of "
              << trainer.GetStepsPerEpoch() << " steps at " << std::setprecision(3) << perStep
              << " s per step, measured on step" << (seen > 2 ? "s 2 to " : " ") << seen << ")" << std::endl;
    said = true;
  }

  static std::string
  humanDuration(double seconds)
  {
    char text[64];
    if (seconds < 120)
      std::snprintf(text, sizeof text, "%.0f s", seconds);
    else if (seconds < 7200)
      std::snprintf(text, sizeof text, "%.0f min", seconds / 60);
    else
      std::snprintf(text, sizeof text, "%.1f h", seconds / 3600);
    return text;
  }
};
} // namespace

void
trainStage(const PipelineConfig & config)
{
  const Layout layout{ config.out };
  itk::CradlMakeFolder(config.out);
  StageRecord record(config.out, "train");
  record.addSettings(config.settingsOf("train"));
  record.addManifest("training manifest", requireManifestPath(config.train, "training"));
  record.addManifest("validation manifest", requireManifestPath(config.validation, "validation"));
  const bool resumable = leader() && record.matchesUnfinished(); // before upToDate marks this run unfinished
  if (upToDate(record, { layout.encoder() }, config, "train"))
    return;
  if (leader())
  {
    if (fs::exists(layout.checkpoint()) && (config.force || !resumable))
    {
      std::cerr << "cradl: train: starting afresh; the checkpoint came from "
                << (config.force ? "before --force" : "other inputs") << std::endl;
      fs::remove(layout.checkpoint());
    }
    else if (fs::exists(layout.checkpoint()))
      std::cerr << "cradl: train: resuming from its checkpoint '" << layout.checkpoint() << "'" << std::endl;
    const unsigned int processes = itk::CradlRuntime::GetDistributedWorldSize();
    if (processes > 1)
      std::cerr << "cradl: train: data-parallel over " << processes << " processes, global batch " << config.batch
                << " (" << config.batch / processes << (config.batch % processes ? "-" + std::to_string(config.batch / processes + 1) : "")
                << " per process)" << std::endl;
  }
  stageDoneOnEveryProcess(); // no rank reads a checkpoint before rank 0 has judged it
  const auto train = readManifest(config, config.train, "training");
  const auto validation = readManifest(config, config.validation, "validation");
  auto       trainer = itk::ContrastiveEncoderTrainer::New();
  // Scans stay alive in the trainer's inputs.
  for (std::size_t row = 0; row < train->GetNumberOfEntries(); ++row)
  {
    const auto scan = train->LoadScan(row);
    trainer->AddTrainingScan(scan.Image, scan.Mask);
  }
  for (std::size_t row = 0; row < validation->GetNumberOfEntries(); ++row)
  {
    const auto scan = validation->LoadScan(row);
    trainer->AddValidationScan(scan.Image, scan.Mask);
  }
  {
    const auto values = config.valuesDeclaredBy(cradl::trainerSettingDeclarations());
    auto &     stage = *trainer;
    CRADL_TRAINER_SETTINGS(cradlSetDeclaredValue)
  }
  trainer->SetSeed(config.seed);
  trainer->SetDevice(config.device);
  trainer->SetNumberOfThreads(config.threads);
  trainer->SetCheckpointFileName(layout.checkpoint());
  trainer->ResumeOn(); // a killed run continues where its last epoch ended
  ProgressLine progress("train", config.epochs);
  double       validated = 0.0;
  if (leader() && config.device == "cpu" && config.sliceSize >= cradl::defaults::SliceSize &&
      config.nf >= cradl::defaults::trainer::NumberOfFilters && config.epochs >= cradl::defaults::trainer::NumberOfEpochs)
    std::cerr << "cradl: train: this is the paper's GPU configuration (" << config.sliceSize << " px, nf " << config.nf
              << ", " << config.epochs << " epochs) on the CPU: expect many hours; on a CPU use --config "
              << "examples/demo-config.json (64 px, nf 32, 30 epochs: about a minute on 2 cores), or --device cuda"
              << std::endl;
  TrainingEstimate estimate;
  trainer->AddObserver(itk::IterationEvent(), [&](const itk::EventObject &) {
    if (!leader())
      return;
    // An epoch's last step and its validation report the same progress; the
    // logged line per epoch is the one that carries the validation loss.
    const bool epochEnd = trainer->GetLastValidationLoss() != validated;
    validated = trainer->GetLastValidationLoss();
    progress.update(trainer->GetProgress() * config.epochs - (epochEnd ? 0.0 : 1e-9), trainingProgressDetail(*trainer));
    if (!epochEnd)
      estimate.step(*trainer, config.epochs);
  });
  trainer->Update();
  if (leader())
  {
    trainer->GetOutput()->Save(layout.encoder());
    record.write(true, config.device);
  }
  stageDoneOnEveryProcess();
}

} // namespace cradl_pipeline
