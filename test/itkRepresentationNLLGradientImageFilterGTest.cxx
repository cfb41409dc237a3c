#include "itkContrastiveEncoderTrainer.h"
#include "itkGaussianMixtureFitter.h"
#include "itkRepresentationNLLGradientImageFilter.h"
#include "cradlTestImages.h"

#include "itkExtractImageFilter.h"

#include <gtest/gtest.h>

#include <cmath>

namespace
{
using Volume = itk::Image<float, 3>;
using VolumeMask = itk::Image<unsigned char, 3>;
using Slice = itk::Image<float, 2>;
using SliceMask = itk::Image<unsigned char, 2>;

// Every slice of the volume is the same image, so per-slice (2D) and
// per-volume (3D) z-scores agree and the 3D map must be the 2D maps stacked.
double
pattern(long x, long y)
{
  return std::hypot(x - 24.0, y - 20.0) < 16.0 ? 60.0 + 15.0 * std::sin(0.35 * x) * std::cos(0.2 * y) : 0.0;
}

struct Models
{
  itk::ContrastiveEncoderModel::Pointer encoder;
  itk::GaussianMixtureModel::Pointer    mixture;
  Volume::Pointer                       volume;
  VolumeMask::Pointer                   mask;
};

const Models &
models()
{
  static const Models built = [] {
    Models m;
    m.mask = cradl_test::makeImage<VolumeMask>({ { 48, 40, 5 } }, cradl_test::vector(1.1, 1.0, 2.5),
                                               cradl_test::point(3, -2, 8), cradl_test::rotation<3>(0.2),
                                               [](auto i) { return pattern(i[0], i[1]) != 0.0; });
    m.volume = cradl_test::makeImageLike<Volume>(m.mask.GetPointer(), [](auto i) { return pattern(i[0], i[1]); });
    auto trainer = itk::ContrastiveEncoderTrainer::New();
    trainer->AddTrainingScan(m.volume, m.mask);
    trainer->AddValidationScan(m.volume, m.mask);
    trainer->SetSliceSize(64);
    trainer->SetNumberOfFilters(4);
    trainer->SetRepresentationSize(6);
    trainer->SetNumberOfEpochs(1);
    trainer->SetBatchSize(4);
    trainer->Update();
    m.encoder = trainer->GetOutput();
    auto fitter = itk::GaussianMixtureFitter::New();
    std::vector<double> features;
    for (int row = 0; row < 40; ++row)
      for (int column = 0; column < 6; ++column)
        features.push_back(std::sin(1.3 * row + column) + 0.1 * column);
    fitter->SetRepresentations(features, 40, 6);
    fitter->SetNumberOfComponents(2);
    fitter->Update();
    m.mixture = fitter->GetOutput();
    return m;
  }();
  return built;
}
} // namespace

TEST(RepresentationNLLGradientImageFilter, VolumeMapIsTheStackOfSliceMaps)
{
  const Models & m = models();
  auto           volumeFilter = itk::RepresentationNLLGradientImageFilter<Volume>::New();
  volumeFilter->SetInput(m.volume);
  volumeFilter->SetMaskImage(m.mask);
  volumeFilter->SetEncoder(m.encoder);
  volumeFilter->SetMixture(m.mixture);
  volumeFilter->Update();
  const Volume * map = volumeFilter->GetOutput();
  EXPECT_EQ(map->GetLargestPossibleRegion(), m.volume->GetLargestPossibleRegion());
  EXPECT_EQ(map->GetSpacing(), m.volume->GetSpacing());
  EXPECT_EQ(map->GetOrigin(), m.volume->GetOrigin());
  EXPECT_EQ(map->GetDirection(), m.volume->GetDirection());
  ASSERT_EQ(volumeFilter->GetSliceNLL().size(), 5u);
  EXPECT_EQ(volumeFilter->GetSliceMap()->GetLargestPossibleRegion().GetSize(), Volume::SizeType({ { 64, 64, 5 } }));

  auto extract = itk::ExtractImageFilter<Volume, Slice>::New();
  extract->SetInput(m.volume);
  extract->SetDirectionCollapseToSubmatrix();
  auto extractMask = itk::ExtractImageFilter<VolumeMask, SliceMask>::New();
  extractMask->SetInput(m.mask);
  extractMask->SetDirectionCollapseToSubmatrix();
  for (long z : { 0L, 3L })
  {
    Volume::RegionType region = m.volume->GetLargestPossibleRegion();
    region.SetIndex(2, z);
    region.SetSize(2, 0);
    extract->SetExtractionRegion(region);
    extractMask->SetExtractionRegion(region);
    extract->Update();
    extractMask->Update();
    auto sliceFilter = itk::RepresentationNLLGradientImageFilter<Slice>::New();
    sliceFilter->SetInput(extract->GetOutput());
    sliceFilter->SetMaskImage(extractMask->GetOutput());
    sliceFilter->SetEncoder(m.encoder);
    sliceFilter->SetMixture(m.mixture);
    sliceFilter->Update();
    ASSERT_EQ(sliceFilter->GetSliceNLL().size(), 1u);
    EXPECT_NEAR(sliceFilter->GetSliceNLL()[0], volumeFilter->GetSliceNLL()[z], 1e-4 * std::abs(volumeFilter->GetSliceNLL()[z]));
    double worst = 0.0;
    double largest = 0.0;
    for (long y = 0; y < 40; ++y)
      for (long x = 0; x < 48; ++x)
      {
        const double a = sliceFilter->GetOutput()->GetPixel({ { x, y } });
        const double b = map->GetPixel({ { x, y, z } });
        worst = std::max(worst, std::abs(a - b));
        largest = std::max(largest, std::abs(b));
      }
    EXPECT_GT(largest, 0.0);
    EXPECT_LT(worst, 1e-4 * largest) << "slice " << z;
  }
}

TEST(RepresentationNLLGradientImageFilter, BatchSizeDoesNotChangeTheMap)
{
  const Models & m = models();
  std::vector<Volume::Pointer> maps;
  for (unsigned int batch : { 1u, 2u, 64u })
  {
    auto filter = itk::RepresentationNLLGradientImageFilter<Volume>::New();
    filter->SetInput(m.volume);
    filter->SetMaskImage(m.mask);
    filter->SetEncoder(m.encoder);
    filter->SetMixture(m.mixture);
    filter->SetBatchSize(batch);
    filter->Update();
    maps.push_back(filter->GetOutput());
    maps.back()->DisconnectPipeline();
  }
  const auto count = maps[0]->GetLargestPossibleRegion().GetNumberOfPixels();
  for (std::size_t i = 0; i < count; ++i)
  {
    ASSERT_NEAR(maps[1]->GetBufferPointer()[i], maps[0]->GetBufferPointer()[i], 1e-5 + 1e-4 * std::abs(maps[0]->GetBufferPointer()[i]));
    ASSERT_NEAR(maps[2]->GetBufferPointer()[i], maps[0]->GetBufferPointer()[i], 1e-5 + 1e-4 * std::abs(maps[0]->GetBufferPointer()[i]));
  }
}

TEST(RepresentationNLLGradientImageFilter, MismatchedModelsAreRefused)
{
  const Models & m = models();
  auto           fitter = itk::GaussianMixtureFitter::New();
  fitter->SetRepresentations(std::vector<double>(30, 0.5), 10, 3);
  fitter->Update();
  auto filter = itk::RepresentationNLLGradientImageFilter<Volume>::New();
  filter->SetInput(m.volume);
  filter->SetEncoder(m.encoder);
  filter->SetMixture(fitter->GetOutput());
  EXPECT_NE(cradl_test::exceptionMessage([&] { filter->Update(); }).find("fitted to 3-dimensional representations"),
            std::string::npos);

  auto untrained = itk::RepresentationNLLGradientImageFilter<Volume>::New();
  untrained->SetInput(m.volume);
  untrained->SetEncoder(itk::ContrastiveEncoderModel::New());
  untrained->SetMixture(m.mixture);
  EXPECT_NE(cradl_test::exceptionMessage([&] { untrained->Update(); }).find("must be trained"), std::string::npos);
}
