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
#ifndef itkIntensityZScoreImageFilter_h
#define itkIntensityZScoreImageFilter_h

#include "itkImageToImageFilter.h"

namespace itk
{

/** \class IntensityZScoreImageFilter
 * \brief The intensity baseline every anomaly map is compared with:
 * |x - mean| / std of the scan's intensities inside the brain.
 *
 * Mean and (population) standard deviation are taken over the brain: the
 * mask's non-zero pixels, or without a mask the non-zero pixels of the scan
 * (skull-stripped scans are 0 outside the brain). Outside the brain the
 * output is 0. A map that does not beat this one at outlining anomalies
 * finds nothing that a threshold on intensity would not.
 *
 * \sa CradlEvaluation
 * \ingroup Cradl
 */
template <typename TInputImage, typename TMaskImage = Image<unsigned char, TInputImage::ImageDimension>>
class ITK_TEMPLATE_EXPORT IntensityZScoreImageFilter
  : public ImageToImageFilter<TInputImage, Image<float, TInputImage::ImageDimension>>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(IntensityZScoreImageFilter);

  static constexpr unsigned int ImageDimension = TInputImage::ImageDimension;
  using InputImageType = TInputImage;
  using MaskImageType = TMaskImage;
  using OutputImageType = Image<float, ImageDimension>;

  using Self = IntensityZScoreImageFilter;
  using Superclass = ImageToImageFilter<InputImageType, OutputImageType>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkNewMacro(Self);
  itkTypeMacro(IntensityZScoreImageFilter, ImageToImageFilter);

  itkSetInputMacro(MaskImage, MaskImageType);
  itkGetInputMacro(MaskImage, MaskImageType);

  /** Mean and standard deviation inside the brain, after Update(). */
  itkGetConstMacro(BrainMean, double);
  itkGetConstMacro(BrainStandardDeviation, double);

protected:
  IntensityZScoreImageFilter() = default;
  ~IntensityZScoreImageFilter() override = default;
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
  double m_BrainMean{ 0.0 };
  double m_BrainStandardDeviation{ 0.0 };
};

} // namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkIntensityZScoreImageFilter.hxx"
#endif

#endif
