#include "itkContrastiveEncoderTrainer.h"
#include "itkCradlRuntime.h"
#include "cradlPythonOracle.h"
#include "cradlTestImages.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

namespace
{
namespace fs = std::filesystem;
using Scan = itk::ContrastiveEncoderTrainer::ImageType;
using Mask = itk::ContrastiveEncoderTrainer::MaskImageType;

// An elliptic "brain" with smooth texture on 48 x 40 x 8 voxels; slices 0 and
// 7 hold no brain.
std::pair<Scan::Pointer, Mask::Pointer>
healthyScan(unsigned int seed)
{
  std::mt19937                           random(seed);
  std::uniform_real_distribution<double> phase(0.0, 6.28);
  const double                           a = phase(random);
  const double                           b = phase(random);
  auto mask = cradl_test::makeImage<Mask>({ { 48, 40, 8 } }, cradl_test::vector(1.2, 1.0, 3.0),
                                          cradl_test::point(0, 0, 0), cradl_test::rotation<3>(0.1), [](auto i) {
                                            return i[2] > 0 && i[2] < 7 &&
                                                   std::pow((i[0] - 24.0) / 20.0, 2) + std::pow((i[1] - 20.0) / 16.0, 2) < 1.0;
                                          });
  auto scan = cradl_test::makeImageLike<Scan>(mask.GetPointer(), [&](auto i) {
    return mask->GetPixel(i) ? 100.0 + 20.0 * std::sin(0.4 * i[0] + a) * std::cos(0.3 * i[1] + b) + 5.0 * i[2] : 0.0;
  });
  return { scan, mask };
}

itk::ContrastiveEncoderTrainer::Pointer
tinyTrainer(unsigned int epochs)
{
  auto trainer = itk::ContrastiveEncoderTrainer::New();
  for (unsigned int s = 0; s < 2; ++s)
  {
    const auto [scan, mask] = healthyScan(s);
    trainer->AddTrainingScan(scan, mask);
  }
  const auto [scan, mask] = healthyScan(10);
  trainer->AddValidationScan(scan, mask);
  trainer->SetSliceSize(64);
  trainer->SetNumberOfFilters(4);
  trainer->SetRepresentationSize(16);
  trainer->SetNumberOfEpochs(epochs);
  trainer->SetBatchSize(4);
  trainer->SetWarmupEpochs(1);
  trainer->SetLearningRate(1e-3);
  trainer->SetNumberOfThreads(1); // bit-exact comparisons
  trainer->SetSeed(3);
  return trainer;
}
} // namespace

TEST(ContrastiveEncoderTrainer, TrainsReportsProgressAndSavesTheModel)
{
  auto         trainer = tinyTrainer(2);
  unsigned int iterations = 0;
  float        lastProgress = 0.0f;
  trainer->AddObserver(itk::IterationEvent(), [&](const itk::EventObject &) { ++iterations; });
  trainer->AddObserver(itk::ProgressEvent(), [&](const itk::EventObject &) { lastProgress = trainer->GetProgress(); });
  trainer->Update();

  // Slices 1..6 of each scan: 12 training slices, batches of 4 -> 3 steps.
  EXPECT_EQ(trainer->GetNumberOfTrainingSlices(), 12u);
  EXPECT_EQ(trainer->GetNumberOfValidationSlices(), 6u);
  EXPECT_EQ(trainer->GetStepsPerEpoch(), 3u);
  EXPECT_EQ(iterations, 2u * (3u + 1u));
  EXPECT_FLOAT_EQ(lastProgress, 1.0f);
  EXPECT_EQ(trainer->GetCurrentEpoch(), 2u);
  EXPECT_TRUE(std::isfinite(trainer->GetCurrentLoss()));
  EXPECT_GT(trainer->GetViewsPerSecond(), 0.0);

  const auto * model = trainer->GetOutput();
  ASSERT_TRUE(model->IsTrained());
  EXPECT_EQ(model->GetImageSize(), 64u);
  EXPECT_EQ(model->GetRepresentationSize(), 16u);
  EXPECT_EQ(model->GetCompletedEpochs(), 2u);
  EXPECT_GE(model->GetBestEpoch(), 1u);
  EXPECT_LE(model->GetBestEpoch(), 2u);
  EXPECT_DOUBLE_EQ(model->GetClipMaximum(), 1.5);

  const auto folder = cradl_test::scratchFolder("trainer-model");
  const auto file = (folder / "encoder.pt").string();
  model->Save(file);
  const auto loaded = itk::ContrastiveEncoderModel::Load(file);
  EXPECT_EQ(loaded->GetNumberOfFilters(), 4u);
  EXPECT_EQ(loaded->GetBestEpoch(), model->GetBestEpoch());
  EXPECT_DOUBLE_EQ(loaded->GetBestValidationLoss(), model->GetBestValidationLoss());

  fs::resize_file(file, fs::file_size(file) / 3);
  EXPECT_NE(cradl_test::exceptionMessage([&] { itk::ContrastiveEncoderModel::Load(file); })
              .find("cannot load the encoder model"),
            std::string::npos);
  EXPECT_THROW(itk::ContrastiveEncoderModel::New()->Save(file), itk::ExceptionObject);
}

TEST(ContrastiveEncoderTrainer, AbortedTrainingResumesToTheSameModel)
{
  const auto folder = cradl_test::scratchFolder("trainer-resume");
  const auto checkpoint = (folder / "checkpoint.pt").string();

  auto uninterrupted = tinyTrainer(3);
  uninterrupted->Update();

  auto interrupted = tinyTrainer(3);
  interrupted->SetCheckpointFileName(checkpoint);
  interrupted->AddObserver(itk::IterationEvent(), [&](const itk::EventObject &) {
    if (interrupted->GetCurrentEpoch() == 2 && interrupted->GetCurrentStep() == 0)
    {
      interrupted->AbortGenerateDataOn(); // as if killed after epoch 2's checkpoint
    }
  });
  EXPECT_THROW(interrupted->Update(), itk::ProcessAborted);
  ASSERT_TRUE(fs::exists(checkpoint));

  auto resumed = tinyTrainer(3);
  resumed->SetCheckpointFileName(checkpoint);
  resumed->ResumeOn();
  unsigned int epochsRun = 0;
  resumed->AddObserver(itk::IterationEvent(), [&](const itk::EventObject &) {
    epochsRun += resumed->GetCurrentStep() == 0 ? 1 : 0;
  });
  resumed->Update();
  EXPECT_EQ(epochsRun, 1u);
  EXPECT_EQ(resumed->GetOutput()->GetCompletedEpochs(), 3u);
  EXPECT_DOUBLE_EQ(resumed->GetLastValidationLoss(), uninterrupted->GetLastValidationLoss());
  EXPECT_DOUBLE_EQ(resumed->GetOutput()->GetBestValidationLoss(), uninterrupted->GetOutput()->GetBestValidationLoss());
}

TEST(ContrastiveEncoderTrainer, BadSettingsAreClearErrors)
{
  auto noValidation = itk::ContrastiveEncoderTrainer::New();
  const auto [scan, mask] = healthyScan(1);
  noValidation->AddTrainingScan(scan, mask);
  EXPECT_NE(cradl_test::exceptionMessage([&] { noValidation->Update(); }).find("got 1 and 0"), std::string::npos);

  auto wrongSize = tinyTrainer(1);
  wrongSize->SetSliceSize(100);
  EXPECT_NE(cradl_test::exceptionMessage([&] { wrongSize->Update(); }).find("64, 128 or 256"), std::string::npos);

  if (!itk::CradlRuntime::IsCudaAvailable())
  {
    auto cuda = tinyTrainer(1);
    cuda->SetDevice("cuda");
    EXPECT_NE(cradl_test::exceptionMessage([&] { cuda->Update(); }).find("no CUDA GPU is usable"), std::string::npos);
  }

  auto emptyBrain = tinyTrainer(1);
  emptyBrain->SetMinimumBrainFraction(0.99);
  EXPECT_NE(cradl_test::exceptionMessage([&] { emptyBrain->Update(); }).find("lower MinimumBrainFraction"),
            std::string::npos);
}
