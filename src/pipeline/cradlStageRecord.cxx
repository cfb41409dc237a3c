#include "cradlStageRecord.h"
#include "cradlMachine.h"

#include <ctime>

#include "itkCradlImageIO.h"

#include "itkCradlManifest.h"

#include <filesystem>
#include <fstream>

namespace cradl_pipeline
{

namespace
{
namespace fs = std::filesystem;

// Size and modification time: what changes when a scan is rewritten, without
// reading gigabytes of images on every run.
std::string
fileStamp(const std::string & path)
{
  std::error_code error;
  const auto      size = fs::file_size(path, error);
  if (error)
    return "missing";
  const auto modified = fs::last_write_time(path, error).time_since_epoch().count();
  return std::to_string(size) + " bytes, modified " + std::to_string(modified);
}

// The first thing that differs, in words; upstream inputs before settings,
// since a new encoder explains more than a setting does.
std::string
firstDifference(const nlohmann::json & stored, const nlohmann::json & present)
{
  for (const char * group : { "manifests", "files" })
  {
    const auto & now = present[group];
    const auto & before = stored["inputs"].value(group, nlohmann::json::object());
    for (const auto & [role, entry] : now.items())
    {
      if (!before.contains(role) || before[role]["path"] != entry["path"])
        return role + " is another file";
      if (before[role]["content"] != entry["content"])
        return role + " changed";
      if (entry.contains("listed") && before[role]["listed"] != entry["listed"])
      {
        for (const auto & [file, stamp] : entry["listed"].items())
          if (!before[role]["listed"].contains(file) || before[role]["listed"][file] != stamp)
            return "'" + file + "' (in the " + role + ") changed";
        return role + " changed";
      }
    }
    for (const auto & [role, entry] : before.items())
      if (!now.contains(role))
        return role + " is no longer used";
  }
  if (stored.value("/inputs/settings"_json_pointer, nlohmann::json()) != present["settings"])
  {
    for (const auto & [key, value] : present["settings"].items())
      if (!stored["inputs"]["settings"].contains(key) || stored["inputs"]["settings"][key] != value)
        return "setting '" + key + "' changed";
    return "settings changed";
  }
  return "inputs changed";
}
} // namespace

std::string
fileContentHash(const std::string & path)
{
  std::ifstream file(path, std::ios::binary);
  if (!file)
    return "missing";
  uint64_t          hash = 14695981039346656037ull;
  std::vector<char> buffer(1 << 20);
  while (file)
  {
    file.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    for (std::streamsize i = 0; i < file.gcount(); ++i)
    {
      hash ^= static_cast<unsigned char>(buffer[static_cast<std::size_t>(i)]);
      hash *= 1099511628211ull;
    }
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

StageRecord::StageRecord(std::string out, std::string stage)
  : m_Out(std::move(out))
  , m_Stage(std::move(stage))
{
  m_Inputs["settings"] = nlohmann::json::object();
  m_Inputs["manifests"] = nlohmann::json::object();
  m_Inputs["files"] = nlohmann::json::object();
}

void
StageRecord::addSettings(const nlohmann::json & settings)
{
  m_Inputs["settings"].update(settings);
}

void
StageRecord::addManifest(const std::string & role, const std::string & path)
{
  nlohmann::json entry{ { "path", fs::absolute(path).lexically_normal().string() },
                        { "content", fileContentHash(path) },
                        { "listed", nlohmann::json::object() } };
  auto manifest = itk::CradlManifest::New();
  manifest->Read(path);
  for (const auto & row : manifest->GetEntries())
    for (const std::string * file : { &row.Image, &row.Mask, &row.Label })
      if (!file->empty())
        entry["listed"][*file] = fileStamp(*file);
  m_Inputs["manifests"][role] = entry;
}

void
StageRecord::addFile(const std::string & role, const std::string & path)
{
  m_Inputs["files"][role] = { { "path", fs::absolute(path).lexically_normal().string() },
                              { "content", fileContentHash(path) } };
}

std::string
StageRecord::path() const
{
  return (fs::path(m_Out) / ".cradl" / (m_Stage + ".json")).string();
}

nlohmann::json
StageRecord::stored() const
{
  std::ifstream file(path());
  if (!file)
    return nullptr;
  const auto record = nlohmann::json::parse(file, nullptr, /*allow_exceptions=*/false);
  return record.is_object() && record.contains("inputs") ? record : nlohmann::json();
}

std::string
StageRecord::reasonToRun(const std::vector<std::string> & outputs) const
{
  const auto record = stored();
  if (record.is_null())
    return "no record of an earlier run";
  if (!record.value("finished", false))
    return "the earlier run did not finish";
  if (record["inputs"] != m_Inputs)
    return firstDifference(record, m_Inputs);
  for (const auto & output : outputs)
    if (!fs::exists(output))
      return "'" + output + "' is missing";
  return "";
}

bool
StageRecord::matchesUnfinished() const
{
  const auto record = stored();
  return !record.is_null() && !record.value("finished", false) && record["inputs"] == m_Inputs;
}

void
StageRecord::write(bool finished, const std::string & device) const
{
  itk::CradlMakeFolder(fs::path(path()).parent_path().string());
  nlohmann::json record{ { "stage", m_Stage }, { "finished", finished }, { "inputs", m_Inputs } };
  if (finished)
  {
    // How the run went: beside the inputs, never compared with them.
    const std::time_t now = std::time(nullptr);
    char              when[32];
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    record["run"] = { { "seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - m_Started).count() },
                      { "finished_at", when },
                      { "device", device },
                      { "machine", describeMachine() } };
  }
  itk::CradlWriteFileAtomically(path(), record.dump(2) + "\n");
}

} // namespace cradl_pipeline
