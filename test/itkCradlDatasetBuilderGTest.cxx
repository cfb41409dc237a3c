#include "itkCradlDatasetBuilder.h"
#include "itkCradlManifest.h"
#include "cradlPythonOracle.h"
#include "cradlTestImages.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <set>

namespace
{
namespace fs = std::filesystem;
using Image = itk::CradlDatasetBuilder::ImageType;
using Mask = itk::CradlDatasetBuilder::MaskImageType;

// A small "brain": an ellipsoid with grey/white-like layers, 1.5 mm voxels.
itk::CradlDatasetBuilder::Pointer
smallBuilder()
{
  const auto brain = cradl_test::makeImage<Image>(
    { { 40, 48, 36 } }, cradl_test::vector(1.5, 1.5, 1.5), cradl_test::point(-30, -36, -27),
    cradl_test::rotation<3>(0.0), [](auto i) {
      const double r = std::sqrt(std::pow((i[0] - 20.0) / 17.0, 2) + std::pow((i[1] - 24.0) / 21.0, 2) +
                                 std::pow((i[2] - 18.0) / 15.0, 2));
      return r < 1.0 ? (r < 0.6 ? 110.0 : 70.0) + 10.0 * std::sin(0.5 * i[0]) : 0.0;
    });
  auto builder = itk::CradlDatasetBuilder::New();
  builder->SetTemplate(brain);
  builder->SetOutputSpacing(3.0);
  builder->SetNumberOfTrainingSubjects(2);
  builder->SetNumberOfValidationSubjects(1);
  builder->SetNumberOfTestSubjects(2);
  builder->SetMinimumLesionRadius(5.0);
  builder->SetMaximumLesionRadius(8.0);
  builder->SetSeed(3);
  return builder;
}

std::size_t
count(const Mask * mask)
{
  std::size_t n = 0;
  for (itk::SizeValueType i = 0; i < mask->GetBufferedRegion().GetNumberOfPixels(); ++i)
    n += mask->GetBufferPointer()[i] != 0;
  return n;
}
} // namespace

TEST(CradlDatasetBuilder, SubjectsAreSeededWarpedAndAnomaliesLabelled)
{
  auto       builder = smallBuilder();
  const auto healthy = builder->MakeSubject(0, false);
  const auto again = builder->MakeSubject(0, false);
  const auto other = builder->MakeSubject(1, false);
  const auto pixels = healthy.Image->GetBufferedRegion().GetNumberOfPixels();
  EXPECT_EQ(healthy.Image->GetLargestPossibleRegion().GetSize(), Image::SizeType({ { 20, 24, 18 } }));
  EXPECT_EQ(std::memcmp(healthy.Image->GetBufferPointer(), again.Image->GetBufferPointer(), pixels * sizeof(float)), 0);
  EXPECT_NE(std::memcmp(healthy.Image->GetBufferPointer(), other.Image->GetBufferPointer(), pixels * sizeof(float)), 0);
  EXPECT_EQ(count(healthy.Label), 0u);
  EXPECT_GT(count(healthy.Mask), 1000u);
  EXPECT_NE(count(healthy.Mask), count(other.Mask)); // warped differently

  double outside = 0.0;
  for (itk::SizeValueType i = 0; i < pixels; ++i)
    if (!healthy.Mask->GetBufferPointer()[i])
      outside += std::abs(healthy.Image->GetBufferPointer()[i]);
  EXPECT_EQ(outside, 0.0); // skull-stripped: background is 0

  const auto lesioned = builder->MakeSubject(7, true);
  const auto lesionVoxels = count(lesioned.Label);
  EXPECT_GT(lesionVoxels, 5u);
  for (itk::SizeValueType i = 0; i < pixels; ++i)
  {
    if (lesioned.Label->GetBufferPointer()[i])
    {
      ASSERT_TRUE(lesioned.Mask->GetBufferPointer()[i]) << "label outside the brain at " << i;
    }
  }
  // The anomalies change the scan where they are labelled.
  const auto same = builder->MakeSubject(7, false);
  double inside = 0.0;
  for (itk::SizeValueType i = 0; i < pixels; ++i)
    if (lesioned.Label->GetBufferPointer()[i])
      inside += std::abs(lesioned.Image->GetBufferPointer()[i] - same.Image->GetBufferPointer()[i]);
  EXPECT_GT(inside / lesionVoxels, 5.0);
}

TEST(CradlDatasetBuilder, WritesManifestsThatLoad)
{
  auto       builder = smallBuilder();
  const auto folder = cradl_test::scratchFolder("dataset");
  builder->Write(folder.string());
  for (const char * split : { "train", "val", "test" })
  {
    auto manifest = itk::CradlManifest::New();
    manifest->Read((folder / (std::string(split) + ".csv")).string());
    EXPECT_EQ(manifest->GetNumberOfEntries(), std::string(split) == "train" ? 2u : std::string(split) == "val" ? 1u : 2u);
    const auto scan = manifest->LoadScan(0); // checks grids of image, mask, label
    EXPECT_TRUE(scan.Mask);
    EXPECT_EQ(static_cast<bool>(scan.Label), std::string(split) != "train");
  }
  for (const auto & entry : fs::recursive_directory_iterator(folder))
  {
    EXPECT_EQ(entry.path().filename().string().rfind("partial-", 0), std::string::npos) << entry.path();
  }
}

TEST(CradlDatasetBuilder, FindsColin27FromMricronData)
{
  std::string path;
  try
  {
    path = itk::CradlDatasetBuilder::FindColin27();
  }
  catch (const itk::ExceptionObject & error)
  {
    EXPECT_NE(std::string(error.GetDescription()).find("apt-get install mricron-data"), std::string::npos);
    GTEST_SKIP() << "mricron-data is not installed";
  }
  EXPECT_EQ(fs::path(path).filename(), "ch2bet.nii.gz");
  const auto colin = itk::CradlManifest::ReadScanImage(path);
  EXPECT_EQ(colin->GetLargestPossibleRegion().GetSize(), Image::SizeType({ { 181, 217, 181 } }));
}

TEST(CradlDatasetBuilder, EveryKindAppearsWithItsCodeAndValidationNeverGetsTheHeldOutOne)
{
  auto         builder = smallBuilder();
  const auto & names = itk::CradlDatasetBuilder::GetAnomalyKindNames();
  ASSERT_EQ(names.size(), 8u);
  std::set<unsigned int> seen;
  for (unsigned int s = 0; s < 4; ++s) // four test subjects of at least two lesions: 8 kinds in turn
  {
    const auto subject = builder->MakeSubject(200000 + s, true, true);
    for (itk::SizeValueType i = 0; i < subject.Label->GetBufferedRegion().GetNumberOfPixels(); ++i)
    {
      const unsigned char code = subject.Kinds->GetBufferPointer()[i];
      // A kind where and only where there is a label, and always inside the brain.
      ASSERT_EQ(code != 0, subject.Label->GetBufferPointer()[i] != 0) << "voxel " << i;
      ASSERT_TRUE(code == 0 || subject.Mask->GetBufferPointer()[i] != 0);
      ASSERT_LE(code, names.size());
      if (code != 0)
        seen.insert(code);
    }
  }
  EXPECT_GE(seen.size(), 6u) << "most kinds leave labelled voxels on this small brain";
  const auto ring = std::find(names.begin(), names.end(), "ring") - names.begin() + 1;
  EXPECT_EQ(std::string(builder->GetHeldOutKind()), "ring");
  for (unsigned int s = 0; s < 4; ++s)
  {
    const auto subject = builder->MakeSubject(100000 + s, true, false);
    for (itk::SizeValueType i = 0; i < subject.Kinds->GetBufferedRegion().GetNumberOfPixels(); ++i)
      ASSERT_NE(subject.Kinds->GetBufferPointer()[i], ring) << "validation subject " << s;
  }
  builder->SetHeldOutKind("no such kind");
  EXPECT_NE(cradl_test::exceptionMessage([&] { builder->Write(cradl_test::scratchFolder("bad-kind").string()); })
              .find("unknown held-out kind"),
            std::string::npos);
}
