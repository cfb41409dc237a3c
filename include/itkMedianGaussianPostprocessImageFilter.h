/*=========================================================================
 *
 *  Copyright NumFOCUS
 *
 *  Licensed under the Apache License, Version 2.0 (the "License");
 *  you may not use this file except in compliance with the License.
 *  You may obtain a copy of the License at
 *
 *         http://www.apache.org/licenses/LICENSE-2.0.txt
 *
 *  Unless required by applicable law or agreed to in writing, software
 *  distributed under the License is distributed on an "AS IS" BASIS,
 *  WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 *  See the License for the specific language governing permissions and
 *  limitations under the License.
 *
 *=========================================================================*/
#ifndef itkMedianGaussianPostprocessImageFilter_h
#define itkMedianGaussianPostprocessImageFilter_h

#include "cradlDefaults.h"
#include "itkCradlSetRangeMacro.h"
#include "itkImageToImageFilter.h"
#include "itkMaskImageFilter.h"
#include "itkMirrorPadImageFilter.h"
#include "itkPlanarMedianImageFilter.h"

#include <vector>

namespace itk
{

/** \class MedianGaussianPostprocessImageFilter
 * \brief CRADL's post-processing of anomaly maps: zero outside the brain, 2D
 * median, 2D Gaussian, slice by slice.
 *
 * -# voxels outside MaskImage (when given; non-zero = brain) are set to 0;
 * -# a median over (2 MedianRadius + 1)^2 pixels in each slice (default
 *    radius 2: 5 x 5);
 * -# a Gaussian of GaussianSigma (default 3) pixels, sampled on
 *    (2 GaussianRadius + 1)^2 pixels (default 7 x 7) and normalised to sum 1,
 *    separably along x and y.
 * Both filters work in the slice plane only (the first two axes; a 3D volume
 * is a stack of slices along the third) and treat the border as scipy.ndimage's
 * mode "reflect" does (d c b a | a b c d | d c b a), so the result equals
 * scipy.ndimage.median_filter followed by gaussian_filter(sigma, truncate =
 * radius / sigma) on each slice. It is a mini-pipeline of ITK's own filters:
 * MaskImageFilter, MirrorPadImageFilter, two NeighborhoodOperatorImageFilters
 * and ExtractImageFilter; the median is PlanarMedianImageFilter (ITK's
 * MedianImageFilter was 7x slower here).
 * The masking, padding and median stages are kept between updates: run again
 * with another GaussianSigma, the filter smooths the median it already has
 * (MixtureModelSelector tries several sigmas on one map this way). The input
 * is never modified.
 *
 * \ingroup Cradl
 */
template <typename TImage, typename TMaskImage = Image<unsigned char, TImage::ImageDimension>>
class ITK_TEMPLATE_EXPORT MedianGaussianPostprocessImageFilter : public ImageToImageFilter<TImage, TImage>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(MedianGaussianPostprocessImageFilter);

  static constexpr unsigned int ImageDimension = TImage::ImageDimension;
  static_assert(ImageDimension == 2 || ImageDimension == 3, "slices (2D) or volumes of slices (3D)");

  using Self = MedianGaussianPostprocessImageFilter;
  using Superclass = ImageToImageFilter<TImage, TImage>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  using ImageType = TImage;
  using MaskImageType = TMaskImage;

  itkNewMacro(Self);
  itkTypeMacro(MedianGaussianPostprocessImageFilter, ImageToImageFilter);

  itkSetInputMacro(MaskImage, MaskImageType);
  itkGetInputMacro(MaskImage, MaskImageType);

  /** Radius of the median (0 = none), at most cradl::limits::MaximumMedianRadius. */
  cradlSetInRangeMacro(MedianRadius, unsigned int, 0u, cradl::limits::MaximumMedianRadius);
  itkGetConstMacro(MedianRadius, unsigned int);
  /** Sigma of the Gaussian in pixels, from cradl::limits::MinimumGaussianSigma to MaximumGaussianSigma. */
  cradlSetInRangeMacro(GaussianSigma, double, cradl::limits::MinimumGaussianSigma, cradl::limits::MaximumGaussianSigma);
  itkGetConstMacro(GaussianSigma, double);
  /** Half width of the Gaussian's kernel, at most cradl::limits::MaximumGaussianRadius. */
  cradlSetInRangeMacro(GaussianRadius, unsigned int, 0u, cradl::limits::MaximumGaussianRadius);
  itkGetConstMacro(GaussianRadius, unsigned int);

  /** The normalised 1D Gaussian weights, from -GaussianRadius to +GaussianRadius. */
  std::vector<double>
  GetGaussianKernel() const;

protected:
  MedianGaussianPostprocessImageFilter();
  ~MedianGaussianPostprocessImageFilter() override = default;

  void
  PrintSelf(std::ostream & os, Indent indent) const override;
  void
  VerifyInputInformation() ITKv5_CONST override;
  void
  GenerateInputRequestedRegion() override;
  void
  EnlargeOutputRequestedRegion(DataObject * output) override;
  void
  GenerateData() override;

private:
  using MaskerType = MaskImageFilter<ImageType, MaskImageType, ImageType>;
  using PadderType = MirrorPadImageFilter<ImageType, ImageType>;
  using MedianType = PlanarMedianImageFilter<ImageType>;

  unsigned int m_MedianRadius{ cradl::defaults::MedianRadius };
  double       m_GaussianSigma{ cradl::defaults::GaussianSigma };
  unsigned int m_GaussianRadius{ cradl::defaults::GaussianRadius };
  // The stages before the Gaussian, kept so that an update that changes only
  // the Gaussian does not run them again (their own pipeline decides).
  typename MaskerType::Pointer         m_Masker;
  typename PadderType::Pointer         m_Padder;
  SmartPointer<MedianType>             m_Median;
};

} // namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkMedianGaussianPostprocessImageFilter.hxx"
#endif

#endif
