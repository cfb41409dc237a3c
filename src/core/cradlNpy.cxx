#include "cradlNpy.h"

#include "cradlAtomicFile.h"

#include <array>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

namespace cradl
{

namespace
{
std::size_t
itemSize(const std::string & dtype)
{
  if (dtype.size() < 3)
  {
    return 0;
  }
  return static_cast<std::size_t>(std::stoul(dtype.substr(2)));
}

[[noreturn]] void
fail(const std::string & path, const std::string & what)
{
  throw std::runtime_error("'" + path + "' is not a readable .npy array: " + what);
}

// The header dict's text after "'key':", up to its end.
std::string
valueOfKey(const std::string & header, const std::string & key, const std::string & path)
{
  const auto at = header.find("'" + key + "'");
  const auto colon = at == std::string::npos ? std::string::npos : header.find(':', at);
  const auto begin = colon == std::string::npos ? std::string::npos : header.find_first_not_of(' ', colon + 1);
  if (begin == std::string::npos)
  {
    fail(path, "header lacks '" + key + "'");
  }
  return header.substr(begin);
}

// "(3, 4)", "(5,)" or "()": extents of at most 2^40 each, digits only.
std::vector<int64_t>
parseShape(const std::string & text, const std::string & path)
{
  const auto close = text.find(')');
  if (text.empty() || text[0] != '(' || close == std::string::npos)
  {
    fail(path, "header has no shape tuple");
  }
  std::vector<int64_t> shape;
  std::istringstream   extents(text.substr(1, close - 1));
  std::string          extent;
  while (std::getline(extents, extent, ','))
  {
    const auto first = extent.find_first_not_of(' ');
    if (first == std::string::npos)
      continue;
    const auto last = extent.find_last_not_of(' ');
    const std::string digits = extent.substr(first, last - first + 1);
    if (digits.empty() || digits.size() > 13 || digits.find_first_not_of("0123456789") != std::string::npos)
    {
      fail(path, "shape extent '" + digits + "' is not a size");
    }
    shape.push_back(std::stoll(digits));
  }
  return shape;
}
} // namespace

int64_t
NpyArray::elementCount() const
{
  int64_t count = 1;
  for (const int64_t extent : shape)
  {
    count *= extent;
  }
  return count;
}

std::vector<double>
NpyArray::asDoubles() const
{
  const int64_t       count = elementCount();
  std::vector<double> values(static_cast<std::size_t>(count));
  const uint8_t *     raw = bytes.data();
  for (int64_t i = 0; i < count; ++i)
  {
    if (dtype == "<f8")
    {
      double v;
      std::memcpy(&v, raw + 8 * i, 8);
      values[i] = v;
    }
    else if (dtype == "<f4")
    {
      float v;
      std::memcpy(&v, raw + 4 * i, 4);
      values[i] = v;
    }
    else if (dtype == "|u1" || dtype == "|b1")
    {
      values[i] = raw[i];
    }
    else if (dtype == "<i8")
    {
      int64_t v;
      std::memcpy(&v, raw + 8 * i, 8);
      values[i] = static_cast<double>(v);
    }
    else if (dtype == "<i4")
    {
      int32_t v;
      std::memcpy(&v, raw + 4 * i, 4);
      values[i] = v;
    }
    else
    {
      throw std::runtime_error("unsupported .npy dtype " + dtype + " (use float32, float64, uint8, int32 or int64)");
    }
  }
  return values;
}

std::vector<float>
NpyArray::asFloats() const
{
  if (dtype == "<f4")
  {
    std::vector<float> values(static_cast<std::size_t>(elementCount()));
    std::memcpy(values.data(), bytes.data(), values.size() * sizeof(float));
    return values;
  }
  const std::vector<double> wide = asDoubles();
  return std::vector<float>(wide.begin(), wide.end());
}

NpyArray
readNpy(const std::string & path)
{
  std::ifstream file(path, std::ios::binary);
  if (!file)
  {
    fail(path, "cannot open it");
  }
  char magic[8];
  if (!file.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0)
  {
    fail(path, "no .npy magic (write it with numpy.save)");
  }
  const int     major = static_cast<unsigned char>(magic[6]);
  std::uint32_t headerLength = 0;
  if (major == 1)
  {
    unsigned char length[2] = {};
    file.read(reinterpret_cast<char *>(length), 2);
    headerLength = length[0] | (length[1] << 8);
  }
  else if (major == 2 || major == 3)
  {
    unsigned char length[4] = {};
    file.read(reinterpret_cast<char *>(length), 4);
    headerLength = length[0] | (length[1] << 8) | (length[2] << 16) | (static_cast<std::uint32_t>(length[3]) << 24);
  }
  else
  {
    fail(path, "unknown format version " + std::to_string(major));
  }
  // Nothing is allocated beyond what the file holds.
  const std::streamoff headerStart = file.tellg();
  file.seekg(0, std::ios::end);
  const std::streamoff fileSize = file.tellg();
  file.seekg(headerStart);
  if (!file || headerStart < 0 || static_cast<std::uint64_t>(fileSize - headerStart) < headerLength)
  {
    fail(path, "truncated header");
  }
  std::string header(headerLength, '\0');
  if (!file.read(header.data(), headerLength))
  {
    fail(path, "truncated header");
  }

  NpyArray          array;
  const std::string descr = valueOfKey(header, "descr", path);
  const auto        quote = descr.find('\'', 1);
  if (descr[0] != '\'' || quote == std::string::npos)
  {
    fail(path, "header has no quoted descr");
  }
  array.dtype = descr.substr(1, quote - 1);
  static const std::set<std::string> supported{ "<f4", "<f8", "|u1", "|b1", "<i4", "<i8" };
  if (supported.count(array.dtype) == 0)
  {
    fail(path, "dtype " + array.dtype + " is not supported (float32, float64, uint8, bool, int32, int64)");
  }
  if (valueOfKey(header, "fortran_order", path).rfind("False", 0) != 0)
  {
    fail(path, "Fortran order; save a C-ordered array (numpy.ascontiguousarray)");
  }
  array.shape = parseShape(valueOfKey(header, "shape", path), path);
  const std::uint64_t available = static_cast<std::uint64_t>(fileSize - headerStart) - headerLength;
  std::uint64_t       byteCount = itemSize(array.dtype);
  for (const int64_t extent : array.shape)
  {
    if (extent != 0 && byteCount > available / static_cast<std::uint64_t>(extent))
    {
      fail(path, "truncated data: the shape asks for more bytes than the file holds");
    }
    byteCount *= static_cast<std::uint64_t>(extent);
  }
  array.bytes.resize(byteCount);
  if (!file.read(reinterpret_cast<char *>(array.bytes.data()), static_cast<std::streamsize>(byteCount)))
  {
    fail(path, "truncated data: expected " + std::to_string(byteCount) + " bytes");
  }
  return array;
}

namespace
{
std::string
npyBytes(const std::string & dtype, const std::vector<int64_t> & shape, const void * data)
{
  std::ostringstream header;
  header << "{'descr': '" << dtype << "', 'fortran_order': False, 'shape': (";
  int64_t count = 1;
  for (const int64_t extent : shape)
  {
    header << extent << (shape.size() == 1 ? "," : ", ");
    count *= extent;
  }
  std::string text = header.str();
  if (shape.size() > 1)
  {
    text.resize(text.size() - 2);
  }
  text += "), }";
  // Pad so that the data starts on a 64-byte boundary; the header ends with '\n'.
  const std::size_t unpadded = 10 + text.size() + 1;
  text.append((64 - unpadded % 64) % 64, ' ');
  text += '\n';

  const unsigned char preamble[10] = { 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<unsigned char>(text.size() & 0xff),
                                        static_cast<unsigned char>(text.size() >> 8) };
  std::string         bytes(reinterpret_cast<const char *>(preamble), 10);
  bytes += text;
  bytes.append(static_cast<const char *>(data), static_cast<std::size_t>(count) * itemSize(dtype));
  return bytes;
}

std::uint32_t
crc32(const std::string & bytes)
{
  static const auto table = [] {
    std::array<std::uint32_t, 256> values{};
    for (std::uint32_t i = 0; i < 256; ++i)
    {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k)
      {
        c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      }
      values[i] = c;
    }
    return values;
  }();
  std::uint32_t c = 0xFFFFFFFFu;
  for (const unsigned char byte : bytes)
  {
    c = table[(c ^ byte) & 0xFF] ^ (c >> 8);
  }
  return c ^ 0xFFFFFFFFu;
}

void
appendLittleEndian(std::string & out, std::uint64_t value, int bytes)
{
  for (int i = 0; i < bytes; ++i)
  {
    out += static_cast<char>((value >> (8 * i)) & 0xFF);
  }
}
} // namespace

void
writeNpy(const std::string & path, const std::string & dtype, const std::vector<int64_t> & shape, const void * data)
{
  writeFileAtomically(path, npyBytes(dtype, shape, data));
}

void
writeNpz(const std::string & path, const std::vector<NpzEntry> & entries)
{
  // A zip of stored (uncompressed) members, as numpy.savez writes.
  std::string archive;
  std::string directory;
  for (const NpzEntry & entry : entries)
  {
    const std::string name = entry.name + ".npy";
    const std::string data = npyBytes(entry.dtype, entry.shape, entry.data);
    if (data.size() >= 0xFFFFFFFFu || archive.size() >= 0xFFFFFFFFu)
    {
      throw std::runtime_error("writeNpz: members over 4 GiB need zip64, which is not written here");
    }
    const std::uint32_t checksum = crc32(data);
    const std::uint64_t offset = archive.size();
    const auto header = [&](std::string & out, bool central) {
      appendLittleEndian(out, central ? 0x02014b50 : 0x04034b50, 4);
      if (central)
      {
        appendLittleEndian(out, 20, 2); // made by
      }
      appendLittleEndian(out, 20, 2); // needed to extract
      appendLittleEndian(out, 0, 2);  // flags
      appendLittleEndian(out, 0, 2);  // stored
      appendLittleEndian(out, 0, 4);  // time, date
      appendLittleEndian(out, checksum, 4);
      appendLittleEndian(out, data.size(), 4);
      appendLittleEndian(out, data.size(), 4);
      appendLittleEndian(out, name.size(), 2);
      appendLittleEndian(out, 0, 2); // extra
      if (central)
      {
        appendLittleEndian(out, 0, 2); // comment
        appendLittleEndian(out, 0, 2); // disk
        appendLittleEndian(out, 0, 2); // internal attributes
        appendLittleEndian(out, 0, 4); // external attributes
        appendLittleEndian(out, offset, 4);
      }
      out += name;
    };
    header(archive, false);
    archive += data;
    header(directory, true);
  }
  const std::uint64_t directoryOffset = archive.size();
  archive += directory;
  appendLittleEndian(archive, 0x06054b50, 4);
  appendLittleEndian(archive, 0, 4);
  appendLittleEndian(archive, entries.size(), 2);
  appendLittleEndian(archive, entries.size(), 2);
  appendLittleEndian(archive, directory.size(), 4);
  appendLittleEndian(archive, directoryOffset, 4);
  appendLittleEndian(archive, 0, 2);
  writeFileAtomically(path, archive);
}

} // namespace cradl
