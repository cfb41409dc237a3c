/* An LD_PRELOAD shim that makes writes fail, as SQLite's I/O tests do: it
 * numbers every operation that changes a file under CRADL_FAULT_DIR (open for
 * writing, write, fwrite, fsync, rename, mkdir) and fails the CRADL_FAULT_AT-th
 * with CRADL_FAULT_ERRNO (ENOSPC or EIO); with CRADL_FAULT_PERSIST=1 every
 * later one fails too (a full disk stays full). CRADL_FAULT_LOG names a file
 * that gets one line per operation ("<n> <operation> <path>"), which is how a
 * test learns how many failure points a run has. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static char         faultFolder[PATH_MAX];
static size_t       faultFolderLength;
static long         faultAt;
static int          faultErrno = ENOSPC;
static int          faultPersists;
static long         operations;
static int          logDescriptor = -1;
static volatile int configured;

static void
configure(void)
{
  if (__atomic_load_n(&configured, __ATOMIC_ACQUIRE))
    return;
  const char * folder = getenv("CRADL_FAULT_DIR");
  /* The folder may not exist yet: then it is taken as written (absolute). */
  if (folder != NULL && realpath(folder, faultFolder) == NULL)
    snprintf(faultFolder, sizeof faultFolder, "%s", folder);
  faultFolderLength = folder != NULL ? strlen(faultFolder) : 0;
  while (faultFolderLength > 1 && faultFolder[faultFolderLength - 1] == '/')
    faultFolder[--faultFolderLength] = '\0';
  const char * at = getenv("CRADL_FAULT_AT");
  faultAt = at != NULL ? atol(at) : 0;
  const char * kind = getenv("CRADL_FAULT_ERRNO");
  if (kind != NULL && strcmp(kind, "EIO") == 0)
    faultErrno = EIO;
  const char * persist = getenv("CRADL_FAULT_PERSIST");
  faultPersists = persist != NULL && strcmp(persist, "1") == 0;
  const char * log = getenv("CRADL_FAULT_LOG");
  if (log != NULL)
  {
    int (*realOpen)(const char *, int, ...) = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
    logDescriptor = realOpen(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  }
  __atomic_store_n(&configured, 1, __ATOMIC_RELEASE);
}

/* Whether `path` (absolute, or relative to the working folder) lies under the folder. */
static int
underFolder(const char * path)
{
  if (faultFolderLength == 0 || path == NULL)
    return 0;
  char absolute[PATH_MAX];
  if (path[0] != '/')
  {
    if (getcwd(absolute, sizeof absolute) == NULL)
      return 0;
    size_t length = strlen(absolute);
    snprintf(absolute + length, sizeof absolute - length, "/%s", path);
    path = absolute;
  }
  return strncmp(path, faultFolder, faultFolderLength) == 0 &&
         (path[faultFolderLength] == '/' || path[faultFolderLength] == '\0');
}

/* The path `descriptor` is open on, in `target`; NULL when unknown. */
static const char *
descriptorPath(int descriptor, char target[PATH_MAX])
{
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", descriptor);
  ssize_t length = readlink(link, target, PATH_MAX - 1);
  if (length <= 0)
    return NULL;
  target[length] = '\0';
  return target;
}

/* Counts one operation on `path`; returns whether it must fail (errno set). */
static int
mustFail(const char * operation, const char * path)
{
  long number = __atomic_add_fetch(&operations, 1, __ATOMIC_SEQ_CST);
  if (logDescriptor >= 0)
  {
    char line[PATH_MAX + 64];
    int  length = snprintf(line, sizeof line, "%ld %s %s\n", number, operation, path);
    ssize_t (*realWrite)(int, const void *, size_t) = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    if (length > 0 && realWrite(logDescriptor, line, (size_t)length) < 0)
      abort();
  }
  if (faultAt > 0 && (number == faultAt || (faultPersists && number > faultAt)))
  {
    errno = faultErrno;
    return 1;
  }
  return 0;
}

static int
checkPath(const char * operation, const char * path);

static int
checkDescriptor(const char * operation, int descriptor)
{
  char target[PATH_MAX];
  return checkPath(operation, descriptorPath(descriptor, target));
}

static int
checkPath(const char * operation, const char * path)
{
  configure();
  return underFolder(path) && mustFail(operation, path);
}

#define REAL(name, type) ((type)dlsym(RTLD_NEXT, name))

static int
opensForWriting(int flags)
{
  return (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) != 0;
}

typedef int (*OpenFunction)(const char *, int, ...);

/* open() and open64(): counted when they open for writing. */
#define CHECKED_OPEN(name)                                                                                            \
  int name(const char * path, int flags, ...)                                                                        \
  {                                                                                                                   \
    mode_t mode = 0;                                                                                                  \
    if (flags & (O_CREAT | O_TMPFILE))                                                                                \
    {                                                                                                                 \
      va_list arguments;                                                                                              \
      va_start(arguments, flags);                                                                                     \
      mode = va_arg(arguments, mode_t);                                                                               \
      va_end(arguments);                                                                                              \
    }                                                                                                                 \
    if (opensForWriting(flags) && checkPath("open", path))                                                            \
      return -1;                                                                                                      \
    return REAL(#name, OpenFunction)(path, flags, mode);                                                              \
  }
CHECKED_OPEN(open)
CHECKED_OPEN(open64)

ssize_t
write(int descriptor, const void * data, size_t size)
{
  if (checkDescriptor("write", descriptor))
    return -1;
  return REAL("write", ssize_t(*)(int, const void *, size_t))(descriptor, data, size);
}

ssize_t
writev(int descriptor, const struct iovec * vectors, int count)
{
  if (checkDescriptor("writev", descriptor))
    return -1;
  return REAL("writev", ssize_t(*)(int, const struct iovec *, int))(descriptor, vectors, count);
}

ssize_t
pwrite(int descriptor, const void * data, size_t size, off_t offset)
{
  if (checkDescriptor("pwrite", descriptor))
    return -1;
  return REAL("pwrite", ssize_t(*)(int, const void *, size_t, off_t))(descriptor, data, size, offset);
}

ssize_t
pwrite64(int descriptor, const void * data, size_t size, off64_t offset)
{
  if (checkDescriptor("pwrite", descriptor))
    return -1;
  return REAL("pwrite64", ssize_t(*)(int, const void *, size_t, off64_t))(descriptor, data, size, offset);
}

size_t
fwrite(const void * data, size_t size, size_t count, FILE * stream)
{
  if (size > 0 && count > 0 && checkDescriptor("fwrite", fileno(stream)))
    return 0;
  return REAL("fwrite", size_t(*)(const void *, size_t, size_t, FILE *))(data, size, count, stream);
}

int
fsync(int descriptor)
{
  if (checkDescriptor("fsync", descriptor))
    return -1;
  return REAL("fsync", int (*)(int))(descriptor);
}

int
fdatasync(int descriptor)
{
  if (checkDescriptor("fdatasync", descriptor))
    return -1;
  return REAL("fdatasync", int (*)(int))(descriptor);
}

int
rename(const char * from, const char * to)
{
  if (checkPath("rename", to))
    return -1;
  return REAL("rename", int (*)(const char *, const char *))(from, to);
}

int
mkdir(const char * path, mode_t mode)
{
  if (checkPath("mkdir", path))
    return -1;
  return REAL("mkdir", int (*)(const char *, mode_t))(path, mode);
}
