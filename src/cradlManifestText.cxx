#include "cradlManifestText.h"

#include "cradlText.h"

#include <algorithm>
#include <cctype>
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

std::vector<ManifestRow>
parseManifest(std::istream & text, const std::string & name, const fs::path & folder)
{
  std::vector<ManifestRow>  entries;
  std::vector<std::string> fields;
  int                      imageColumn = -1;
  int                      maskColumn = -1;
  int                      labelColumn = -1;
  int                      kindsColumn = -1;
  std::size_t              columnCount = 0;
  std::string              line;
  unsigned int             lineNumber = 0;
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
    if (imageColumn < 0) // the header
    {
      columnCount = fields.size();
      for (std::size_t column = 0; column < fields.size(); ++column)
      {
        const std::string heading = lowercase(fields[column]);
        int &             slot = heading == "image" ? imageColumn
                                 : heading == "mask"  ? maskColumn
                                 : heading == "kinds" ? kindsColumn
                                                      : labelColumn;
        if (heading == "image" || heading == "mask" || heading == "label" || heading == "kinds")
        {
          if (slot >= 0)
          {
            throwManifestError("manifest '", name, "': column '", heading, "' appears twice in the header");
          }
          slot = static_cast<int>(column);
        }
      }
      if (imageColumn < 0)
      {
        throwManifestError("manifest '", name, "': the first line must be the header image,mask,label (got '", line,
                           "')");
      }
      continue;
    }
    ManifestRow entry;
    entry.row = static_cast<unsigned int>(entries.size() + 1);
    entry.line = lineNumber;
    if (fields.size() != columnCount)
    {
      throwManifestError(manifestRowContext(name, entry.row, entry.line), ": ", fields.size(),
                         " fields, the header has ", columnCount);
    }
    const auto resolved = [&](int column) -> std::string {
      if (column < 0 || fields[column].empty())
      {
        return {};
      }
      return (folder / fs::path(fields[column])).lexically_normal().string();
    };
    entry.image = resolved(imageColumn);
    entry.mask = resolved(maskColumn);
    entry.label = resolved(labelColumn);
    entry.kinds = resolved(kindsColumn);
    if (entry.image.empty())
    {
      throwManifestError(manifestRowContext(name, entry.row, entry.line), ": the image field is empty");
    }
    entries.push_back(entry);
  }
  if (imageColumn < 0)
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
