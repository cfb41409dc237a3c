#ifndef cradlManifestText_h
#define cradlManifestText_h

// The text of a manifest: a CSV with the header image,mask,label[,kinds] (any order,
// any case, other columns ignored), double quotes protecting commas, one row
// per scan. No ITK here: the fuzz targets build it on its own.

#include <filesystem>
#include <istream>
#include <string>
#include <vector>

namespace cradl
{

struct ManifestRow
{
  std::string  image; // resolved against the manifest's folder; "" where empty
  std::string  mask;
  std::string  label;
  std::string  kinds; // optional: the anomaly kind of each label voxel (codes 1, 2, ...)
  unsigned int row = 0;  // 1-based, header excluded
  unsigned int line = 0; // 1-based line of the file
};

/** "manifest 'NAME', row R (line L)": how errors name a row. */
std::string
manifestRowContext(const std::string & name, unsigned int row, unsigned int line);

/** The rows of `text`, paths resolved against `folder`. Throws
 *  std::runtime_error naming `name` and the line: unbalanced quotes, no or a
 *  duplicated header column, a row with another number of fields, an empty
 *  image field, no rows. Files are not looked at. */
std::vector<ManifestRow>
parseManifest(std::istream & text, const std::string & name, const std::filesystem::path & folder);

} // namespace cradl

#endif
