#ifndef cradlStageRecord_h
#define cradlStageRecord_h

// What a stage's outputs were made from, kept in OUT/.cradl/<stage>.json: the
// settings it used, the content of the manifests it read and the size and
// modification time of every file they list, and the content hash of every
// model file it read. A stage is skipped only when its record matches the
// present inputs and all its outputs exist; otherwise it runs again and says why.

#include <nlohmann/json.hpp>

#include <chrono>

#include <string>
#include <vector>

namespace cradl_pipeline
{

class StageRecord
{
public:
  StageRecord(std::string out, std::string stage);

  /** Settings as they are resolved for this stage. */
  void
  addSettings(const nlohmann::json & settings);
  /** A manifest (its content) and every file it lists (size and mtime). */
  void
  addManifest(const std::string & role, const std::string & path);
  /** A file read whole (models): its content hash. */
  void
  addFile(const std::string & role, const std::string & path);

  /** Empty when the stored record equals this one and every output exists,
   *  else why the stage must run ("test manifest changed"). */
  std::string
  reasonToRun(const std::vector<std::string> & outputs) const;

  /** Whether a record of an unfinished run with the same inputs is stored
   *  (training resumes from its checkpoint only then). */
  bool
  matchesUnfinished() const;

  /** Stores the record (atomically), marked finished or not; a finished one
   *  also says how the run went: seconds since this record was made, the
   *  device, the machine (describeMachine()). */
  void
  write(bool finished, const std::string & device = "") const;

private:
  std::string
  path() const;
  nlohmann::json
  stored() const;

  std::string                           m_Out;
  std::string                           m_Stage;
  std::chrono::steady_clock::time_point m_Started = std::chrono::steady_clock::now();
  nlohmann::json m_Inputs = nlohmann::json::object();
};

/** 64-bit FNV-1a of a file's bytes, as 16 hex digits (change detection). */
std::string
fileContentHash(const std::string & path);

} // namespace cradl_pipeline

#endif
