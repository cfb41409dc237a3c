// Every public class of the module: New(), its type name and superclass,
// PrintSelf, and each Set/Get pair round-trips (ITK's exercise macros).
#include "itkAUPRCMetric.h"
#include "itkAnomalyMapEvaluator.h"
#include "itkAnomalyMapFusionImageFilter.h"
#include "itkContrastiveEncoderModel.h"
#include "itkContrastiveEncoderTrainer.h"
#include "itkCradlDatasetBuilder.h"
#include "itkCradlManifest.h"
#include "itkCradlPreprocessImageFilter.h"
#include "itkCradlScanScorer.h"
#include "itkGaussianMixtureFitter.h"
#include "itkGaussianMixtureModel.h"
#include "itkIntensityZScoreImageFilter.h"
#include "itkLabelFreeThresholdCalculator.h"
#include "itkMedianGaussianPostprocessImageFilter.h"
#include "itkMixtureModelSelector.h"
#include "itkRepresentationNLLGradientImageFilter.h"
#include "itkRepresentationPatchDensityImageFilter.h"
#include "itkSliceMapToScanImageFilter.h"
#include "itkTestingMacros.h"

namespace
{
using Scan = itk::Image<float, 3>;
using Mask = itk::Image<unsigned char, 3>;

int
exerciseTraining()
{
  auto trainer = itk::ContrastiveEncoderTrainer::New();
  ITK_EXERCISE_BASIC_OBJECT_METHODS(trainer, ContrastiveEncoderTrainer, ProcessObject);
  trainer->SetSliceSize(64);
  ITK_TEST_SET_GET_VALUE(64u, trainer->GetSliceSize());
  trainer->SetNumberOfFilters(8);
  ITK_TEST_SET_GET_VALUE(8u, trainer->GetNumberOfFilters());
  trainer->SetRepresentationSize(16);
  ITK_TEST_SET_GET_VALUE(16u, trainer->GetRepresentationSize());
  trainer->SetClipMinimum(-2.0);
  ITK_TEST_SET_GET_VALUE(-2.0, trainer->GetClipMinimum());
  trainer->SetClipMaximum(2.0);
  ITK_TEST_SET_GET_VALUE(2.0, trainer->GetClipMaximum());
  ITK_TEST_SET_GET_BOOLEAN(trainer, PreserveAspectRatio, false);
  trainer->SetMinimumBrainFraction(0.1);
  ITK_TEST_SET_GET_VALUE(0.1, trainer->GetMinimumBrainFraction());
  trainer->SetSliceMargin(2);
  ITK_TEST_SET_GET_VALUE(2u, trainer->GetSliceMargin());
  trainer->SetNumberOfEpochs(3);
  ITK_TEST_SET_GET_VALUE(3u, trainer->GetNumberOfEpochs());
  trainer->SetBatchSize(8);
  ITK_TEST_SET_GET_VALUE(8u, trainer->GetBatchSize());
  // Past their limits, refused and not stored: a batch of one has no pairs,
  // nf 100000 would exhaust memory.
  ITK_TRY_EXPECT_EXCEPTION(trainer->SetBatchSize(1));
  ITK_TRY_EXPECT_EXCEPTION(trainer->SetNumberOfFilters(cradl::limits::MaximumNumberOfFilters + 1));
  ITK_TRY_EXPECT_EXCEPTION(trainer->SetNumberOfEpochs(0));
  ITK_TEST_SET_GET_VALUE(8u, trainer->GetBatchSize());
  trainer->SetLearningRate(1e-3);
  ITK_TEST_SET_GET_VALUE(1e-3, trainer->GetLearningRate());
  trainer->SetWeightDecay(1e-5);
  ITK_TEST_SET_GET_VALUE(1e-5, trainer->GetWeightDecay());
  trainer->SetWarmupEpochs(1);
  ITK_TEST_SET_GET_VALUE(1u, trainer->GetWarmupEpochs());
  trainer->SetTemperature(0.2);
  ITK_TEST_SET_GET_VALUE(0.2, trainer->GetTemperature());
  trainer->SetSeed(7);
  ITK_TEST_SET_GET_VALUE(7u, trainer->GetSeed());
  ITK_TEST_SET_GET_BOOLEAN(trainer, Augment, true);
  trainer->SetMaximumRotation(0.2);
  ITK_TEST_SET_GET_VALUE(0.2, trainer->GetMaximumRotation());
  trainer->SetScaleMinimum(0.8);
  ITK_TEST_SET_GET_VALUE(0.8, trainer->GetScaleMinimum());
  trainer->SetScaleMaximum(1.3);
  ITK_TEST_SET_GET_VALUE(1.3, trainer->GetScaleMaximum());
  trainer->SetMirrorProbability(0.25);
  ITK_TEST_SET_GET_VALUE(0.25, trainer->GetMirrorProbability());
  trainer->SetBrightnessMinimum(0.9);
  ITK_TEST_SET_GET_VALUE(0.9, trainer->GetBrightnessMinimum());
  trainer->SetBrightnessMaximum(1.2);
  ITK_TEST_SET_GET_VALUE(1.2, trainer->GetBrightnessMaximum());
  trainer->SetMaximumNoiseStandardDeviation(0.1);
  ITK_TEST_SET_GET_VALUE(0.1, trainer->GetMaximumNoiseStandardDeviation());
  trainer->SetDevice("cuda:1");
  ITK_TEST_SET_GET_VALUE(std::string("cuda:1"), std::string(trainer->GetDevice()));
  trainer->SetNumberOfThreads(2);
  ITK_TEST_SET_GET_VALUE(2u, trainer->GetNumberOfThreads());
  ITK_TEST_SET_GET_BOOLEAN(trainer, MixedPrecision, true);
  trainer->SetCheckpointFileName("checkpoint.pt");
  ITK_TEST_SET_GET_VALUE(std::string("checkpoint.pt"), std::string(trainer->GetCheckpointFileName()));
  ITK_TEST_SET_GET_BOOLEAN(trainer, Resume, true);
  ITK_TEST_SET_GET_BOOLEAN(trainer, Distributed, false);
  // Training needs scans: a clear error, not a crash.
  ITK_TRY_EXPECT_EXCEPTION(trainer->Update());

  auto encoder = itk::ContrastiveEncoderModel::New();
  ITK_EXERCISE_BASIC_OBJECT_METHODS(encoder, ContrastiveEncoderModel, DataObject);
  ITK_TEST_EXPECT_TRUE(!encoder->IsTrained());
  return EXIT_SUCCESS;
}

int
exerciseMixture()
{
  auto fitter = itk::GaussianMixtureFitter::New();
  ITK_EXERCISE_BASIC_OBJECT_METHODS(fitter, GaussianMixtureFitter, ProcessObject);
  fitter->SetTolerance(1e-3);
  ITK_TEST_SET_GET_VALUE(1e-3, fitter->GetTolerance());
  fitter->SetMaximumNumberOfIterations(20);
  ITK_TEST_SET_GET_VALUE(20u, fitter->GetMaximumNumberOfIterations());
  fitter->SetCovarianceRegularization(1e-4);
  ITK_TEST_SET_GET_VALUE(1e-4, fitter->GetCovarianceRegularization());
  fitter->SetInitialization("random");
  ITK_TEST_SET_GET_VALUE(std::string("random"), std::string(fitter->GetInitialization()));
  fitter->SetSeed(3);
  ITK_TEST_SET_GET_VALUE(3u, fitter->GetSeed());
  ITK_TEST_SET_GET_BOOLEAN(fitter, StandardizeFeatures, false);
  ITK_TEST_SET_GET_BOOLEAN(fitter, Float32Compute, true);
  ITK_TEST_SET_GET_BOOLEAN(fitter, Distributed, false);
  fitter->SetMinimumBrainFraction(0.2);
  ITK_TEST_SET_GET_VALUE(0.2, fitter->GetMinimumBrainFraction());
  fitter->SetSliceMargin(1);
  ITK_TEST_SET_GET_VALUE(1u, fitter->GetSliceMargin());
  fitter->SetBatchSize(16);
  ITK_TEST_SET_GET_VALUE(16u, fitter->GetBatchSize());
  fitter->SetDevice("cpu");
  ITK_TEST_SET_GET_VALUE(std::string("cpu"), std::string(fitter->GetDevice()));
  fitter->SetNumberOfThreads(1);
  ITK_TEST_SET_GET_VALUE(1u, fitter->GetNumberOfThreads());
  fitter->SetPatchDensityLayers({ 0, 2 });
  ITK_TEST_EXPECT_TRUE(fitter->GetPatchDensityLayers() == (std::vector<unsigned int>{ 0, 2 }));
  ITK_TEST_SET_GET_VALUE(cradl::defaults::fitter::PatchPositionGrid, fitter->GetPatchPositionGrid());
  fitter->SetPatchPositionGrid(6);
  ITK_TEST_SET_GET_VALUE(6u, fitter->GetPatchPositionGrid());
  fitter->SetPatchDepthBins(3);
  ITK_TEST_SET_GET_VALUE(3u, fitter->GetPatchDepthBins());
  ITK_TRY_EXPECT_EXCEPTION(fitter->SetPatchDepthBins(0)); // refused, not clamped: at least one bin
  ITK_TEST_SET_GET_VALUE(3u, fitter->GetPatchDepthBins());
  ITK_TRY_EXPECT_EXCEPTION(fitter->SetPatchPositionGrid(cradl::limits::MaximumPatchPositionGrid + 1));
  fitter->SetPatchPriorWeight(0.5);
  ITK_TEST_SET_GET_VALUE(0.5, fitter->GetPatchPriorWeight());
  fitter->SetComponentCandidates({ 1, 3 });
  ITK_TEST_EXPECT_TRUE(fitter->GetComponentCandidates() == (std::vector<unsigned int>{ 1, 3 }));
  ITK_TRY_EXPECT_EXCEPTION(fitter->SetComponentCandidates({ 0 }));
  ITK_TRY_EXPECT_EXCEPTION(fitter->GetCandidateModel(0)); // nothing fitted yet

  auto mixture = itk::GaussianMixtureModel::New();
  ITK_EXERCISE_BASIC_OBJECT_METHODS(mixture, GaussianMixtureModel, DataObject);
  ITK_TEST_EXPECT_TRUE(!mixture->IsFitted());

  auto selector = itk::MixtureModelSelector::New();
  ITK_EXERCISE_BASIC_OBJECT_METHODS(selector, MixtureModelSelector, ProcessObject);
  itk::CradlScoringSettings settings;
  settings.GaussianSigma = 1.5;
  settings.MedianRadius = 1;
  selector->SetScoringSettings(settings);
  ITK_TEST_EXPECT_TRUE(selector->GetScoringSettings() == settings);
  selector->SetScoringModes({ "gradient", "patch" });
  ITK_TEST_EXPECT_TRUE(selector->GetScoringModes() == (std::vector<std::string>{ "gradient", "patch" }));
  ITK_TRY_EXPECT_EXCEPTION(selector->AddCandidate(mixture)); // not fitted
  ITK_TRY_EXPECT_EXCEPTION(selector->Update());              // no candidates
  return EXIT_SUCCESS;
}

int
exerciseScoring()
{
  auto gradient = itk::RepresentationNLLGradientImageFilter<Scan, Mask>::New();
  ITK_EXERCISE_BASIC_OBJECT_METHODS(gradient, RepresentationNLLGradientImageFilter, CradlEncoderScoreImageFilter);
  gradient->SetBatchSize(8);
  ITK_TEST_SET_GET_VALUE(8u, gradient->GetBatchSize());
  gradient->SetDevice("cuda");
  ITK_TEST_SET_GET_VALUE(std::string("cuda"), std::string(gradient->GetDevice()));
  ITK_TEST_SET_GET_BOOLEAN(gradient, MixedPrecision, true);
  auto mask = Mask::New();
  gradient->SetMaskImage(mask);
  ITK_TEST_SET_GET_VALUE(mask.GetPointer(), gradient->GetMaskImage());

  auto patch = itk::RepresentationPatchDensityImageFilter<Scan, Mask>::New();
  ITK_EXERCISE_BASIC_OBJECT_METHODS(patch, RepresentationPatchDensityImageFilter, CradlEncoderScoreImageFilter);
  patch->SetBatchSize(16);
  ITK_TEST_SET_GET_VALUE(16u, patch->GetBatchSize());
  patch->SetDevice("cpu");
  ITK_TEST_SET_GET_VALUE(std::string("cpu"), std::string(patch->GetDevice()));
  patch->SetMaskImage(mask);
  ITK_TEST_SET_GET_VALUE(mask.GetPointer(), patch->GetMaskImage());
  ITK_TRY_EXPECT_EXCEPTION(patch->Update()); // no input, encoder or mixture

  auto post = itk::MedianGaussianPostprocessImageFilter<Scan, Mask>::New();
  ITK_EXERCISE_BASIC_OBJECT_METHODS(post, MedianGaussianPostprocessImageFilter, ImageToImageFilter);
  post->SetMedianRadius(1);
  ITK_TEST_SET_GET_VALUE(1u, post->GetMedianRadius());
  post->SetGaussianSigma(1.5);
  ITK_TEST_SET_GET_VALUE(1.5, post->GetGaussianSigma());
  post->SetGaussianRadius(4);
  ITK_TEST_SET_GET_VALUE(4u, post->GetGaussianRadius());
  post->SetMaskImage(mask);
  ITK_TEST_SET_GET_VALUE(mask.GetPointer(), post->GetMaskImage());

  auto scorer = itk::CradlScanScorer::New();
  ITK_EXERCISE_BASIC_OBJECT_METHODS(scorer, CradlScanScorer, Object);
  itk::CradlScoringSettings settings;
  settings.BatchSize = 4;
  scorer->SetSettings(settings);
  ITK_TEST_EXPECT_TRUE(scorer->GetSettings() == settings);
  ITK_TRY_EXPECT_EXCEPTION(scorer->Score(Scan::New(), nullptr)); // no models

  auto preprocess = itk::CradlPreprocessImageFilter<Scan, Mask>::New();
  ITK_EXERCISE_BASIC_OBJECT_METHODS(preprocess, CradlPreprocessImageFilter, ImageToImageFilter);
  preprocess->SetClipMinimum(-1.0);
  ITK_TEST_SET_GET_VALUE(-1.0, preprocess->GetClipMinimum());
  preprocess->SetClipMaximum(1.0);
  ITK_TEST_SET_GET_VALUE(1.0, preprocess->GetClipMaximum());
  ITK_TEST_SET_GET_BOOLEAN(preprocess, PreserveAspectRatio, false);

  auto back = itk::SliceMapToScanImageFilter<Scan, Scan>::New();
  ITK_EXERCISE_BASIC_OBJECT_METHODS(back, SliceMapToScanImageFilter, ImageToImageFilter);
  return EXIT_SUCCESS;
}

int
exerciseEvaluation()
{
  auto metric = itk::AUPRCMetric<Scan, Mask>::New();
  ITK_EXERCISE_BASIC_OBJECT_METHODS(metric, AUPRCMetric, Object);
  ITK_TEST_SET_GET_BOOLEAN(metric, RestrictToMask, true);
  metric->SetCurvePoints(50);
  ITK_TEST_SET_GET_VALUE(50u, metric->GetCurvePoints());
  metric->SetNumberOfWorkUnits(2);
  ITK_TEST_SET_GET_VALUE(2u, metric->GetNumberOfWorkUnits());

  auto baseline = itk::IntensityZScoreImageFilter<Scan, Mask>::New();
  ITK_EXERCISE_BASIC_OBJECT_METHODS(baseline, IntensityZScoreImageFilter, ImageToImageFilter);
  auto mask = Mask::New();
  baseline->SetMaskImage(mask);
  ITK_TEST_SET_GET_VALUE(mask.GetPointer(), baseline->GetMaskImage());

  auto fusion = itk::AnomalyMapFusionImageFilter<Scan, Mask>::New();
  ITK_EXERCISE_BASIC_OBJECT_METHODS(fusion, AnomalyMapFusionImageFilter, ImageToImageFilter);
  fusion->SetMaskImage(mask);
  ITK_TEST_SET_GET_VALUE(mask.GetPointer(), fusion->GetMaskImage());
  std::vector<float> values{ 4, 1, 3, 2 };
  ITK_TEST_EXPECT_EQUAL((itk::AnomalyMapFusionImageFilter<Scan, Mask>::Percentile(values, 50.0)), 2.5);

  auto threshold = itk::LabelFreeThresholdCalculator::New();
  ITK_EXERCISE_BASIC_OBJECT_METHODS(threshold, LabelFreeThresholdCalculator, Object);
  ITK_TEST_SET_GET_VALUE(0.99, threshold->GetQuantile()); // the default
  threshold->SetQuantile(0.5);
  ITK_TEST_SET_GET_VALUE(0.5, threshold->GetQuantile());
  threshold->SetQuantile(2.0); // clamped
  ITK_TEST_SET_GET_VALUE(1.0, threshold->GetQuantile());
  ITK_TRY_EXPECT_EXCEPTION(threshold->Compute()); // no samples

  auto evaluator = itk::AnomalyMapEvaluator::New();
  ITK_EXERCISE_BASIC_OBJECT_METHODS(evaluator, AnomalyMapEvaluator, Object);
  ITK_TEST_EXPECT_TRUE(!evaluator->GetThresholded());
  evaluator->SetThreshold(0.7);
  ITK_TEST_SET_GET_VALUE(0.7, evaluator->GetThreshold());
  ITK_TEST_EXPECT_TRUE(evaluator->GetThresholded());
  ITK_TRY_EXPECT_EXCEPTION(evaluator->Compute()); // no scans
  return EXIT_SUCCESS;
}

int
exerciseData()
{
  auto manifest = itk::CradlManifest::New();
  ITK_EXERCISE_BASIC_OBJECT_METHODS(manifest, CradlManifest, Object);
  ITK_TEST_SET_GET_BOOLEAN(manifest, ZeroNonFiniteVoxels, true);

  auto builder = itk::CradlDatasetBuilder::New();
  ITK_EXERCISE_BASIC_OBJECT_METHODS(builder, CradlDatasetBuilder, Object);
  builder->SetNumberOfTrainingSubjects(5);
  ITK_TEST_SET_GET_VALUE(5u, builder->GetNumberOfTrainingSubjects());
  builder->SetNumberOfValidationSubjects(2);
  ITK_TEST_SET_GET_VALUE(2u, builder->GetNumberOfValidationSubjects());
  builder->SetNumberOfTestSubjects(3);
  ITK_TEST_SET_GET_VALUE(3u, builder->GetNumberOfTestSubjects());
  builder->SetOutputSpacing(3.0);
  ITK_TEST_SET_GET_VALUE(3.0, builder->GetOutputSpacing());
  builder->SetSeed(11);
  ITK_TEST_SET_GET_VALUE(11u, builder->GetSeed());
  builder->SetMaximumRotation(0.05);
  ITK_TEST_SET_GET_VALUE(0.05, builder->GetMaximumRotation());
  builder->SetMaximumScaling(0.1);
  ITK_TEST_SET_GET_VALUE(0.1, builder->GetMaximumScaling());
  builder->SetMaximumTranslation(4.0);
  ITK_TEST_SET_GET_VALUE(4.0, builder->GetMaximumTranslation());
  builder->SetElasticAmplitude(2.0);
  ITK_TEST_SET_GET_VALUE(2.0, builder->GetElasticAmplitude());
  builder->SetElasticSmoothing(10.0);
  ITK_TEST_SET_GET_VALUE(10.0, builder->GetElasticSmoothing());
  builder->SetBiasStrength(0.2);
  ITK_TEST_SET_GET_VALUE(0.2, builder->GetBiasStrength());
  builder->SetMaximumGamma(0.3);
  ITK_TEST_SET_GET_VALUE(0.3, builder->GetMaximumGamma());
  builder->SetNoiseLevel(0.01);
  ITK_TEST_SET_GET_VALUE(0.01, builder->GetNoiseLevel());
  builder->SetMaximumLesions(2);
  ITK_TEST_SET_GET_VALUE(2u, builder->GetMaximumLesions());
  builder->SetMinimumLesionRadius(3.0);
  ITK_TEST_SET_GET_VALUE(3.0, builder->GetMinimumLesionRadius());
  builder->SetMaximumLesionRadius(9.0);
  ITK_TEST_SET_GET_VALUE(9.0, builder->GetMaximumLesionRadius());
  return EXIT_SUCCESS;
}
} // namespace

int
itkCradlPublicObjectsTest(int, char *[])
{
  for (const auto exercise : { exerciseTraining, exerciseMixture, exerciseScoring, exerciseEvaluation, exerciseData })
  {
    if (exercise() != EXIT_SUCCESS)
    {
      return EXIT_FAILURE;
    }
  }
  std::cout << "Test finished." << std::endl;
  return EXIT_SUCCESS;
}
