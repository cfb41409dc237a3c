#include "itkCradlManifest.h"

#include "cradlManifestText.h"
#include "cradlNiftiScan.h"
#include "cradlText.h"

#include "itkCradlGeometry.h"
#include "itkImageFileReader.h"
#include "itkImageIOFactory.h"
#include "itkImageRegionConstIterator.h"
#include "itkImageRegionIterator.h"
#include "itkMetaImageIOFactory.h"
#include "itkNiftiImageIOFactory.h"
#include "itkNrrdImageIOFactory.h"
#include "itkPNGImageIOFactory.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

namespace itk
{

namespace
{
namespace fs = std::filesystem;

std::string
rowContext(const std::string & manifest, const CradlManifest::Entry & entry)
{
  return cradl::manifestRowContext(manifest, entry.Row, entry.Line);
}

bool
isRegistered(const char * factoryClassName)
{
  for (auto * factory : ObjectFactoryBase::GetRegisteredFactories())
  {
    if (std::string(factory->GetNameOfClass()) == factoryClassName)
    {
      return true;
    }
  }
  return false;
}

// Mask and label files may hold any pixel type; non-zero means "in".
CradlManifest::MaskImageType::Pointer
binarised(const CradlManifest::ScanImageType * image)
{
  auto binary = CradlManifest::MaskImageType::New();
  binary->CopyInformation(image);
  binary->SetRegions(image->GetLargestPossibleRegion());
  binary->Allocate();
  ImageRegionConstIterator<CradlManifest::ScanImageType> in(image, image->GetLargestPossibleRegion());
  ImageRegionIterator<CradlManifest::MaskImageType>      out(binary, binary->GetLargestPossibleRegion());
  for (; !in.IsAtEnd(); ++in, ++out)
  {
    out.Set(in.Get() != 0.0f ? 1 : 0);
  }
  return binary;
}
} // namespace

void
CradlManifest::RegisterImageIOFactories()
{
  static std::once_flag registered;
  std::call_once(registered, [] {
    if (!isRegistered("NiftiImageIOFactory"))
      NiftiImageIOFactory::RegisterOneFactory();
    if (!isRegistered("NrrdImageIOFactory"))
      NrrdImageIOFactory::RegisterOneFactory();
    if (!isRegistered("MetaImageIOFactory"))
      MetaImageIOFactory::RegisterOneFactory();
    if (!isRegistered("PNGImageIOFactory"))
      PNGImageIOFactory::RegisterOneFactory();
  });
}

void
CradlManifest::Read(const std::string & fileName)
{
  if (std::filesystem::is_directory(fileName))
  {
    itkExceptionMacro(<< "'" << fileName << "' is a folder, not a manifest: name its CSV file (header image,mask,label)");
  }
  std::ifstream file(fileName);
  if (!file)
  {
    itkExceptionMacro(<< "cannot open manifest '" << fileName << "': check the path (a CSV with header image,mask,label)");
  }
  std::vector<Entry> entries;
  try
  {
    for (const auto & row : cradl::parseManifest(file, fileName, fs::absolute(fs::path(fileName)).parent_path()))
      entries.push_back({ row.image, row.mask, row.label, row.kinds, row.row, row.line });
  }
  catch (const std::runtime_error & error)
  {
    itkExceptionMacro(<< error.what());
  }

  std::ostringstream missing;
  std::size_t        missingCount = 0;
  for (const Entry & entry : entries)
  {
    for (const auto & [role, path] : { std::pair<const char *, const std::string &>{ "image", entry.Image },
                                       { "mask", entry.Mask },
                                       { "label", entry.Label },
                                       { "kinds", entry.Kinds } })
    {
      if (!path.empty() && !fs::is_regular_file(path))
      {
        if (missingCount++ < 10)
        {
          missing << "\n  " << rowContext(fileName, entry) << ": " << role << " file '" << path << "' does not exist";
        }
      }
    }
  }
  if (missingCount > 0)
  {
    itkExceptionMacro(<< missingCount << " file(s) listed in manifest '" << fileName << "' are missing:"
                      << missing.str() << (missingCount > 10 ? "\n  ..." : "")
                      << "\n(paths are relative to the manifest's folder)");
  }

  m_FileName = fileName;
  m_Entries = std::move(entries);
  this->Modified();
}

auto
CradlManifest::GetEntry(std::size_t index) const -> const Entry &
{
  if (index >= m_Entries.size())
  {
    itkExceptionMacro(<< "entry " << index << " requested, manifest '" << m_FileName << "' has "
                      << m_Entries.size());
  }
  return m_Entries[index];
}

auto
CradlManifest::ReadScanImage(const std::string & fileName, const std::string & context) -> ScanImageType::Pointer
{
  RegisterImageIOFactories();
  const std::string prefix = context.empty() ? std::string() : context + ": ";
  ImageIOBase::Pointer io = ImageIOFactory::CreateImageIO(fileName.c_str(), ImageIOFactory::IOFileModeEnum::ReadMode);
  if (io.IsNull())
  {
    itkGenericExceptionMacro(<< prefix << "cannot read '" << fileName
                             << "': not an image ITK can read here (NIfTI .nii/.nii.gz, NRRD, MetaImage "
                                ".mha/.mhd, PNG), or the file is damaged");
  }
  try
  {
    io->SetFileName(fileName);
    io->ReadImageInformation();
  }
  catch (const ExceptionObject & error)
  {
    itkGenericExceptionMacro(<< prefix << "cannot read the header of '" << fileName << "': " << error.GetDescription());
  }
  if (io->GetNumberOfComponents() != 1)
  {
    itkGenericExceptionMacro(<< prefix << "'" << fileName << "' has " << io->GetNumberOfComponents()
                             << " components per pixel: Cradl needs one channel (a scalar image)");
  }
  for (unsigned int axis = 3; axis < io->GetNumberOfDimensions(); ++axis)
  {
    if (io->GetDimensions(axis) > 1)
    {
      itkGenericExceptionMacro(<< prefix << "'" << fileName << "' is " << io->GetNumberOfDimensions()
                               << "D with " << io->GetDimensions(axis) << " volumes along axis " << axis
                               << ": split it into 3D volumes first");
    }
  }
  const cradl::NiftiScan contents = cradl::scanNifti(fileName);
  if (!contents.problem.empty())
  {
    itkGenericExceptionMacro(<< prefix << "cannot read '" << fileName << "': " << contents.problem
                             << "; copy or export the file again");
  }
  auto reader = ImageFileReader<ScanImageType>::New();
  reader->SetFileName(fileName);
  reader->SetImageIO(io);
  try
  {
    reader->Update();
  }
  catch (const ExceptionObject & error)
  {
    itkGenericExceptionMacro(<< prefix << "cannot read '" << fileName << "' (truncated or damaged?): "
                             << error.GetDescription());
  }
  ScanImageType::Pointer image = reader->GetOutput();
  image->DisconnectPipeline();
  // The file's own values where nifticlib zeroed them: whoever reads the scan
  // decides what a NaN means.
  for (const auto & [index, number] : contents.nonFinite)
    if (index < image->GetLargestPossibleRegion().GetNumberOfPixels())
      image->GetBufferPointer()[index] = number;
  return image;
}

auto
CradlManifest::ReadMaskImage(const std::string & fileName, const std::string & context) -> MaskImageType::Pointer
{
  return binarised(ReadScanImage(fileName, context));
}

std::string
CradlManifest::DescribeEntry(std::size_t index) const
{
  const Entry & entry = this->GetEntry(index);
  return rowContext(m_FileName, entry) + ", image '" + entry.Image + "'";
}

namespace
{
// A row's kind codes: read as values (not binarised), each a code from 0 to
// 255, on the image's grid.
CradlManifest::MaskImageType::Pointer
readKindCodes(const CradlManifest::Entry & entry, const CradlManifest::ScanImageType & image,
              const std::string & context)
{
  const auto codes = CradlManifest::ReadScanImage(entry.Kinds, context);
  const auto mismatch = CradlDescribeGridMismatch<3>(&image, codes);
  if (!mismatch.empty())
  {
    itkGenericExceptionMacro(<< context << ": the kinds '" << entry.Kinds << "' are not on the grid of the image '"
                             << entry.Image << "' (" << mismatch << "): resample them onto the image's grid");
  }
  auto kinds = CradlManifest::MaskImageType::New();
  kinds->CopyInformation(codes);
  kinds->SetRegions(codes->GetLargestPossibleRegion());
  kinds->Allocate();
  const SizeValueType voxels = codes->GetLargestPossibleRegion().GetNumberOfPixels();
  for (SizeValueType i = 0; i < voxels; ++i)
  {
    const float code = codes->GetBufferPointer()[i];
    if (!(code >= 0.0f && code <= 255.0f) || code != std::floor(code))
    {
      itkGenericExceptionMacro(<< context << ": the kinds '" << entry.Kinds << "' hold " << code
                               << ", not a kind code from 0 to 255");
    }
    kinds->GetBufferPointer()[i] = static_cast<unsigned char>(code);
  }
  return kinds;
}
} // namespace

auto
CradlManifest::LoadScan(std::size_t index) const -> Scan
{
  const Entry &     entry = this->GetEntry(index);
  const std::string context = rowContext(m_FileName, entry);
  Scan              scan;
  scan.Image = ReadScanImage(entry.Image, context);
  const auto readBinary = [&](const std::string & path, const char * role) -> MaskImageType::Pointer {
    if (path.empty())
    {
      return nullptr;
    }
    auto       binary = ReadMaskImage(path, context);
    const auto mismatch = CradlDescribeGridMismatch<3>(scan.Image, binary);
    if (!mismatch.empty())
    {
      itkGenericExceptionMacro(<< context << ": the " << role << " '" << path << "' is not on the grid of the image '"
                               << entry.Image << "' (" << mismatch << "): resample it onto the image's grid");
    }
    return binary;
  };
  scan.Mask = readBinary(entry.Mask, "mask");
  scan.Label = readBinary(entry.Label, "label");
  if (!entry.Kinds.empty())
  {
    scan.Kinds = readKindCodes(entry, *scan.Image, context);
  }
  // Outside the brain a non-finite voxel carries nothing and becomes 0; inside
  // it would poison the z-score and every map, so it is refused or, when
  // asked for, zeroed too.
  float *                    pixels = scan.Image->GetBufferPointer();
  const unsigned char *      brain = scan.Mask ? scan.Mask->GetBufferPointer() : nullptr;
  SizeValueType              inBrain = 0;
  const SizeValueType        count = scan.Image->GetLargestPossibleRegion().GetNumberOfPixels();
  for (SizeValueType i = 0; i < count; ++i)
  {
    if (!std::isfinite(pixels[i]))
    {
      inBrain += brain == nullptr || brain[i] != 0;
      if (m_ZeroNonFiniteVoxels || (brain != nullptr && brain[i] == 0))
        pixels[i] = 0.0f;
    }
  }
  // Nothing to z-score: found here, where the file can be named, rather than
  // deep inside a filter that sees only the image.
  const bool anyBrain = brain != nullptr ? std::any_of(brain, brain + count, [](unsigned char v) { return v != 0; })
                                         : std::any_of(pixels, pixels + count, [](float v) { return v != 0.0f; });
  if (!anyBrain)
  {
    itkExceptionMacro(<< context << ": "
                      << (brain != nullptr ? "the brain mask '" + entry.Mask + "' is empty (no non-zero voxel)"
                                           : "the image '" + entry.Image + "' is all zeros and the row gives no mask")
                      << ": give the scan's brain mask (non-zero = brain) in the mask column");
  }
  if (inBrain > 0 && !m_ZeroNonFiniteVoxels)
  {
    itkExceptionMacro(<< context << ": '" << entry.Image << "' has " << inBrain << " NaN or infinite voxel"
                      << (inBrain == 1 ? "" : "s") << (brain ? " inside the brain mask" : " (no brain mask given)")
                      << ": repair the scan, or set them to 0 (cradl --nan-policy zero; "
                         "CradlManifest::ZeroNonFiniteVoxelsOn())");
  }
  return scan;
}

void
CradlManifest::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "FileName: " << m_FileName << std::endl;
  os << indent << "NumberOfEntries: " << m_Entries.size() << std::endl;
  os << indent << "ZeroNonFiniteVoxels: " << (m_ZeroNonFiniteVoxels ? "On" : "Off") << std::endl;
  for (const Entry & entry : m_Entries)
  {
    os << indent.GetNextIndent() << "row " << entry.Row << ": image " << entry.Image << ", mask "
       << (entry.Mask.empty() ? "-" : entry.Mask) << ", label " << (entry.Label.empty() ? "-" : entry.Label)
       << std::endl;
  }
}

} // namespace itk
