#include "itkCradlManifest.h"
#include "itkCradlImageIO.h"
#include "cradlPythonOracle.h"
#include "cradlErrorModel.h"
#include "cradlTestImages.h"

#include "itkImageFileReader.h"
#include "itkImageFileWriter.h"
#include "itkRGBPixel.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>

namespace
{
namespace fs = std::filesystem;
using Volume = itk::Image<float, 3>;
using ByteVolume = itk::Image<unsigned char, 3>;

template <typename TImage>
void
write(const TImage * image, const fs::path & path)
{
  fs::create_directories(path.parent_path());
  auto writer = itk::ImageFileWriter<TImage>::New();
  writer->SetInput(image);
  writer->SetFileName(path.string());
  writer->Update();
}

void
writeText(const fs::path & path, const std::string & text)
{
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

Volume::Pointer
volume(double spacing = 1.0)
{
  return cradl_test::makeImage<Volume>({ { 6, 5, 3 } }, cradl_test::vector(spacing, 1.0, 2.0), cradl_test::point(1.0, 2.0, 3.0),
                                       cradl_test::rotation<3>(0.3),
                                       [](auto i) { return 10.0 + i[0] + 6 * i[1] + 30 * i[2]; });
}

class CradlManifestTest : public ::testing::Test
{
protected:
  void
  SetUp() override
  {
    m_Folder = fs::temp_directory_path() /
               ("cradl-manifest-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(m_Folder);
    write(volume().GetPointer(), m_Folder / "scans" / "a.nii.gz");
    write(cradl_test::makeImageLike<ByteVolume>(volume().GetPointer(), [](auto i) { return i[0] > 1 ? 5 : 0; })
            .GetPointer(),
          m_Folder / "scans" / "a_mask.nii.gz");
    write(cradl_test::makeImageLike<Volume>(volume().GetPointer(), [](auto i) { return i[0] == 3 ? 0.25 : 0.0; })
            .GetPointer(),
          m_Folder / "scans" / "a_label.nii.gz");
  }

  void
  TearDown() override
  {
    fs::remove_all(m_Folder);
  }

  std::string
  errorReading(const std::string & csv)
  {
    writeText(m_Folder / "data" / "set.csv", csv);
    auto manifest = itk::CradlManifest::New();
    try
    {
      manifest->Read((m_Folder / "data" / "set.csv").string());
      for (size_t row = 0; row < manifest->GetNumberOfEntries(); ++row)
      {
        manifest->LoadScan(row);
      }
    }
    catch (const itk::ExceptionObject & error)
    {
      return error.GetDescription();
    }
    return "no exception";
  }

  fs::path m_Folder;
};
} // namespace

TEST_F(CradlManifestTest, ResolvesPathsRelativeToTheCsvAndLoadsBinaryMasks)
{
  writeText(m_Folder / "data" / "set.csv",
            "mask, image ,label\r\n"
            "../scans/a_mask.nii.gz,\"../scans/a.nii.gz\",../scans/a_label.nii.gz\r\n"
            "\r\n" +
              (m_Folder / "scans" / "a_mask.nii.gz").string() + ",../scans/a.nii.gz,\n");
  auto manifest = itk::CradlManifest::New();
  manifest->Read((m_Folder / "data" / "set.csv").string());
  ASSERT_EQ(manifest->GetNumberOfEntries(), 2u);
  const auto & first = manifest->GetEntry(0);
  EXPECT_EQ(first.Image, (m_Folder / "scans" / "a.nii.gz").string());
  EXPECT_EQ(first.Mask, (m_Folder / "scans" / "a_mask.nii.gz").string());
  EXPECT_EQ(first.Label, (m_Folder / "scans" / "a_label.nii.gz").string());
  EXPECT_EQ(first.Row, 1u);
  EXPECT_EQ(first.Line, 2u);
  EXPECT_EQ(manifest->GetEntry(1).Line, 4u);
  EXPECT_TRUE(manifest->GetEntry(1).Label.empty());

  const auto scan = manifest->LoadScan(0);
  EXPECT_EQ(scan.Image->GetPixel({ { 5, 4, 2 } }), 10.0f + 5 + 24 + 60);
  for (unsigned int i = 0; i < 3; ++i)
    for (unsigned int j = 0; j < 3; ++j)
    {
      // NIfTI stores the rotation as a float32 quaternion: each matrix entry a
      // 2-term sum of products of those, so within gamma_4 (float32) of 1.
      EXPECT_NEAR(scan.Image->GetDirection()(i, j), volume()->GetDirection()(i, j),
                  cradl_test::gamma(4, cradl_test::Float32UnitRoundoff) * 2);
    }
  EXPECT_EQ(scan.Mask->GetPixel({ { 1, 0, 0 } }), 0);
  EXPECT_EQ(scan.Mask->GetPixel({ { 2, 0, 0 } }), 1); // 5 in the file
  EXPECT_EQ(scan.Label->GetPixel({ { 3, 2, 1 } }), 1); // 0.25 in the file
  EXPECT_EQ(scan.Label->GetPixel({ { 2, 2, 1 } }), 0);
  EXPECT_TRUE(manifest->LoadScan(1).Label.IsNull());
}

TEST_F(CradlManifestTest, MissingFilesAreAllNamedWithTheirRows)
{
  const std::string message = errorReading("image,mask,label\n"
                                           "../scans/a.nii.gz,../scans/a_mask.nii.gz,\n"
                                           "../scans/b.nii.gz,../scans/a_mask.nii.gz,../scans/b_label.nii.gz\n");
  EXPECT_NE(message.find("2 file(s) listed in manifest"), std::string::npos) << message;
  EXPECT_NE(message.find("row 2 (line 3): image file '" + (m_Folder / "scans" / "b.nii.gz").string() +
                         "' does not exist"),
            std::string::npos)
    << message;
  EXPECT_NE(message.find("row 2 (line 3): label file"), std::string::npos) << message;
}

TEST_F(CradlManifestTest, MalformedCsvIsRefused)
{
  EXPECT_NE(errorReading("scan,brain\nx,y\n").find("header image,mask,label"), std::string::npos);
  EXPECT_NE(errorReading("").find("is empty"), std::string::npos);
  EXPECT_NE(errorReading("image,mask,label\n").find("lists no scans"), std::string::npos);
  EXPECT_NE(errorReading("image,mask,label\n../scans/a.nii.gz,\n").find("row 1 (line 2): 2 fields, the header has 3"),
            std::string::npos);
  EXPECT_NE(errorReading("image,mask,label\n,../scans/a_mask.nii.gz,\n").find("image field is empty"),
            std::string::npos);
  EXPECT_NE(errorReading("image,mask\n\"../scans/a.nii.gz,\n").find("unbalanced double quote"), std::string::npos);
}

TEST_F(CradlManifestTest, UnreadableAndTruncatedImagesNameTheRow)
{
  writeText(m_Folder / "scans" / "junk.nii.gz", "this is not an image");
  std::string message = errorReading("image,mask,label\n../scans/a.nii.gz,,\n../scans/junk.nii.gz,,\n");
  EXPECT_NE(message.find("row 2 (line 3): cannot read"), std::string::npos) << message;

  // A NIfTI cut in the middle of its pixels.
  const fs::path whole = m_Folder / "scans" / "big.nii";
  write(cradl_test::makeImage<Volume>({ { 40, 40, 20 } }, cradl_test::vector(1.0, 1.0, 1.0), cradl_test::point(0.0, 0.0, 0.0),
                                      cradl_test::rotation<3>(0.0), [](auto i) { return i[0]; })
          .GetPointer(),
        whole);
  fs::resize_file(whole, fs::file_size(whole) / 2);
  message = errorReading("image,mask,label\n../scans/big.nii,,\n");
  EXPECT_NE(message.find("row 1 (line 2): cannot read"), std::string::npos) << message;
  EXPECT_NE(message.find("(truncated)"), std::string::npos) << message;

  // The same, compressed: the gzip stream ends early.
  const fs::path packed = m_Folder / "scans" / "big.nii.gz";
  write(cradl_test::makeImage<Volume>({ { 40, 40, 20 } }, cradl_test::vector(1.0, 1.0, 1.0), cradl_test::point(0.0, 0.0, 0.0),
                                      cradl_test::rotation<3>(0.0), [](auto i) { return i[0] * 0.37 + i[1]; })
          .GetPointer(),
        packed);
  EXPECT_EQ(errorReading("image\n../scans/big.nii.gz\n"), "no exception");
  fs::resize_file(packed, fs::file_size(packed) - 100);
  message = errorReading("image\n../scans/big.nii.gz\n");
  EXPECT_NE(message.find("row 1 (line 2): cannot read"), std::string::npos) << message;
}

TEST_F(CradlManifestTest, MasksAndLabelsOnAnotherGridAreRefused)
{
  write(cradl_test::makeImageLike<ByteVolume>(volume(1.5).GetPointer(), [](auto) { return 1; }).GetPointer(),
        m_Folder / "scans" / "wide_mask.nii.gz");
  std::string message = errorReading("image,mask,label\n../scans/a.nii.gz,../scans/wide_mask.nii.gz,\n");
  EXPECT_NE(message.find("row 1 (line 2): the mask '"), std::string::npos) << message;
  EXPECT_NE(message.find("(spacing [1, 1, 2] vs [1.5, 1, 2])"), std::string::npos) << message;

  write(cradl_test::makeImage<ByteVolume>({ { 6, 5, 2 } }, cradl_test::vector(1.0, 1.0, 2.0), cradl_test::point(1.0, 2.0, 3.0),
                                          cradl_test::rotation<3>(0.3), [](auto) { return 1; })
          .GetPointer(),
        m_Folder / "scans" / "short_label.nii.gz");
  message = errorReading("image,mask,label\n../scans/a.nii.gz,,../scans/short_label.nii.gz\n");
  EXPECT_NE(message.find("the label '"), std::string::npos) << message;
  EXPECT_NE(message.find("size [6, 5, 3] vs [6, 5, 2]"), std::string::npos) << message;
}

TEST_F(CradlManifestTest, TwoDimensionalImagesAreOneSliceVolumes)
{
  using Slice = itk::Image<unsigned char, 2>;
  write(cradl_test::makeImage<Slice>({ { 9, 7 } }, cradl_test::vector(1.0, 1.0), cradl_test::point(0.0, 0.0),
                                     cradl_test::rotation<2>(0.0), [](auto i) { return 3 * i[0] + i[1]; })
          .GetPointer(),
        m_Folder / "scans" / "slice.png");
  writeText(m_Folder / "data" / "set.csv", "image\n../scans/slice.png\n");
  auto manifest = itk::CradlManifest::New();
  manifest->Read((m_Folder / "data" / "set.csv").string());
  const auto scan = manifest->LoadScan(0);
  EXPECT_EQ(scan.Image->GetLargestPossibleRegion().GetSize(), Volume::SizeType({ { 9, 7, 1 } }));
  EXPECT_EQ(scan.Image->GetPixel({ { 8, 6, 0 } }), 30.0f);
  EXPECT_TRUE(scan.Mask.IsNull());
}

TEST_F(CradlManifestTest, FourDimensionalAndVectorImagesAreRefused)
{
  using Series = itk::Image<float, 4>;
  auto series = Series::New();
  series->SetRegions(Series::SizeType({ { 4, 4, 2, 3 } }));
  series->Allocate(true);
  write(series.GetPointer(), m_Folder / "scans" / "series.nii.gz");
  EXPECT_NE(errorReading("image\n../scans/series.nii.gz\n").find("split it into 3D volumes"), std::string::npos);

  using RGB = itk::Image<itk::RGBPixel<unsigned char>, 2>;
  auto rgb = RGB::New();
  rgb->SetRegions(RGB::SizeType({ { 4, 4 } }));
  rgb->Allocate(true);
  write(rgb.GetPointer(), m_Folder / "scans" / "colour.png");
  EXPECT_NE(errorReading("image\n../scans/colour.png\n").find("3 components per pixel"), std::string::npos);
}

TEST_F(CradlManifestTest, NonFiniteVoxelsInTheBrainAreAnErrorOrZeroedOnRequest)
{
  // nifticlib turns NaN/inf into 0 while reading; the manifest reads the file's own values.
  auto poisoned = volume();
  poisoned->SetPixel({ { 0, 0, 0 } }, std::numeric_limits<float>::quiet_NaN()); // outside the mask
  poisoned->SetPixel({ { 3, 2, 1 } }, std::numeric_limits<float>::quiet_NaN());
  poisoned->SetPixel({ { 4, 1, 2 } }, -std::numeric_limits<float>::infinity());
  for (const char * name : { "poisoned.nii.gz", "poisoned.nii" })
  {
    write(poisoned.GetPointer(), m_Folder / "scans" / name);
    const auto read = itk::CradlManifest::ReadScanImage((m_Folder / "scans" / name).string());
    EXPECT_TRUE(std::isnan(read->GetPixel({ { 3, 2, 1 } }))) << name;
    EXPECT_EQ(read->GetPixel({ { 4, 1, 2 } }), -std::numeric_limits<float>::infinity()) << name;
    EXPECT_EQ(read->GetPixel({ { 5, 4, 2 } }), 10.0f + 5 + 24 + 60) << name;

    writeText(m_Folder / "data" / "set.csv", std::string("image,mask\n../scans/") + name + ",../scans/a_mask.nii.gz\n");
    auto manifest = itk::CradlManifest::New();
    manifest->Read((m_Folder / "data" / "set.csv").string());
    const std::string message = cradl_test::exceptionMessage([&] { manifest->LoadScan(0); });
    EXPECT_NE(message.find(std::string(name) + "' has 2 NaN or infinite voxels inside the brain mask"), std::string::npos)
      << message;
    EXPECT_NE(message.find("--nan-policy zero"), std::string::npos) << message;

    manifest->ZeroNonFiniteVoxelsOn();
    const auto scan = manifest->LoadScan(0);
    EXPECT_EQ(scan.Image->GetPixel({ { 0, 0, 0 } }), 0.0f);
    EXPECT_EQ(scan.Image->GetPixel({ { 3, 2, 1 } }), 0.0f);
    EXPECT_EQ(scan.Image->GetPixel({ { 4, 1, 2 } }), 0.0f);
    EXPECT_EQ(scan.Image->GetPixel({ { 5, 4, 2 } }), 10.0f + 5 + 24 + 60);
  }
  // Outside the brain alone: zeroed without an error.
  auto outside = volume();
  outside->SetPixel({ { 1, 3, 0 } }, std::numeric_limits<float>::quiet_NaN());
  write(outside.GetPointer(), m_Folder / "scans" / "outside.nii.gz");
  writeText(m_Folder / "data" / "set.csv", "image,mask\n../scans/outside.nii.gz,../scans/a_mask.nii.gz\n");
  auto manifest = itk::CradlManifest::New();
  manifest->Read((m_Folder / "data" / "set.csv").string());
  EXPECT_EQ(manifest->LoadScan(0).Image->GetPixel({ { 1, 3, 0 } }), 0.0f);
}

TEST_F(CradlManifestTest, KindMapsKeepTheirCodesAndRefuseOtherValues)
{
  write(cradl_test::makeImageLike<ByteVolume>(volume().GetPointer(), [](auto i) { return i[0] == 3 ? 7 : 0; }).GetPointer(),
        m_Folder / "scans" / "a_kinds.nii.gz");
  writeText(m_Folder / "data" / "set.csv",
            "kinds,image,label\n../scans/a_kinds.nii.gz,../scans/a.nii.gz,../scans/a_label.nii.gz\n");
  auto manifest = itk::CradlManifest::New();
  manifest->Read((m_Folder / "data" / "set.csv").string());
  EXPECT_EQ(fs::path(manifest->GetEntry(0).Kinds).filename(), "a_kinds.nii.gz");
  const auto scan = manifest->LoadScan(0);
  ASSERT_TRUE(scan.Kinds);
  EXPECT_EQ(scan.Kinds->GetPixel({ { 3, 1, 1 } }), 7); // the code itself, not binarised
  EXPECT_EQ(scan.Kinds->GetPixel({ { 2, 1, 1 } }), 0);
  EXPECT_EQ(scan.Label->GetPixel({ { 3, 1, 1 } }), 1);

  write(cradl_test::makeImageLike<Volume>(volume().GetPointer(), [](auto i) { return i[0] == 3 ? 2.5 : 0.0; }).GetPointer(),
        m_Folder / "scans" / "a_kinds.nii.gz");
  EXPECT_NE(errorReading("image,kinds\n../scans/a.nii.gz,../scans/a_kinds.nii.gz\n").find("not a kind code"),
            std::string::npos);
}

TEST(CradlImageIO, TheWritersTemporariesAreRecognisedAndNothingElse)
{
  EXPECT_TRUE(itk::CradlIsTemporaryFileName("metrics.json.part"));
  EXPECT_TRUE(itk::CradlIsTemporaryFileName("partial-test_000_anomaly.nii.gz"));
  EXPECT_FALSE(itk::CradlIsTemporaryFileName("test_000_anomaly.nii.gz"));
  EXPECT_FALSE(itk::CradlIsTemporaryFileName(".part"));
  EXPECT_FALSE(itk::CradlIsTemporaryFileName("departure.csv"));
  // What the writers leave behind under a final name is never a temporary.
  const auto folder = cradl_test::scratchFolder("temporaries");
  itk::CradlWriteFileAtomically((folder / "a.csv").string(), "x\n");
  itk::CradlWriteImage(volume().GetPointer(), (folder / "a.nii.gz").string());
  for (const auto & entry : fs::directory_iterator(folder))
    EXPECT_FALSE(itk::CradlIsTemporaryFileName(entry.path().filename().string())) << entry.path();
  EXPECT_EQ(std::distance(fs::directory_iterator(folder), fs::directory_iterator()), 2);
}

TEST_F(CradlManifestTest, AnEmptyBrainMaskIsNamedWithItsRow)
{
  write(cradl_test::makeImageLike<ByteVolume>(volume().GetPointer(), [](auto) { return 0; }).GetPointer(),
        m_Folder / "scans" / "empty_mask.nii.gz");
  const std::string error =
    errorReading("image,mask\n../scans/a.nii.gz,../scans/a_mask.nii.gz\n../scans/a.nii.gz,../scans/empty_mask.nii.gz\n");
  EXPECT_NE(error.find("row 2 (line 3)"), std::string::npos) << error;
  EXPECT_NE(error.find("empty_mask.nii.gz' is empty"), std::string::npos) << error;
  EXPECT_EQ(errorReading("image\n../scans/a.nii.gz\n"), "no exception") << "a scan without a mask is its non-zero voxels";
}

namespace
{
template <typename TImage>
typename TImage::Pointer
readBack(const fs::path & path)
{
  auto reader = itk::ImageFileReader<TImage>::New();
  reader->SetFileName(path.string());
  reader->Update();
  return reader->GetOutput();
}
} // namespace

TEST(CradlImageIO, PicturesAreWrittenAsPngsThatLibpngReadsBackExactly)
{
  // Cradl encodes PNGs itself (ITK 5.2's writer corrupts the heap when a
  // write fails); libpng, through ITK's reader, is the independent decoder.
  using Rgb = itk::Image<itk::RGBPixel<unsigned char>, 2>;
  using Grey = itk::Image<unsigned char, 2>;
  const auto folder = cradl_test::scratchFolder("png");
  const auto rgb = cradl_test::makeImage<Rgb>({ { 37, 11 } }, cradl_test::vector(1, 1), cradl_test::point(0, 0),
                                              cradl_test::rotation<2>(0.0), [](auto i) {
                                                itk::RGBPixel<unsigned char> pixel;
                                                pixel.Set(i[0] * 7 % 256, i[1] * 23 % 256, (i[0] * i[1]) % 256);
                                                return pixel;
                                              });
  const auto grey = cradl_test::makeImageLike<Grey>(rgb.GetPointer(), [](auto i) { return (i[0] + 5 * i[1]) % 256; });
  itk::CradlWriteImage(rgb.GetPointer(), (folder / "rgb.png").string());
  itk::CradlWriteImage(grey.GetPointer(), (folder / "grey.png").string());
  const auto rgbBack = readBack<Rgb>(folder / "rgb.png");
  const auto greyBack = readBack<Grey>(folder / "grey.png");
  ASSERT_EQ(rgbBack->GetLargestPossibleRegion().GetSize(), rgb->GetLargestPossibleRegion().GetSize());
  ASSERT_EQ(greyBack->GetLargestPossibleRegion().GetSize(), grey->GetLargestPossibleRegion().GetSize());
  EXPECT_EQ(std::memcmp(rgbBack->GetBufferPointer(), rgb->GetBufferPointer(), 37 * 11 * 3), 0);
  EXPECT_EQ(std::memcmp(greyBack->GetBufferPointer(), grey->GetBufferPointer(), 37 * 11), 0);
  EXPECT_EQ(itk::CradlWrittenImageProblem((folder / "rgb.png").string()), "");
}

TEST(CradlImageIO, ACutOrDamagedFileIsFoundBeforeAnyReaderSeesIt)
{
  const auto folder = cradl_test::scratchFolder("damaged");
  itk::CradlWriteImage(volume().GetPointer(), (folder / "a.nii.gz").string());
  using Grey = itk::Image<unsigned char, 2>;
  const auto grey = cradl_test::makeImage<Grey>({ { 9, 9 } }, cradl_test::vector(1, 1), cradl_test::point(0, 0),
                                                cradl_test::rotation<2>(0.0), [](auto i) { return i[0] * i[1]; });
  itk::CradlWriteImage(grey.GetPointer(), (folder / "a.png").string());
  for (const char * name : { "a.nii.gz", "a.png" })
  {
    std::ifstream     file(folder / name, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    EXPECT_EQ(itk::CradlWrittenImageProblem((folder / name).string()), "") << name;
    // Every cut, and one flipped byte in the middle, is found.
    for (std::size_t keep = 0; keep < bytes.size(); keep += 1 + bytes.size() / 40)
    {
      writeText(folder / (std::string("cut-") + name), bytes.substr(0, keep));
      EXPECT_NE(itk::CradlWrittenImageProblem((folder / (std::string("cut-") + name)).string()), "")
        << name << " cut to " << keep << " bytes";
    }
    std::string flipped = bytes;
    flipped[bytes.size() / 2] = static_cast<char>(~flipped[bytes.size() / 2]);
    writeText(folder / (std::string("flipped-") + name), flipped);
    EXPECT_NE(itk::CradlWrittenImageProblem((folder / (std::string("flipped-") + name)).string()), "") << name;
  }
}

TEST(CradlImageIO, AFailedWriteNamesTheFileAndTheCauseAndLeavesNothing)
{
  const auto folder = cradl_test::scratchFolder("failed-write");
  const auto missing = folder / "no-such-folder";
  for (const auto & write : std::vector<std::function<void()>>{
         [&] { itk::CradlWriteImage(volume().GetPointer(), (missing / "map.nii.gz").string()); },
         [&] { itk::CradlWriteFileAtomically((missing / "record.json").string(), "{}\n"); } })
  {
    const std::string error = cradl_test::exceptionMessage(write);
    EXPECT_NE(error.find("cannot write '" + missing.string()), std::string::npos) << error;
    EXPECT_NE(error.find("its folder does not exist"), std::string::npos) << error;
  }
  EXPECT_FALSE(fs::exists(missing));
  EXPECT_EQ(std::distance(fs::directory_iterator(folder), fs::directory_iterator()), 0);
  const std::string error = cradl_test::exceptionMessage([&] { itk::CradlMakeFolder("/proc/cradl-cannot-be-here"); });
  EXPECT_NE(error.find("cannot create the folder '/proc/cradl-cannot-be-here'"), std::string::npos) << error;
}
