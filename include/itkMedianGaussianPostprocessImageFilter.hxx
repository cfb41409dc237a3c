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
#include "itkTotalProgressReporter.h"
#include "itkMirrorPadImageFilter.h"
#include "itkNeighborhoodOperator.h"
#include "itkNeighborhoodOperatorImageFilter.h"
#include "itkImageRegionConstIteratorWithIndex.h"
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
/** Median over (2r+1)^2 pixels in each slice of an image padded by at least r
 *  in-plane; the output is the input's region shrunk by r. ITK's
 *  MedianImageFilter does the same through a neighborhood iterator and was
 *  the bottleneck (7x slower); this reads rows through raw pointers. */
template <typename TImage>
class PlanarMedianImageFilter : public ImageToImageFilter<TImage, TImage>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(PlanarMedianImageFilter);
  using Self = PlanarMedianImageFilter;
  using Superclass = ImageToImageFilter<TImage, TImage>;
  using Pointer = SmartPointer<Self>;
  itkNewMacro(Self);
  itkTypeMacro(PlanarMedianImageFilter, ImageToImageFilter);
  itkSetMacro(Radius, unsigned int);

protected:
  PlanarMedianImageFilter() { this->DynamicMultiThreadingOn(); }
  ~PlanarMedianImageFilter() override = default;

  void
  GenerateOutputInformation() override
  {
    Superclass::GenerateOutputInformation();
    auto region = this->GetInput()->GetLargestPossibleRegion();
    for (unsigned int axis = 0; axis < 2; ++axis)
    {
      region.SetIndex(axis, region.GetIndex(axis) + m_Radius);
      region.SetSize(axis, region.GetSize(axis) - 2 * m_Radius);
    }
    this->GetOutput()->SetLargestPossibleRegion(region);
  }
  void
  GenerateInputRequestedRegion() override
  {
    const_cast<TImage *>(this->GetInput())->SetRequestedRegionToLargestPossibleRegion();
  }
  void
  DynamicThreadedGenerateData(const typename TImage::RegionType & region) override
  {
    using Pixel = typename TImage::PixelType;
    const TImage *      input = this->GetInput();
    TImage *            output = this->GetOutput();
    const int           r = static_cast<int>(m_Radius);
    const std::size_t   window = static_cast<std::size_t>((2 * r + 1) * (2 * r + 1));
    const auto          rowStride = static_cast<std::ptrdiff_t>(input->GetOffsetTable()[1]);
    std::vector<Pixel>  values(window);
    TotalProgressReporter progress(this, output->GetRequestedRegion().GetNumberOfPixels());
    const auto          width = region.GetSize(0);
    auto                rowRegion = region;
    rowRegion.SetSize(0, 1);
    for (ImageRegionConstIteratorWithIndex<TImage> rows(output, rowRegion); !rows.IsAtEnd(); ++rows)
    {
      const auto     start = rows.GetIndex();
      const Pixel *  center = input->GetBufferPointer() + input->ComputeOffset(start);
      Pixel *        out = output->GetBufferPointer() + output->ComputeOffset(start);

      SizeValueType x = 0;
      for (; r <= MaximumLanesRadius && x + Lanes <= width; x += Lanes)
      {
        medianOfLanes(center + x, rowStride, r, out + x);
      }
      for (; x < width; ++x)
      {
        std::size_t n = 0;
        for (int dy = -r; dy <= r; ++dy)
        {
          for (int dx = -r; dx <= r; ++dx)
          {
            values[n++] = center[x + dy * rowStride + dx];
          }
        }
        std::nth_element(values.begin(), values.begin() + window / 2, values.end());
        out[x] = values[window / 2];
      }
      progress.Completed(width);
    }
  }

private:
  static constexpr std::size_t Lanes = 16;
  // medianOfLanes keeps n/2 + 2 of the n = (2r + 1)^2 window values in a
  // fixed array of 64 rows: r <= 5. Larger windows take the scalar path.
  static constexpr int MaximumLanesRadius = 5;
  using Pixel = typename TImage::PixelType;

  // Medians of Lanes neighbouring pixels at once by forgetful selection: keep
  // n/2 + 2 of the n window values, repeatedly move the smallest and largest
  // to the ends and drop them while taking in the next value; the 3 left hold
  // the median. Only min/max over lanes, which the compiler vectorises.
  static void
  medianOfLanes(const Pixel * center, std::ptrdiff_t rowStride, int r, Pixel * out)
  {
    const int   side = 2 * r + 1;
    const int   n = side * side;
    int         kept = n / 2 + 2;
    if (n == 1)
    {
      std::copy(center, center + Lanes, out);
      return;
    }
    Pixel set[64][Lanes]; // window values not yet discarded: r <= MaximumLanesRadius, n <= 121, kept <= 62
    int   next = 0;
    const auto load = [&](int index, Pixel * lanes) {
      const Pixel * source = center + (index / side - r) * rowStride + (index % side - r);
      std::copy(source, source + Lanes, lanes);
    };
    for (; next < kept; ++next)
    {
      load(next, set[next]);
    }
    const auto exchange = [](Pixel * low, Pixel * high) {
      for (std::size_t lane = 0; lane < Lanes; ++lane)
      {
        const Pixel a = low[lane];
        const Pixel b = high[lane];
        low[lane] = std::min(a, b);
        high[lane] = std::max(a, b);
      }
    };
    for (;;)
    {
      for (int i = 1; i < kept; ++i)
      {
        exchange(set[0], set[i]); // smallest to the front
      }
      for (int i = 1; i < kept - 1; ++i)
      {
        exchange(set[i], set[kept - 1]); // largest to the back
      }
      if (next == n)
      {
        break;
      }
      load(next++, set[0]); // the smallest makes room for the next value
      --kept;               // and the largest is dropped
    }
    // kept == 3 here, ordered min, ?, max: the middle one is the median.
    std::copy(set[1], set[1] + Lanes, out);
  }

  unsigned int m_Radius{ 2 };
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
