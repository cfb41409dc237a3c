#ifndef cradlNpy_h
#define cradlNpy_h

// NumPy .npy files (format 1.0/2.0/3.0, little-endian, C order): the exchange
// format with Python (oracle tests, the anchors' dumps, exported models).

#include "cradlCoreExport.h"

#include <cstdint>
#include <string>
#include <vector>

namespace cradl
{

struct CRADL_CORE_EXPORT NpyArray
{
  std::string           dtype; // "<f4", "<f8", "|u1", "<i8", ...
  std::vector<int64_t>  shape;
  std::vector<uint8_t>  bytes; // C order

  int64_t
  elementCount() const;
  /** The elements converted to double / float (dtype f4, f8, u1, i4, i8, b1). */
  std::vector<double>
  asDoubles() const;
  std::vector<float>
  asFloats() const;
};

/** Reads a .npy file; throws std::runtime_error saying what is wrong. */
CRADL_CORE_EXPORT NpyArray
readNpy(const std::string & path);

/** Writes `count` elements of `dtype` with `shape` to `path` atomically
 *  (a temporary file renamed into place). */
CRADL_CORE_EXPORT void
writeNpy(const std::string & path, const std::string & dtype, const std::vector<int64_t> & shape, const void * data);

/** One array of an .npz archive. */
struct NpzEntry
{
  std::string          name; // without ".npy"
  std::string          dtype;
  std::vector<int64_t> shape;
  const void *         data;
};

/** Writes an uncompressed .npz (what numpy.savez writes; numpy.load reads it)
 *  atomically. */
CRADL_CORE_EXPORT void
writeNpz(const std::string & path, const std::vector<NpzEntry> & entries);

template <typename T>
struct NpyType;
template <>
struct NpyType<float>
{
  static constexpr const char * name = "<f4";
};
template <>
struct NpyType<double>
{
  static constexpr const char * name = "<f8";
};
template <>
struct NpyType<uint8_t>
{
  static constexpr const char * name = "|u1";
};
template <>
struct NpyType<int64_t>
{
  static constexpr const char * name = "<i8";
};

template <typename T>
void
writeNpy(const std::string & path, const std::vector<T> & values, std::vector<int64_t> shape = {})
{
  if (shape.empty())
  {
    shape.push_back(static_cast<int64_t>(values.size()));
  }
  writeNpy(path, NpyType<T>::name, shape, values.data());
}

} // namespace cradl

#endif
