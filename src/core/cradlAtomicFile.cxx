#include "cradlAtomicFile.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace cradl
{

namespace
{
[[noreturn]] void
failWrite(const std::string & path, const std::string & temporary, int error)
{
  ::unlink(temporary.c_str());
  throw std::runtime_error(writeFailureMessage(path, writeErrorCause(error)));
}

std::string
folderOf(const std::string & path)
{
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? std::string(".") : slash == 0 ? std::string("/") : path.substr(0, slash);
}

// fsync, retried when a signal interrupts it; returns 0 or the errno.
int
syncDescriptor(int descriptor)
{
  int result;
  do
    result = ::fsync(descriptor);
  while (result != 0 && errno == EINTR);
  return result == 0 ? 0 : errno;
}

// The rename's folder entry on disk too: without it a power cut may bring
// the old file back. File systems that cannot sync a folder say EINVAL.
int
syncFolder(const std::string & folder)
{
  const int descriptor = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (descriptor < 0)
    return errno;
  const int error = syncDescriptor(descriptor);
  ::close(descriptor);
  return error == EINVAL || error == ENOTSUP ? 0 : error;
}
} // namespace

void
makeFolder(const std::string & folder)
{
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error)
    throw std::runtime_error("cannot create the folder '" + folder + "': " + writeErrorCause(error.value()) +
                             ": fix the cause (free space, for a full disk) and run again");
}

std::string
temporaryNameOf(const std::string & path)
{
  return path + ".part";
}

std::string
writeErrorCause(int error)
{
  switch (error)
  {
    case ENOSPC:
      return "disk full (no space left on device)";
    case EDQUOT:
      return "disk quota exceeded";
    case EIO:
      return "I/O error (the disk or its connection failed)";
    case EROFS:
      return "read-only file system";
    case EACCES:
    case EPERM:
      return "permission denied";
    case ENOENT:
    case ENOTDIR:
      return "its folder does not exist";
    case EFBIG:
      return "file too large for its file system";
    default:
      return std::strerror(error);
  }
}

std::string
writeFailureMessage(const std::string & path, const std::string & cause)
{
  return "cannot write '" + path + "': " + cause +
         "; any earlier version of that file is unchanged: fix the cause (free space, for a full disk) and run again";
}

namespace
{
// Syncs and closes the temporary open on `descriptor` (checking its size when
// `expectedSize` >= 0), renames it over `path` and syncs the folder.
void
commitDescriptor(int descriptor, const std::string & temporary, const std::string & path, long long expectedSize)
{
  struct stat status;
  int         error = syncDescriptor(descriptor);
  if (error == 0 && expectedSize >= 0 && ::fstat(descriptor, &status) != 0)
    error = errno;
  else if (error == 0 && expectedSize >= 0 && status.st_size != expectedSize)
    error = EIO; // a file system that lost bytes it had accepted
  // close() may report what a network file system could not store.
  if (::close(descriptor) != 0 && error == 0 && errno != EINTR)
    error = errno;
  if (error != 0)
    failWrite(path, temporary, error);
  if (::rename(temporary.c_str(), path.c_str()) != 0)
    failWrite(path, temporary, errno);
  if ((error = syncFolder(folderOf(path))) != 0)
    throw std::runtime_error("wrote '" + path + "' but could not sync its folder to disk: " + writeErrorCause(error) +
                             "; run again once the disk is sound");
}
} // namespace

void
writeFileAtomically(const std::string & path, const std::string & bytes)
{
  const std::string temporary = temporaryNameOf(path);
  const int descriptor = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (descriptor < 0)
    failWrite(path, temporary, errno);
  std::size_t written = 0;
  while (written < bytes.size())
  {
    const ssize_t count = ::write(descriptor, bytes.data() + written, bytes.size() - written);
    if (count < 0 && errno == EINTR)
      continue;
    if (count <= 0)
    {
      const int error = count < 0 ? errno : ENOSPC; // write() of 0 bytes: no room for one more
      ::close(descriptor);
      failWrite(path, temporary, error);
    }
    written += static_cast<std::size_t>(count);
  }
  commitDescriptor(descriptor, temporary, path, static_cast<long long>(bytes.size()));
}

void
commitTemporaryFile(const std::string & temporary, const std::string & path)
{
  const int descriptor = ::open(temporary.c_str(), O_RDONLY | O_CLOEXEC);
  if (descriptor < 0)
    failWrite(path, temporary, errno);
  commitDescriptor(descriptor, temporary, path, -1);
}

} // namespace cradl
