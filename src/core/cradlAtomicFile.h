#ifndef cradlAtomicFile_h
#define cradlAtomicFile_h

// Every file the module writes goes through here: bytes to "<path>.part",
// then a rename into place, so a reader never sees half a file and a killed
// run leaves only a temporary that the next run removes.

#include "cradlCoreExport.h"

#include <string>

namespace cradl
{

/** Writes `bytes` to `path` atomically. Throws std::runtime_error saying
 *  what failed (folder missing, no permission, disk full, rename). */
CRADL_CORE_EXPORT void
writeFileAtomically(const std::string & path, const std::string & bytes);

/** The temporary name writeFileAtomically() writes `path` under. */
CRADL_CORE_EXPORT std::string
temporaryNameOf(const std::string & path);

} // namespace cradl

#endif
