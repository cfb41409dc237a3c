#include "cradlManifestText.h"

#include "cradlText.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <sstream>
#include <stdexcept>

namespace cradl
{

namespace
{
namespace fs = std::filesystem;

// The message pieces streamed together, as itkExceptionMacro would.
template <typename... Parts>
[[noreturn]] void
throwManifestError(const Parts &... parts)
{
  std::ostringstream message;
  (message << ... << parts);
  throw std::runtime_error(message.str());
}

// Splits one CSV line; double quotes protect commas and "" is a literal quote.
bool
splitCsvLine(const std::string & line, std::vector<std::string> & fields)
{
  fields.clear();
  std::string field;
  bool        quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i)
  {
    const char c = line[i];
    if (quoted)
    {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"')
      {
        field += '"';
        ++i;
      }
      else if (c == '"')
      {
        quoted = false;
      }
      else
      {
        field += c;
      }
    }
    else if (c == '"')
    {
      quoted = true;
    }
    else if (c == ',')
    {
      fields.push_back(trimmed(field));
      field.clear();
    }
    else
    {
      field += c;
    }
  }
  fields.push_back(trimmed(field));
  return !quoted;
}

std::string
lowercase(std::string text)
{
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

} // namespace

std::string
manifestRowContext(const std::string & name, unsigned int row, unsigned int line)
{
  std::ostringstream text;
  text << "manifest '" << name << "', row " << row << " (line " << line << ")";
  return text.str();
}

namespace
{
// Where the header puts each column (-1: absent).
struct ManifestColumns
{
  int         image = -1;
  int         mask = -1;
  int         label = -1;
  int         kinds = -1;
  std::size_t count = 0;
};

ManifestColumns
readHeader(const std::vector<std::string> & fields, const std::string & name, const std::string & line)
{
  ManifestColumns columns;
  columns.count = fields.size();
  for (std::size_t column = 0; column < fields.size(); ++column)
  {
    const std::string heading = lowercase(fields[column]);
    int &             slot = heading == "image" ? columns.image
                             : heading == "mask"  ? columns.mask
                             : heading == "kinds" ? columns.kinds
                                                  : columns.label;
    if (heading == "image" || heading == "mask" || heading == "label" || heading == "kinds")
    {
      if (slot >= 0)
      {
        throwManifestError("manifest '", name, "': column '", heading, "' appears twice in the header");
      }
      slot = static_cast<int>(column);
    }
  }
  if (columns.image < 0)
  {
    throwManifestError("manifest '", name, "': the first line must be the header image,mask,label (got '", line,
                       "')");
  }
  return columns;
}

// A row's files, relative to the manifest's folder.
ManifestRow
readRow(const std::vector<std::string> & fields, const ManifestColumns & columns, const fs::path & folder,
        const std::string & name, unsigned int row, unsigned int line)
{
  ManifestRow entry;
  entry.row = row;
  entry.line = line;
  if (fields.size() != columns.count)
  {
    throwManifestError(manifestRowContext(name, entry.row, entry.line), ": ", fields.size(),
                       " fields, the header has ", columns.count);
  }
  const auto resolved = [&](int column) -> std::string {
    if (column < 0 || fields[column].empty())
    {
      return {};
    }
    return (folder / fs::path(fields[column])).lexically_normal().string();
  };
  entry.image = resolved(columns.image);
  entry.mask = resolved(columns.mask);
  entry.label = resolved(columns.label);
  entry.kinds = resolved(columns.kinds);
  if (entry.image.empty())
  {
    throwManifestError(manifestRowContext(name, entry.row, entry.line), ": the image field is empty");
  }
  return entry;
}
} // namespace

std::vector<ManifestRow>
parseManifest(std::istream & text, const std::string & name, const fs::path & folder)
{
  std::vector<ManifestRow>       entries;
  std::vector<std::string>       fields;
  std::optional<ManifestColumns> columns;
  std::string                    line;
  unsigned int                   lineNumber = 0;
  while (std::getline(text, line))
  {
    ++lineNumber;
    if (!line.empty() && line.back() == '\r')
    {
      line.pop_back();
    }
    if (trimmed(line).empty())
    {
      continue;
    }
    if (!splitCsvLine(line, fields))
    {
      throwManifestError("manifest '", name, "', line ", lineNumber, ": unbalanced double quote");
    }
    if (!columns)
      columns = readHeader(fields, name, line);
    else
      entries.push_back(readRow(fields, *columns, folder, name, static_cast<unsigned int>(entries.size() + 1), lineNumber));
  }
  if (!columns)
  {
    throwManifestError("manifest '", name, "' is empty: it needs the header image,mask,label and one row per scan");
  }
  if (entries.empty())
  {
    throwManifestError("manifest '", name, "' lists no scans");
  }
  return entries;
}

} // namespace cradl
