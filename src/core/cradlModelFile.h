#ifndef cradlModelFile_h
#define cradlModelFile_h

// Cradl's files (models, mixtures, checkpoints): one torch-pickled dict, the
// format Python's torch.save writes, so torch.load reads them without Cradl.
// Every file carries "format" (what it is) and "format_version".

#include "cradlCoreExport.h"

#include <ATen/core/Dict.h>
#include <ATen/core/ivalue.h>
#include <torch/nn/module.h>

#include <string>
#include <vector>

namespace cradl
{

using ValueDict = c10::impl::GenericDict;

/** An empty string-keyed dict of any values. */
CRADL_CORE_EXPORT ValueDict
makeValueDict();

/** Writes `dict` to `path` through a temporary file renamed into place, so a
 *  reader never sees half a file. Throws std::runtime_error. */
CRADL_CORE_EXPORT void
saveDict(const ValueDict & dict, const std::string & path);

/** Reads a dict written by saveDict and checks its "format" and version.
 *  Throws std::runtime_error saying whether the file is missing, truncated,
 *  not a Cradl file, another kind of Cradl file, or from a newer version. */
CRADL_CORE_EXPORT ValueDict
loadDict(const std::string & path, const std::string & expectedFormat, int64_t newestVersion);

/** loadDict of a file's bytes read elsewhere; `path` names it in errors. */
CRADL_CORE_EXPORT ValueDict
loadDictFromBytes(const std::vector<char> & bytes,
                  const std::string &       path,
                  const std::string &       expectedFormat,
                  int64_t                   newestVersion);

/** The bytes saveDict writes. */
CRADL_CORE_EXPORT std::vector<char>
dictBytes(const ValueDict & dict);

/** "" when `bytes` is a zip archive whose every offset lies inside it (what
 *  torch.save and pickle_save write, stored entries), else what is wrong. */
CRADL_CORE_EXPORT std::string
zipStructureProblem(const std::vector<char> & bytes);

/** A module's parameters and buffers by name (its state_dict), on the CPU. */
CRADL_CORE_EXPORT ValueDict
stateDict(const torch::nn::Module & module);

/** Copies a state dict into `module`, checking names and shapes; `what` names
 *  the part in error messages. */
CRADL_CORE_EXPORT void
loadStateDict(torch::nn::Module & module, const ValueDict & state, const std::string & what);

} // namespace cradl

#endif
