#include "cradlNiftiScan.h"

#include "cradlText.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>

namespace cradl
{

namespace
{
// What the header says: where the voxels start, how many bytes they take,
// and the width of a float voxel (0 for other types: nothing to look for).
struct Layout
{
  std::string problem;
  bool        swapped = false;
  uint64_t    voxelOffset = 0;
  uint64_t    voxelBytes = 0;
  int         floatBytes = 0;
};

// A header's fields, in the file's byte order.
struct HeaderFields
{
  const std::array<unsigned char, 544> & header;
  bool                                   swapped;

  /** A signed integer of 2, 4 or 8 bytes at `offset`. */
  int64_t
  integer(std::size_t offset, std::size_t bytes) const
  {
    std::array<unsigned char, 8> raw{};
    std::memcpy(raw.data(), header.data() + offset, bytes);
    if (swapped)
      std::reverse(raw.begin(), raw.begin() + bytes);
    if (bytes == 2)
    {
      int16_t v = 0;
      std::memcpy(&v, raw.data(), 2);
      return v;
    }
    if (bytes == 4)
    {
      int32_t v = 0;
      std::memcpy(&v, raw.data(), 4);
      return v;
    }
    int64_t value = 0;
    std::memcpy(&value, raw.data(), 8);
    return value;
  }

  /** A float32 at `offset`. */
  float
  real(std::size_t offset) const
  {
    std::array<unsigned char, 4> raw{};
    std::memcpy(raw.data(), header.data() + offset, 4);
    if (swapped)
      std::reverse(raw.begin(), raw.end());
    float v = 0;
    std::memcpy(&v, raw.data(), 4);
    return v;
  }
};

Layout
layoutOf(const std::array<unsigned char, 544> & header, uint64_t available)
{
  Layout layout;
  int32_t size = 0;
  std::memcpy(&size, header.data(), 4);
  layout.swapped = size != 348 && size != 540;
  const HeaderFields fields{ header, layout.swapped };
  const auto         read = [&](std::size_t offset, std::size_t bytes) { return fields.integer(offset, bytes); };
  const auto         readFloat = [&](std::size_t offset) { return fields.real(offset); };
  size = static_cast<int32_t>(read(0, 4));
  std::array<int64_t, 8> dims{};
  int64_t                datatype = 0;
  int64_t                bitpix = 0;
  if (size == 348 && available >= 348)
  {
    for (int i = 0; i < 8; ++i)
      dims[i] = read(40 + 2 * i, 2);
    datatype = read(70, 2);
    bitpix = read(72, 2);
    const float offset = readFloat(108);
    layout.voxelOffset = std::isfinite(offset) && offset > 352.0f && offset < 1e15f ? static_cast<uint64_t>(offset) : 352;
  }
  else if (size == 540 && available >= 540)
  {
    for (int i = 0; i < 8; ++i)
      dims[i] = read(16 + 8 * i, 8);
    datatype = read(12, 2);
    bitpix = read(14, 2);
    const int64_t offset = read(168, 8);
    layout.voxelOffset = offset > 544 ? static_cast<uint64_t>(offset) : 544;
  }
  else
  {
    layout.problem = "not a NIfTI-1 or NIfTI-2 header";
    return layout;
  }
  if (dims[0] < 1 || dims[0] > 7 || bitpix <= 0 || bitpix % 8 != 0)
  {
    layout.problem = "a header with impossible dimensions or voxel size";
    return layout;
  }
  uint64_t bytes = static_cast<uint64_t>(bitpix / 8);
  for (int64_t axis = 1; axis <= dims[0]; ++axis)
  {
    if (dims[axis] < 1 || static_cast<uint64_t>(dims[axis]) > std::numeric_limits<uint64_t>::max() / 2 / bytes)
    {
      layout.problem = "a header with impossible dimensions or voxel size";
      return layout;
    }
    bytes *= static_cast<uint64_t>(dims[axis]);
  }
  layout.voxelBytes = bytes;
  layout.floatBytes = datatype == 16 && bitpix == 32 ? 4 : datatype == 64 && bitpix == 64 ? 8 : 0;
  return layout;
}
} // namespace

NiftiScan
scanNifti(const std::string & fileName)
{
  NiftiScan scan;
  if (!endsWith(fileName, ".nii.gz") && !endsWith(fileName, ".nii"))
    return scan;
  gzFile file = gzopen(fileName.c_str(), "rb"); // reads plain files too
  if (file == nullptr)
  {
    scan.problem = "cannot open the file";
    return scan;
  }
  std::array<unsigned char, 1 << 16> buffer;
  std::array<unsigned char, 544>     header{};
  std::array<unsigned char, 8>       element{};
  int                                filled = 0;
  // The header first (NIfTI-1 voxels may start inside these 544 bytes).
  int            read = gzread(file, header.data(), static_cast<unsigned int>(header.size()));
  uint64_t       total = read > 0 ? static_cast<uint64_t>(read) : 0;
  const Layout   layout = layoutOf(header, total);
  const auto     consume = [&](const unsigned char * bytes, uint64_t start, uint64_t count) {
    if (!layout.problem.empty() || layout.floatBytes == 0)
      return;
    const uint64_t end = std::min(start + count, layout.voxelOffset + layout.voxelBytes);
    for (uint64_t at = std::max(start, layout.voxelOffset); at < end; ++at)
    {
      element[filled++] = bytes[at - start];
      if (filled < layout.floatBytes)
        continue;
      filled = 0;
      if (layout.swapped)
        std::reverse(element.begin(), element.begin() + layout.floatBytes);
      double value = 0;
      if (layout.floatBytes == 4)
      {
        float single = 0;
        std::memcpy(&single, element.data(), 4);
        value = single;
      }
      else
      {
        std::memcpy(&value, element.data(), 8);
      }
      if (!std::isfinite(value))
        scan.nonFinite.emplace_back((at - layout.voxelOffset) / layout.floatBytes, static_cast<float>(value));
    }
  };
  consume(header.data(), 0, total);
  while (read > 0 && (read = gzread(file, buffer.data(), static_cast<unsigned int>(buffer.size()))) > 0)
  {
    consume(buffer.data(), total, static_cast<uint64_t>(read));
    total += static_cast<uint64_t>(read);
  }
  int         errorCode = Z_OK;
  std::string zlibError = read < 0 ? gzerror(file, &errorCode) : "";
  const int   closed = gzclose(file);
  if (read < 0 || closed != Z_OK)
  {
    scan.problem = "the compressed data is damaged or cut short (" + (zlibError.empty() ? "bad checksum" : zlibError) + ")";
    return scan;
  }
  if (!layout.problem.empty())
    scan.problem = layout.problem;
  else if (total < layout.voxelOffset + layout.voxelBytes)
    scan.problem = "the file holds " + std::to_string(total) + " bytes but its header announces " +
                   std::to_string(layout.voxelOffset + layout.voxelBytes) + " (truncated)";
  return scan;
}

} // namespace cradl
