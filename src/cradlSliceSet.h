#ifndef cradlSliceSet_h
#define cradlSliceSet_h

// Private, ITK side: scans -> the preprocessed slices that show enough brain,
// for training (ContrastiveEncoderTrainer) and for the density
// (GaussianMixtureFitter). No torch types: the torch side views a SliceSet
// through cradlImageTensorBridge.h.

#include "cradlDefaults.h"
#include "itkCradlSliceSelection.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cradl
{

/** `count` slices of size x size pixels, one after the other, x fastest,
 *  their brain masks (1 = brain) in the same layout, and where each lies in
 *  its scan's brain. */
struct SliceSet
{
  std::vector<float>                pixels;
  std::vector<unsigned char>        masks;
  std::vector<itk::CradlSliceFrame> frames;
  int64_t                    count = 0;
  int64_t                    size = 0;

  /** Slices [begin, end), as a set of their own. */
  SliceSet
  rows(int64_t begin, int64_t end) const
  {
    const auto pixelsPerSlice = static_cast<std::ptrdiff_t>(size * size);
    SliceSet   part;
    part.size = size;
    part.count = end - begin;
    part.pixels.assign(pixels.begin() + begin * pixelsPerSlice, pixels.begin() + end * pixelsPerSlice);
    part.masks.assign(masks.begin() + begin * pixelsPerSlice, masks.begin() + end * pixelsPerSlice);
    if (!frames.empty())
      part.frames.assign(frames.begin() + begin, frames.begin() + end);
    return part;
  }
};

struct SliceCollectionSettings
{
  unsigned int sliceSize = defaults::SliceSize;
  double       clipMinimum = defaults::ClipMinimum;
  double       clipMaximum = defaults::ClipMaximum;
  bool         preserveAspectRatio = true;
  double       minimumBrainFraction = defaults::MinimumBrainFraction;
  unsigned int sliceMargin = 0;
};

/** Appends the scan's kept slices (itk::CradlSelectBrainSlices) to `slices`
 *  (whose size must be the slice size); throws itk::ExceptionObject from
 *  preprocessing. */
void
appendBrainSlices(const itk::Image<float, 3> *         scan,
                  const itk::Image<unsigned char, 3> * mask,
                  const SliceCollectionSettings &      settings,
                  SliceSet &                           slices);

} // namespace cradl

#endif
