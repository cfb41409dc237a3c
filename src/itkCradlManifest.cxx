#include "itkCradlManifest.h"

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
#include "itk_zlib.h"

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

using cradl::trimmed;

// Splits one CSV line; double quotes protect commas and "" is a literal quote.
bool
splitCsvLine(const std::string & line, std::vector<std::string> & fields)
{
  fields.clear();
  std::string field;
  bool        quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i)
  {
    const char c = line[i];
    if (quoted)
    {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"')
      {
        field += '"';
        ++i;
      }
      else if (c == '"')
      {
        quoted = false;
      }
      else
      {
        field += c;
      }
    }
    else if (c == '"')
    {
      quoted = true;
    }
    else if (c == ',')
    {
      fields.push_back(trimmed(field));
      field.clear();
    }
    else
    {
      field += c;
    }
  }
  fields.push_back(trimmed(field));
  return !quoted;
}

std::string
lowercase(std::string text)
{
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

std::string
rowContext(const std::string & manifest, const CradlManifest::Entry & entry)
{
  std::ostringstream text;
  text << "manifest '" << manifest << "', row " << entry.Row << " (line " << entry.Line << ")";
  return text.str();
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

bool
endsWith(const std::string & text, const std::string & suffix)
{
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// What a raw pass over a NIfTI file finds that ITK's reader hides: a file cut
// short (the reader fills the rest with garbage) and NaN or infinite voxels
// (nifticlib sets them to 0 while reading, silently).
struct NiftiContents
{
  std::string                            shortfall; // "" when complete, else what is wrong
  std::vector<std::pair<SizeValueType, float>> nonFinite; // voxel index (x fastest) and value
};

NiftiContents
scanNifti(const std::string & fileName, std::uint64_t voxelBytes)
{
  NiftiContents contents;
  const bool    compressed = endsWith(fileName, ".nii.gz");
  if (!compressed && !endsWith(fileName, ".nii"))
  {
    return contents;
  }
  gzFile file = gzopen(fileName.c_str(), "rb"); // reads plain files too
  if (file == nullptr)
  {
    contents.shortfall = "cannot open the file";
    return contents;
  }
  std::array<unsigned char, 1 << 16> buffer;
  std::uint64_t                      total = 0;
  std::array<unsigned char, 544>     header{};
  bool                               parsed = false;
  bool                               swapped = false;
  std::uint64_t                      voxelOffset = 0;
  int                                elementBytes = 0; // 4 or 8 for float data, else 0: nothing to check
  std::array<unsigned char, 8>       element{};
  int                                elementFill = 0;
  const auto                         value = [&](std::size_t offset, std::size_t bytes) {
    std::array<unsigned char, 8> raw{};
    std::memcpy(raw.data(), header.data() + offset, bytes);
    if (swapped)
      std::reverse(raw.begin(), raw.begin() + bytes);
    return raw;
  };
  const auto parseHeader = [&] {
    std::int32_t headerSize = 0;
    std::memcpy(&headerSize, header.data(), 4);
    swapped = headerSize != 348 && headerSize != 540;
    std::memcpy(&headerSize, value(0, 4).data(), 4);
    std::int16_t datatype = 0;
    if (headerSize == 348)
    {
      float offset = 0;
      std::memcpy(&offset, value(108, 4).data(), 4);
      voxelOffset = static_cast<std::uint64_t>(std::max(352.0f, offset));
      std::memcpy(&datatype, value(70, 2).data(), 2);
    }
    else if (headerSize == 540)
    {
      std::int64_t offset = 0;
      std::memcpy(&offset, value(168, 8).data(), 8);
      voxelOffset = static_cast<std::uint64_t>(std::max<std::int64_t>(544, offset));
      std::memcpy(&datatype, value(12, 2).data(), 2);
    }
    elementBytes = datatype == 16 ? 4 : datatype == 64 ? 8 : 0; // NIFTI_TYPE_FLOAT32, FLOAT64
  };
  const auto checkElement = [&](std::uint64_t index) {
    if (swapped)
      std::reverse(element.begin(), element.begin() + elementBytes);
    double number = 0;
    if (elementBytes == 4)
    {
      float single = 0;
      std::memcpy(&single, element.data(), 4);
      number = single;
    }
    else
    {
      std::memcpy(&number, element.data(), 8);
    }
    if (!std::isfinite(number))
      contents.nonFinite.emplace_back(static_cast<SizeValueType>(index), static_cast<float>(number));
  };
  int read = 0;
  while ((read = gzread(file, buffer.data(), static_cast<unsigned int>(buffer.size()))) > 0)
  {
    if (total < header.size())
      std::memcpy(header.data() + total, buffer.data(), std::min<std::size_t>(header.size() - total, read));
    const std::uint64_t start = total;
    total += static_cast<std::uint64_t>(read);
    if (!parsed && total >= header.size())
    {
      parseHeader();
      parsed = true;
    }
    if (elementBytes == 0)
      continue;
    for (std::uint64_t at = std::max(start, voxelOffset); at < std::min(total, voxelOffset + voxelBytes); ++at)
    {
      element[elementFill++] = buffer[at - start];
      if (elementFill == elementBytes)
      {
        checkElement((at - voxelOffset) / elementBytes);
        elementFill = 0;
      }
    }
  }
  int         errorCode = Z_OK;
  std::string zlibError = read < 0 ? gzerror(file, &errorCode) : "";
  const int   closeCode = gzclose(file);
  if (read < 0 || closeCode != Z_OK)
  {
    contents.shortfall =
      "the compressed data is damaged or cut short (" + (zlibError.empty() ? "bad checksum" : zlibError) + ")";
    return contents;
  }
  if (!parsed && total >= 348)
    parseHeader();
  if (total < voxelOffset + voxelBytes || total < 348)
  {
    contents.shortfall = "the file holds " + std::to_string(total) + " bytes but its header announces " +
                         std::to_string(std::max<std::uint64_t>(348, voxelOffset + voxelBytes)) + " (truncated)";
  }
  return contents;
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
  std::ifstream file(fileName);
  if (!file)
  {
    itkExceptionMacro(<< "cannot open manifest '" << fileName << "': check the path (a CSV with header image,mask,label)");
  }
  const fs::path folder = fs::absolute(fs::path(fileName)).parent_path();

  std::vector<Entry>       entries;
  std::vector<std::string> fields;
  int                      imageColumn = -1;
  int                      maskColumn = -1;
  int                      labelColumn = -1;
  std::size_t              columnCount = 0;
  std::string              line;
  unsigned int             lineNumber = 0;
  while (std::getline(file, line))
  {
    ++lineNumber;
    if (!line.empty() && line.back() == '\r')
    {
      line.pop_back();
    }
    if (trimmed(line).empty())
    {
      continue;
    }
    if (!splitCsvLine(line, fields))
    {
      itkExceptionMacro(<< "manifest '" << fileName << "', line " << lineNumber << ": unbalanced double quote");
    }
    if (imageColumn < 0) // the header
    {
      columnCount = fields.size();
      for (std::size_t column = 0; column < fields.size(); ++column)
      {
        const std::string name = lowercase(fields[column]);
        int &             slot = name == "image" ? imageColumn : name == "mask" ? maskColumn : labelColumn;
        if (name == "image" || name == "mask" || name == "label")
        {
          if (slot >= 0)
          {
            itkExceptionMacro(<< "manifest '" << fileName << "': column '" << name << "' appears twice in the header");
          }
          slot = static_cast<int>(column);
        }
      }
      if (imageColumn < 0)
      {
        itkExceptionMacro(<< "manifest '" << fileName << "': the first line must be the header image,mask,label (got '"
                          << line << "')");
      }
      continue;
    }
    Entry entry;
    entry.Row = static_cast<unsigned int>(entries.size() + 1);
    entry.Line = lineNumber;
    if (fields.size() != columnCount)
    {
      itkExceptionMacro(<< rowContext(fileName, entry) << ": " << fields.size() << " fields, the header has "
                        << columnCount);
    }
    const auto resolved = [&](int column) -> std::string {
      if (column < 0 || fields[column].empty())
      {
        return {};
      }
      return (folder / fs::path(fields[column])).lexically_normal().string();
    };
    entry.Image = resolved(imageColumn);
    entry.Mask = resolved(maskColumn);
    entry.Label = resolved(labelColumn);
    if (entry.Image.empty())
    {
      itkExceptionMacro(<< rowContext(fileName, entry) << ": the image field is empty");
    }
    entries.push_back(entry);
  }
  if (imageColumn < 0)
  {
    itkExceptionMacro(<< "manifest '" << fileName << "' is empty: it needs the header image,mask,label and one row per scan");
  }
  if (entries.empty())
  {
    itkExceptionMacro(<< "manifest '" << fileName << "' lists no scans");
  }

  std::ostringstream missing;
  std::size_t        missingCount = 0;
  for (const Entry & entry : entries)
  {
    for (const auto & [role, path] : { std::pair<const char *, const std::string &>{ "image", entry.Image },
                                       { "mask", entry.Mask },
                                       { "label", entry.Label } })
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
  const NiftiContents contents = scanNifti(fileName, io->GetImageSizeInBytes());
  if (!contents.shortfall.empty())
  {
    itkGenericExceptionMacro(<< prefix << "cannot read '" << fileName << "': " << contents.shortfall
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
