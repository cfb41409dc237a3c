#include "itkCradlImageIO.h"

#include "cradlAtomicFile.h"
#include "cradlErrorText.h"
#include "cradlNiftiScan.h"
#include "cradlText.h"

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <zlib.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace itk
{

namespace
{
// Errors a write itself reports; anything else left in errno after ITK's
// writer (a lookup that found no file, say) says nothing about the failure.
bool
isWriteError(int error)
{
  return error == ENOSPC || error == EDQUOT || error == EIO || error == EROFS || error == EFBIG || error == EACCES ||
         error == EPERM;
}

// Why an image write failed, where the writer did not say: a file system with
// no free block is full.
std::string
imageWriteCause(const std::string & fileName, int error)
{
  const auto        slash = fileName.find_last_of('/');
  const std::string folder = slash == std::string::npos ? "." : fileName.substr(0, slash + 1);
  struct stat       folderStatus;
  if (::stat(folder.c_str(), &folderStatus) != 0 || !S_ISDIR(folderStatus.st_mode))
    return cradl::writeErrorCause(ENOENT);
  if (isWriteError(error))
    return cradl::writeErrorCause(error);
  struct statvfs space;
  if (::statvfs(folder.c_str(), &space) == 0 && space.f_bavail == 0)
    return cradl::writeErrorCause(ENOSPC);
  return "the written file is incomplete (a full disk or an I/O error)";
}

// A PNG's chunks walked to IEND, each CRC checked. ITK 5.2's PNG reader has
// no error handler: libpng aborts the process on a truncated file, so a PNG
// is checked here before ITK may read it.
std::string
pngProblem(const std::string & fileName)
{
  std::ifstream           file(fileName, std::ios::binary);
  const std::string       bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const auto *            data = reinterpret_cast<const unsigned char *>(bytes.data());
  constexpr unsigned char signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  if (bytes.size() < 8 || std::memcmp(data, signature, 8) != 0)
    return "no PNG signature";
  const auto bigEndian = [&](std::size_t at) {
    return (uint32_t{ data[at] } << 24) | (uint32_t{ data[at + 1] } << 16) | (uint32_t{ data[at + 2] } << 8) | data[at + 3];
  };
  for (std::size_t at = 8; at + 12 <= bytes.size();)
  {
    const uint64_t length = bigEndian(at);
    if (at + 12 + length > bytes.size())
      break;
    const auto crc = crc32(crc32(0L, Z_NULL, 0), data + at + 4, static_cast<uInt>(4 + length));
    if (crc != bigEndian(at + 8 + length))
      return "a chunk's checksum is wrong";
    if (std::memcmp(data + at + 4, "IEND", 4) == 0)
      return at + 12 + length == bytes.size() ? "" : "bytes after its end";
    at += 12 + length;
  }
  return "cut short";
}

// The core's file operations throw std::exception; the public API, ITK's.
template <typename Operation>
void
asItkError(Operation && operation)
{
  try
  {
    operation();
  }
  catch (const std::exception & error)
  {
    itkGenericExceptionMacro(<< cradl::messageOf(error));
  }
}
} // namespace

std::string
CradlEncodePng(unsigned int width, unsigned int height, unsigned int channels, const unsigned char * pixels)
{
  if (channels != 1 && channels != 3)
    itkGenericExceptionMacro(<< "PNG pictures are grey (1 channel) or RGB (3), not " << channels << " channels");
  const auto put32 = [](std::string & out, uint32_t value) {
    for (const int shift : { 24, 16, 8, 0 })
      out.push_back(static_cast<char>((value >> shift) & 0xff));
  };
  std::string png("\x89PNG\r\n\x1a\n", 8);
  const auto  chunk = [&](const char * type, const std::string & data) {
    put32(png, static_cast<uint32_t>(data.size()));
    const std::string typed = std::string(type, 4) + data;
    png += typed;
    put32(png, static_cast<uint32_t>(crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef *>(typed.data()),
                                           static_cast<uInt>(typed.size()))));
  };
  std::string header;
  put32(header, width);
  put32(header, height);
  header += std::string{ 8, static_cast<char>(channels == 3 ? 2 : 0), 0, 0, 0 }; // 8 bits, RGB or grey, no interlace
  chunk("IHDR", header);
  // Each row after a filter byte 0 (none), then deflated.
  const std::size_t rowBytes = std::size_t{ width } * channels;
  std::string       rows;
  rows.reserve((rowBytes + 1) * height);
  for (unsigned int y = 0; y < height; ++y)
  {
    rows.push_back('\0');
    rows.append(reinterpret_cast<const char *>(pixels) + y * rowBytes, rowBytes);
  }
  uLongf      deflatedSize = compressBound(static_cast<uLong>(rows.size()));
  std::string deflated(deflatedSize, '\0');
  if (compress2(reinterpret_cast<Bytef *>(&deflated[0]), &deflatedSize, reinterpret_cast<const Bytef *>(rows.data()),
                static_cast<uLong>(rows.size()), Z_BEST_COMPRESSION) != Z_OK)
    itkGenericExceptionMacro(<< "cannot compress a " << width << " x " << height << " picture");
  deflated.resize(deflatedSize);
  chunk("IDAT", deflated);
  chunk("IEND", "");
  return png;
}

std::string
CradlWrittenImageProblem(const std::string & fileName)
{
  if (cradl::endsWith(fileName, ".png"))
    return pngProblem(fileName);
  return cradl::scanNifti(fileName).problem; // other formats: nothing checked here
}

bool
CradlIsTemporaryFileName(const std::string & fileName)
{
  const std::string suffix = cradl::temporaryNameOf("");
  const bool        partSuffix = fileName.size() > suffix.size() && cradl::endsWith(fileName, suffix);
  return partSuffix || fileName.rfind(CradlPartialImagePrefix, 0) == 0;
}

void
CradlWriteFileAtomically(const std::string & fileName, const std::string & bytes)
{
  asItkError([&] { cradl::writeFileAtomically(fileName, bytes); });
}

void
CradlMakeFolder(const std::string & folder)
{
  asItkError([&] { cradl::makeFolder(folder); });
}

void
CradlCommitTemporaryFile(const std::string & temporary, const std::string & fileName)
{
  asItkError([&] { cradl::commitTemporaryFile(temporary, fileName); });
}

void
CradlThrowImageWriteFailure(const std::string & temporary, const std::string & fileName, int error,
                            const std::string & detail)
{
  const std::string cause = imageWriteCause(fileName, error);
  ::unlink(temporary.c_str());
  itkGenericExceptionMacro(<< cradl::writeFailureMessage(fileName, cause + " [" + cradl::trimmed(detail) + "]"));
}

} // namespace itk
