#ifndef cradlNiftiScan_h
#define cradlNiftiScan_h

// A raw pass over a NIfTI file (.nii or .nii.gz) for what ITK's reader hides:
// a file cut short (the reader fills the rest with garbage) and NaN or
// infinite voxels (nifticlib sets them to 0 while reading, silently). No ITK
// here: the fuzz targets build it on its own.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace cradl
{

struct NiftiScan
{
  std::string                              problem;   // "" when the file is whole, else what is wrong
  std::vector<std::pair<uint64_t, float>> nonFinite; // voxel index (x fastest) and value, float data only
};

/** Reads `fileName` once, whole. Other extensions: nothing to check. */
NiftiScan
scanNifti(const std::string & fileName);

} // namespace cradl

#endif
