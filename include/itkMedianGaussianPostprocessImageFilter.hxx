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
#ifndef itkMedianGaussianPostprocessImageFilter_hxx
#define itkMedianGaussianPostprocessImageFilter_hxx

#include "itkCradlGeometry.h"
#include "itkExtractImageFilter.h"
#include "itkMaskImageFilter.h"
#include "itkMirrorPadImageFilter.h"
#include "itkNeighborhoodOperator.h"
#include "itkNeighborhoodOperatorImageFilter.h"
#include "itkProgressAccumulator.h"

#include <algorithm>
#include <cmath>

namespace itk
{

namespace cradl_detail
{
/** A 1D operator with given coefficients along one axis. */
template <unsigned int VDimension>
class FixedCoefficientsOperator : public NeighborhoodOperator<double, VDimension>
{
public:
  using Superclass = NeighborhoodOperator<double, VDimension>;
  using CoefficientVector = typename Superclass::CoefficientVector;

  explicit FixedCoefficientsOperator(std::vector<double> coefficients)
    : m_Coefficients(std::move(coefficients))
  {}

protected:
  CoefficientVector
  GenerateCoefficients() override
  {
    return CoefficientVector(m_Coefficients.begin(), m_Coefficients.end());
  }
  void
  Fill(const CoefficientVector & coefficients) override
  {
    this->FillCenteredDirectional(coefficients);
  }

private:
  std::vector<double> m_Coefficients;
};
} // namespace cradl_detail

template <typename TImage, typename TMaskImage>
MedianGaussianPostprocessImageFilter<TImage, TMaskImage>::MedianGaussianPostprocessImageFilter()
  : m_Masker(MaskerType::New())
  , m_Padder(PadderType::New())
  , m_Median(MedianType::New())
{
  this->SetNumberOfRequiredInputs(1);
  // ITK's MaskImageFilter would mask the caller's image in place.
  m_Masker->InPlaceOff();
}

template <typename TImage, typename TMaskImage>
std::vector<double>
MedianGaussianPostprocessImageFilter<TImage, TMaskImage>::GetGaussianKernel() const
{
  const int           radius = static_cast<int>(m_GaussianRadius);
  std::vector<double> weights;
  double              sum = 0.0;
  for (int x = -radius; x <= radius; ++x)
  {
    weights.push_back(std::exp(-0.5 * x * x / (m_GaussianSigma * m_GaussianSigma)));
    sum += weights.back();
  }
  for (double & weight : weights)
  {
    weight /= sum;
  }
  return weights;
}

template <typename TImage, typename TMaskImage>
void
MedianGaussianPostprocessImageFilter<TImage, TMaskImage>::VerifyInputInformation() ITKv5_CONST
{
  CradlVerifyMaskGrid<ImageDimension>(this->GetInput(), this->GetMaskImage(), "map");
}

template <typename TImage, typename TMaskImage>
void
MedianGaussianPostprocessImageFilter<TImage, TMaskImage>::GenerateInputRequestedRegion()
{
  Superclass::GenerateInputRequestedRegion();
  CradlRequestWholeImages(const_cast<ImageType *>(this->GetInput()), const_cast<MaskImageType *>(this->GetMaskImage()));
}

template <typename TImage, typename TMaskImage>
void
MedianGaussianPostprocessImageFilter<TImage, TMaskImage>::EnlargeOutputRequestedRegion(DataObject * output)
{
  Superclass::EnlargeOutputRequestedRegion(output);
  output->SetRequestedRegionToLargestPossibleRegion();
}

template <typename TImage, typename TMaskImage>
void
MedianGaussianPostprocessImageFilter<TImage, TMaskImage>::GenerateData()
{
  auto progress = ProgressAccumulator::New();
  progress->SetMiniPipelineFilter(this);

  typename ImageType::ConstPointer masked = this->GetInput();
  if (const MaskImageType * mask = this->GetMaskImage())
  {
    m_Masker->SetInput(this->GetInput());
    m_Masker->SetMaskImage(mask);
    progress->RegisterInternalFilter(m_Masker, 0.05f);
    m_Masker->Update();
    masked = m_Masker->GetOutput();
  }

  // One mirror padding serves both filters: the median of a padded image
  // stays mirror-symmetric far enough into the pad for the Gaussian.
  typename ImageType::SizeType pad;
  pad.Fill(0);
  pad[0] = pad[1] = m_MedianRadius + m_GaussianRadius;
  m_Padder->SetInput(masked);
  m_Padder->SetPadBound(pad);
  progress->RegisterInternalFilter(m_Padder, 0.05f);

  m_Median->SetRadius(m_MedianRadius);
  m_Median->SetInput(m_Padder->GetOutput());
  progress->RegisterInternalFilter(m_Median, 0.7f);

  using Smoother = NeighborhoodOperatorImageFilter<ImageType, ImageType, double>;
  typename Smoother::Pointer smoothed[2];
  typename ImageType::ConstPointer previous = m_Median->GetOutput();
  for (unsigned int axis = 0; axis < 2; ++axis)
  {
    cradl_detail::FixedCoefficientsOperator<ImageDimension> gaussian(GetGaussianKernel());
    gaussian.SetDirection(axis);
    gaussian.CreateDirectional();
    smoothed[axis] = Smoother::New();
    smoothed[axis]->SetOperator(gaussian);
    smoothed[axis]->SetInput(previous);
    progress->RegisterInternalFilter(smoothed[axis], 0.1f);
    previous = smoothed[axis]->GetOutput();
  }

  using Cropper = ExtractImageFilter<ImageType, ImageType>;
  auto cropper = Cropper::New();
  cropper->SetInput(smoothed[1]->GetOutput());
  cropper->SetExtractionRegion(this->GetInput()->GetLargestPossibleRegion());
  cropper->SetDirectionCollapseToIdentity();
  cropper->GraftOutput(this->GetOutput());
  cropper->Update();
  this->GraftOutput(cropper->GetOutput());
}

template <typename TImage, typename TMaskImage>
void
MedianGaussianPostprocessImageFilter<TImage, TMaskImage>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "MedianRadius: " << m_MedianRadius << std::endl;
  os << indent << "GaussianSigma: " << m_GaussianSigma << std::endl;
  os << indent << "GaussianRadius: " << m_GaussianRadius << std::endl;
}

} // namespace itk

#endif
