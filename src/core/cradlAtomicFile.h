#ifndef cradlAtomicFile_h
#define cradlAtomicFile_h

// Every file the module writes goes through here: bytes to "<path>.part",
// every write checked, the file synced to disk, then renamed into place and
// its folder synced. A reader never sees half a file, a killed run leaves
// only a temporary that the next run removes, and a failed write (disk full,
// I/O error) leaves the previous version of the file as it was.

#include "cradlCoreExport.h"

#include <string>

namespace cradl
{

/** Writes `bytes` to `path` atomically and durably. On any failure the
 *  temporary is removed, `path` is untouched and std::runtime_error names
 *  the file and the cause ("disk full (no space left on device)"). */
CRADL_CORE_EXPORT void
writeFileAtomically(const std::string & path, const std::string & bytes);

/** The last steps of writeFileAtomically() for a temporary another writer
 *  made and checked (ITK's image writers): syncs `temporary`, renames it over
 *  `path`, syncs the folder. On failure removes `temporary` and throws as
 *  writeFileAtomically() does. */
CRADL_CORE_EXPORT void
commitTemporaryFile(const std::string & temporary, const std::string & path);

/** Creates `folder` and its parents where missing; std::runtime_error names
 *  the folder and the cause when it cannot. */
CRADL_CORE_EXPORT void
makeFolder(const std::string & folder);

/** The temporary name writeFileAtomically() writes `path` under. */
CRADL_CORE_EXPORT std::string
temporaryNameOf(const std::string & path);

/** A failed write's cause in words, from its errno: "disk full (no space
 *  left on device)", "I/O error", ... */
CRADL_CORE_EXPORT std::string
writeErrorCause(int error);

/** The message every failed write gives: what, which file, why, what to do. */
CRADL_CORE_EXPORT std::string
writeFailureMessage(const std::string & path, const std::string & cause);

} // namespace cradl

#endif
