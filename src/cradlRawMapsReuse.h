#ifndef cradlRawMapsReuse_h
#define cradlRawMapsReuse_h

// What CradlScanScorer keeps beside a scan's raw maps so that finishing them
// again (another Gaussian sigma) or viewing them in another mode redoes no
// work. Private to the module: the scorer and the selector use it.

#include "itkCradlScanScorer.h"
#include "itkMedianGaussianPostprocessImageFilter.h"

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace itk
{

struct CradlScanScorer::RawMaps::Reuse
{
  /** A map's post-processing: the filter (finishing again with another
   *  Gaussian sigma reuses its median) and its last result with what it was
   *  made from (finishing again with the same returns it). Shared by the
   *  copies of these raw maps and by the views of them. */
  struct Postprocessed
  {
    MedianGaussianPostprocessImageFilter<ImageType, MaskImageType>::Pointer Filter;
    ImageType::Pointer                                                     Result;
    const ImageType *                                                      Map = nullptr;
    ModifiedTimeType                                                       MapTime = 0;
    const MaskImageType *                                                  Mask = nullptr;
    ModifiedTimeType                                                       MaskTime = 0;
    unsigned int                                                           MedianRadius = 0;
    double                                                                 GaussianSigma = 0.0;
    unsigned int                                                           GaussianRadius = 0;
  };
  std::map<std::string, std::shared_ptr<Postprocessed>> Postprocessing;
  /** Every encoder map's slice map and slice scores ("gradient", "patch"),
   *  also the ones SliceMap and SliceNLL do not hold. */
  std::map<std::string, std::pair<ImageType::Pointer, std::vector<double>>> Slices;
};

/** Map `name` of `from` into `into`: the map, its slice map and scores when
 *  it has them, and its post-processing (shared). */
void
takeRawMap(CradlScanScorer::RawMaps & into, const std::string & name, const CradlScanScorer::RawMaps & from);

/** What scoring in `mode` ("gradient" or "patch") alone gives, taken from
 *  the raw maps `fused` of mode "fused": that map, its slice map and scores,
 *  its post-processing. */
CradlScanScorer::RawMaps
modeView(const CradlScanScorer::RawMaps & fused, const std::string & mode);

} // namespace itk

#endif
