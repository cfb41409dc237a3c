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
#ifndef itkAnomalyMapFusionImageFilter_h
#define itkAnomalyMapFusionImageFilter_h

#include "itkImageToImageFilter.h"

#include <vector>

namespace itk
{

/** \class AnomalyMapFusionImageFilter
 * \brief Combines anomaly maps of one scan that are on different scales
 * (a gradient, a patch distance, an intensity deviation) into one map.
 *
 * Each input is standardised on the scan's own brain (the mask's non-zero
 * pixels; every pixel without a mask): x -> (x - median) / IQR, with median
 * and interquartile range as NumPy's percentile computes them (linear
 * interpolation between order statistics; an IQR of 0 counts as 1). Robust
 * statistics keep the anomaly itself, a small part of the brain, from setting
 * the scale, and need no label. The output is the mean of the standardised
 * inputs in the brain; outside it, the smallest value inside, so that the
 * background never outranks brain tissue.
 *
 * \sa CradlScanScorer, IntensityZScoreImageFilter
 * \ingroup Cradl
 */
template <typename TImage, typename TMaskImage = Image<unsigned char, TImage::ImageDimension>>
class ITK_TEMPLATE_EXPORT AnomalyMapFusionImageFilter : public ImageToImageFilter<TImage, TImage>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(AnomalyMapFusionImageFilter);

  static constexpr unsigned int ImageDimension = TImage::ImageDimension;
  using ImageType = TImage;
  using MaskImageType = TMaskImage;

  using Self = AnomalyMapFusionImageFilter;
  using Superclass = ImageToImageFilter<ImageType, ImageType>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkNewMacro(Self);
  itkTypeMacro(AnomalyMapFusionImageFilter, ImageToImageFilter);

  /** The i-th map to combine (inputs 0, 1, ...). */
  void
  SetMap(unsigned int index, const ImageType * map)
  {
    this->SetNthInput(index, const_cast<ImageType *>(map));
  }
  void
  SetMaskImage(const MaskImageType * mask)
  {
    this->ProcessObject::SetInput("MaskImage", const_cast<MaskImageType *>(mask));
  }
  const MaskImageType *
  GetMaskImage() const
  {
    return static_cast<const MaskImageType *>(this->ProcessObject::GetInput("MaskImage"));
  }

  /** Each input's median and interquartile range in the brain, after Update(). */
  const std::vector<double> &
  GetMedians() const
  {
    return m_Medians;
  }
  const std::vector<double> &
  GetInterquartileRanges() const
  {
    return m_InterquartileRanges;
  }

  /** NumPy's percentile (linear interpolation) of `values` (reordered). */
  static double
  Percentile(std::vector<float> & values, double percent);

protected:
  AnomalyMapFusionImageFilter() = default;
  ~AnomalyMapFusionImageFilter() override = default;
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
  std::vector<double> m_Medians;
  std::vector<double> m_InterquartileRanges;
};

} // namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkAnomalyMapFusionImageFilter.hxx"
#endif

#endif
