#ifndef cradlSliceScoring_h
#define cradlSliceScoring_h

// Private: what the map engines share. The preprocessed slices are seen as a
// tensor through the bridge, scored, and the map comes back as an image on
// the slices' grid; torch's errors become ExceptionObjects without backtrace.

#include "cradlErrorText.h"
#include "cradlImageTensorBridge.h"

#include "itkMacro.h"

#include <vector>

namespace cradl
{

/** `score(batch, nll)` returns the map [N, 1, S, S] of `slices` and sets
 *  nll [N] (float64, CPU) to -log p(f(x)) per slice. */
template <unsigned int VDimension, typename TScore>
typename itk::Image<float, VDimension>::Pointer
scoreSliceImage(const itk::Image<float, VDimension> * slices, const char * what, std::vector<double> & sliceNLL,
                TScore && score)
{
  try
  {
    at::Tensor       nll;
    const at::Tensor map = score(imageToSliceBatch(slices), nll);
    const at::Tensor scores = nll.to(at::kCPU, at::kDouble).contiguous();
    sliceNLL.assign(scores.data_ptr<double>(), scores.data_ptr<double>() + scores.numel());
    return sliceBatchToImage(map, slices);
  }
  catch (const itk::ExceptionObject &)
  {
    throw;
  }
  catch (const std::exception & error)
  {
    itkGenericExceptionMacro(<< what << " failed: " << messageOf(error));
  }
}

} // namespace cradl

#endif
