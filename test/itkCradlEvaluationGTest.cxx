// Evaluation in the library: the intensity baseline, the label-free
// threshold, segmentations and Dice, against closed forms and hand counts.
#include "itkAUPRCMetric.h"
#include "itkAnomalyMapFusionImageFilter.h"
#include "itkAnomalyMapEvaluator.h"
#include "itkIntensityZScoreImageFilter.h"
#include "itkLabelFreeThresholdCalculator.h"

#include "cradlErrorModel.h"
#include "cradlNpy.h"
#include "cradlPythonOracle.h"
#include "cradlTestImages.h"

#include <gtest/gtest.h>

#include <cmath>

namespace
{
using Scan = itk::Image<float, 3>;
using Mask = itk::Image<unsigned char, 3>;

template <typename TImage, typename TValue>
typename TImage::Pointer
grid(TValue value, unsigned int slices = 3)
{
  return cradl_test::makeImage<TImage>({ { 2, 2, slices } }, cradl_test::vector(1.5, 1.5, 3.0),
                                       cradl_test::point(-10, 4, 2), cradl_test::rotation<3>(0.2), value);
}

// Pixel number i = x + 2 y + 4 z.
long
number(const itk::Index<3> & i)
{
  return i[0] + 2 * i[1] + 4 * i[2];
}
} // namespace

TEST(IntensityZScoreImageFilter, ZScoresOfTheBrainInClosedForm)
{
  // Brain: three pixels of 1 and one of 5: mean 2, population variance 3.
  const auto mask = grid<Mask>([](auto i) { return number(i) < 4; });
  const auto scan = grid<Scan>([](auto i) { return number(i) == 3 ? 5.0 : number(i) < 4 ? 1.0 : 40.0; });
  auto       filter = itk::IntensityZScoreImageFilter<Scan>::New();
  filter->SetInput(scan);
  filter->SetMaskImage(mask);
  filter->Update();
  EXPECT_DOUBLE_EQ(filter->GetBrainMean(), 2.0);
  EXPECT_NEAR(filter->GetBrainStandardDeviation(), std::sqrt(3.0), 1e-15);
  const auto * out = filter->GetOutput();
  for (long n = 0; n < 12; ++n)
  {
    const float expected = n == 3 ? static_cast<float>(std::sqrt(3.0)) : n < 4 ? static_cast<float>(1.0 / std::sqrt(3.0)) : 0.0f;
    EXPECT_FLOAT_EQ(out->GetBufferPointer()[n], expected) << "pixel " << n;
  }
  // The output lies on the scan's grid, to overlay in any viewer.
  EXPECT_EQ(out->GetDirection(), scan->GetDirection());
  EXPECT_EQ(out->GetOrigin(), scan->GetOrigin());

  // Without a mask the brain is the non-zero pixels: values 2 and 4 -> z = 1.
  const auto stripped = grid<Scan>([](auto i) { return number(i) % 3 == 0 ? 0.0 : number(i) % 2 == 0 ? 2.0 : 4.0; });
  auto       unmasked = itk::IntensityZScoreImageFilter<Scan>::New();
  unmasked->SetInput(stripped);
  unmasked->Update();
  for (long n = 0; n < 12; ++n)
  {
    EXPECT_EQ(unmasked->GetOutput()->GetBufferPointer()[n], n % 3 == 0 ? 0.0f : 1.0f) << "pixel " << n;
  }

  auto empty = itk::IntensityZScoreImageFilter<Scan>::New();
  empty->SetInput(scan);
  empty->SetMaskImage(grid<Mask>([](auto) { return 0; }));
  EXPECT_NE(cradl_test::exceptionMessage([&] { empty->Update(); }).find("no brain"), std::string::npos);
}

TEST(LabelFreeThresholdCalculator, QuantileOfHealthyBrainPixelsByHand)
{
  // Scores = pixel numbers. Slice 1 holds a label pixel, pixel 0 is outside
  // the brain: healthy samples {1, 2, 3, 8, 9, 10, 11}.
  const auto map = grid<Scan>([](auto i) { return static_cast<double>(number(i)); });
  const auto mask = grid<Mask>([](auto i) { return number(i) != 0; });
  const auto label = grid<Mask>([](auto i) { return number(i) == 6; });
  auto       threshold = itk::LabelFreeThresholdCalculator::New();
  threshold->AddScores(map, mask, label);
  EXPECT_EQ(threshold->GetNumberOfSamples(), 7u);
  threshold->SetQuantile(0.5); // rank floor(0.5 x 6) = 3
  EXPECT_EQ(threshold->Compute(), 8.0);
  threshold->SetQuantile(0.99); // rank floor(5.94) = 5
  EXPECT_EQ(threshold->Compute(), 10.0);
  threshold->SetQuantile(1.0);
  EXPECT_EQ(threshold->Compute(), 11.0);
  // Without mask and label every pixel is healthy: 7 + 12 samples.
  threshold->AddScores(map, nullptr, nullptr);
  EXPECT_EQ(threshold->GetNumberOfSamples(), 19u);

  const auto elsewhere = cradl_test::makeImage<Mask>({ { 2, 2, 3 } }, cradl_test::vector(1, 1, 1), cradl_test::point(0, 0, 0),
                                                     cradl_test::rotation<3>(0.0), [](auto) { return 1; });
  EXPECT_NE(cradl_test::exceptionMessage([&] { threshold->AddScores(map, elsewhere, nullptr); }).find("grid"),
            std::string::npos);
}

TEST(AnomalyMapEvaluator, PoolsMetricsBaselineAndDiceAsSeparateMetricsDo)
{
  // Two scans; the label is the pixels 5 and 6 of the first and 9 of the second.
  const auto mask = grid<Mask>([](auto i) { return number(i) >= 2; });
  const auto scan = grid<Scan>([](auto i) { return 10.0 + (number(i) * 7) % 5; });
  std::vector<Mask::Pointer> labels{ grid<Mask>([](auto i) { return number(i) == 5 || number(i) == 6; }),
                                     grid<Mask>([](auto i) { return number(i) == 9; }) };
  std::vector<Scan::Pointer> maps{ grid<Scan>([](auto i) { return 0.1 * ((number(i) * 5) % 12); }),
                                   grid<Scan>([](auto i) { return 0.1 * ((number(i) * 7) % 12); }) };
  const std::vector<std::vector<double>> slices{ { 0.1, 0.9, 0.2 }, { 0.3, 0.4, 0.8 } };

  auto evaluator = itk::AnomalyMapEvaluator::New();
  evaluator->SetThreshold(0.55);
  auto pooled = itk::AUPRCMetric<Scan, Mask>::New();
  auto inBrain = itk::AUPRCMetric<Scan, Mask>::New();
  auto baseline = itk::AUPRCMetric<Scan, Mask>::New();
  inBrain->RestrictToMaskOn();
  double overlap = 0, predicted = 0, actual = 0;
  for (int s = 0; s < 2; ++s)
  {
    const auto segmentation = evaluator->AddScan("scan" + std::to_string(s), scan, mask, labels[s], maps[s], slices[s]);
    ASSERT_TRUE(segmentation);
    for (long n = 0; n < 12; ++n)
    {
      const bool segmented = n >= 2 && maps[s]->GetBufferPointer()[n] >= 0.55f;
      EXPECT_EQ(segmentation->GetBufferPointer()[n], segmented ? 1 : 0) << "scan " << s << " pixel " << n;
      const bool truth = labels[s]->GetBufferPointer()[n] != 0;
      overlap += segmented && truth;
      predicted += segmented;
      actual += truth;
    }
    EXPECT_EQ(segmentation->GetSpacing(), scan->GetSpacing());
    pooled->AddImages(maps[s], labels[s], mask);
    pooled->AddSliceScores(slices[s], labels[s]);
    inBrain->AddImages(maps[s], labels[s], mask);
    auto intensity = itk::IntensityZScoreImageFilter<Scan>::New();
    intensity->SetInput(scan);
    intensity->SetMaskImage(mask);
    intensity->Update();
    baseline->AddImages(intensity->GetOutput(), labels[s], mask);
  }
  evaluator->Compute();
  pooled->Compute();
  inBrain->Compute();
  baseline->Compute();
  const auto & m = evaluator->GetMetrics();
  EXPECT_EQ(m.Pixels.AUPRC, pooled->GetPixelMetrics().AUPRC);
  EXPECT_EQ(m.Pixels.AUROC, pooled->GetPixelMetrics().AUROC);
  EXPECT_EQ(m.Slices.AUROC, pooled->GetSliceMetrics().AUROC);
  EXPECT_EQ(m.PixelsInBrain.AUPRC, inBrain->GetPixelMetrics().AUPRC);
  EXPECT_EQ(m.PixelsInBrain.Negatives, 8u + 9u); // 10 brain pixels per scan; 2 and 1 anomalous
  EXPECT_EQ(m.BaselinePixels.AUPRC, baseline->GetPixelMetrics().AUPRC);
  EXPECT_TRUE(m.Thresholded);
  EXPECT_GT(predicted, 0.0);
  EXPECT_DOUBLE_EQ(m.Dice, 2.0 * overlap / (predicted + actual));

  auto unlabeled = itk::AnomalyMapEvaluator::New();
  EXPECT_NE(cradl_test::exceptionMessage([&] { unlabeled->AddScan("bare", scan, mask, nullptr, maps[0], {}); })
              .find("scan 'bare'"),
            std::string::npos);
  EXPECT_EQ(unlabeled->AddScan("no threshold", scan, mask, labels[0], maps[0], {}), nullptr);
}

TEST(AnomalyMapFusionImageFilter, EqualsItsFormulaInNumpy)
{
  // Three maps on very different scales, one with ties and a constant brain
  // (IQR 0 -> 1), on a 9 x 7 x 4 grid with a partial mask.
  const auto mask = cradl_test::makeImage<Mask>({ { 9, 7, 4 } }, cradl_test::vector(1.0, 1.2, 2.0),
                                                cradl_test::point(3, -4, 5), cradl_test::rotation<3>(0.1),
                                                [](auto i) { return (i[0] + 2 * i[1] + 3 * i[2]) % 5 != 0; });
  std::vector<Scan::Pointer> maps{
    cradl_test::makeImageLike<Scan>(mask.GetPointer(), [](auto i) { return 1e-3 * std::sin(1.7 * i[0] + i[1] * i[2]); }),
    cradl_test::makeImageLike<Scan>(mask.GetPointer(), [](auto i) { return 50.0 + 7.0 * ((i[0] * 3 + i[1]) % 4); }),
    cradl_test::makeImageLike<Scan>(mask.GetPointer(), [](auto i) { return i[2] < 9 ? 2.5 : 0.0; }),
  };
  auto fusion = itk::AnomalyMapFusionImageFilter<Scan>::New();
  for (unsigned int m = 0; m < maps.size(); ++m)
    fusion->SetMap(m, maps[m]);
  fusion->SetMaskImage(mask);
  fusion->Update();
  EXPECT_EQ(fusion->GetInterquartileRanges()[2], 1.0);

  const auto folder = cradl_test::scratchFolder("fusion");
  const auto pixels = mask->GetLargestPossibleRegion().GetNumberOfPixels();
  const std::vector<int64_t> shape{ static_cast<int64_t>(pixels) };
  for (unsigned int m = 0; m < maps.size(); ++m)
    cradl::writeNpy((folder / ("map_" + std::to_string(m) + ".npy")).string(), "<f4", shape, maps[m]->GetBufferPointer());
  cradl::writeNpy((folder / "mask.npy").string(), "|u1", shape, mask->GetBufferPointer());
  cradl_test::runPythonOracle("fusion_oracle.py", { folder.string(), "3" });
  const auto expected = cradl::readNpy((folder / "fused.npy").string()).asDoubles();
  ASSERT_EQ(expected.size(), pixels);
  // Both sides compute in float64 from the same float32 values; the output is
  // then rounded to float32 once.
  for (itk::SizeValueType i = 0; i < pixels; ++i)
    EXPECT_NEAR(fusion->GetOutput()->GetBufferPointer()[i], expected[i],
                cradl_test::DrawSafetyFactor * cradl_test::float32Rounding(expected[i], 10.0))
      << "pixel " << i;
  EXPECT_EQ(fusion->GetOutput()->GetOrigin(), mask->GetOrigin());
}

TEST(AnomalyMapEvaluator, PerKindMetricsRankEachKindAgainstHealthyBrain)
{
  // Kinds 1 and 2 in one scan; each kind's metric leaves the other's voxels out.
  const auto mask = grid<Mask>([](auto i) { return number(i) >= 1; });
  const auto scan = grid<Scan>([](auto i) { return 5.0 + number(i) % 3; });
  const auto kinds = grid<Mask>([](auto i) { return number(i) == 4 ? 1 : number(i) == 9 || number(i) == 10 ? 2 : 0; });
  const auto label = grid<Mask>([&](auto i) { return kinds->GetPixel(i) != 0; });
  const auto map = grid<Scan>([](auto i) { return 0.1 * ((number(i) * 5) % 12); });
  auto       evaluator = itk::AnomalyMapEvaluator::New();
  evaluator->SetAnomalyKinds({ "first", "second", "absent" });
  evaluator->AddScan("scan", scan, mask, label, map, {}, kinds);
  evaluator->Compute();
  const auto & perKind = evaluator->GetMetrics().Kinds;
  ASSERT_EQ(perKind.size(), 2u); // "absent" has no voxel
  for (const auto & kind : perKind)
  {
    // The same ranking by AUPRCMetric, restricted to healthy brain + this kind.
    const auto only = grid<Mask>([&](auto i) { return kinds->GetPixel(i) == kind.Code; });
    const auto counted = grid<Mask>([&](auto i) {
      return mask->GetPixel(i) != 0 && (label->GetPixel(i) == 0 || kinds->GetPixel(i) == kind.Code);
    });
    auto reference = itk::AUPRCMetric<Scan, Mask>::New();
    reference->RestrictToMaskOn();
    reference->AddImages(map, only, counted);
    reference->Compute();
    EXPECT_EQ(kind.PixelsInBrain.AUPRC, reference->GetAUPRC()) << kind.Name;
    EXPECT_EQ(kind.PixelsInBrain.AUROC, reference->GetAUROC()) << kind.Name;
    EXPECT_EQ(kind.PixelsInBrain.Positives, kind.Code == 1 ? 1u : 2u);
    EXPECT_EQ(kind.PixelsInBrain.Negatives, 11u - 3u); // brain pixels 1..11, three of them anomalous
  }
  EXPECT_EQ(perKind[0].Name, "first");
}
