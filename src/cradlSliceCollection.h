#ifndef cradlSliceCollection_h
#define cradlSliceCollection_h

// Private, ITK side: scans -> preprocessed slices that show enough brain, for
// training (ContrastiveEncoderTrainer) and for the density (GaussianMixtureFitter).

#include "cradlContrastiveTrainingRun.h"
#include "itkImage.h"

namespace cradl
{

struct SliceCollectionSettings
{
  unsigned int sliceSize = 128;
  double       clipMinimum = -1.5;
  double       clipMaximum = 1.5;
  bool         preserveAspectRatio = true;
  double       minimumBrainFraction = 0.05;
  unsigned int sliceMargin = 0;
};

/** Appends the scan's kept slices to `slices` (whose size must be the slice
 *  size); throws itk::ExceptionObject from preprocessing. */
void
appendBrainSlices(const itk::Image<float, 3> *         scan,
                  const itk::Image<unsigned char, 3> * mask,
                  const SliceCollectionSettings &      settings,
                  SliceSet &                           slices);

} // namespace cradl

#endif
