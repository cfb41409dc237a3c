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
#ifndef itkCradlEncoderScoreImageFilter_h
#define itkCradlEncoderScoreImageFilter_h

#include "CradlExport.h"
#include "cradlDefaults.h"
#include "itkContrastiveEncoderModel.h"
#include "itkGaussianMixtureModel.h"
#include "itkImageToImageFilter.h"

#include <string>
#include <vector>

namespace itk
{

/** \class CradlEncoderScoreImageFilter
 * \brief The common frame of the maps computed from the trained encoder and
 * the fitted density: RepresentationNLLGradientImageFilter (the paper's
 * gradient map) and RepresentationPatchDensityImageFilter (dense patch scores).
 *
 * The input (a 2D slice or a 3D volume of axial slices) and its brain mask go
 * through CradlPreprocessImageFilter with the encoder's slice size and clip
 * range; a subclass scores the preprocessed slices (ScorePreprocessedSlices:
 * the map on the slice grid, GetSliceMap(), and -log p(f(x)) per slice,
 * GetSliceNLL()); SliceMapToScanImageFilter brings the map back onto the
 * input's grid, so the output has the input's size, spacing, origin and
 * direction. Work runs on Device, BatchSize slices at a time.
 *
 * \sa CradlScanScorer, MedianGaussianPostprocessImageFilter
 * \ingroup Cradl
 */
template <typename TInputImage, typename TMaskImage = Image<unsigned char, TInputImage::ImageDimension>>
class ITK_TEMPLATE_EXPORT CradlEncoderScoreImageFilter
  : public ImageToImageFilter<TInputImage, Image<float, TInputImage::ImageDimension>>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(CradlEncoderScoreImageFilter);

  static constexpr unsigned int ImageDimension = TInputImage::ImageDimension;
  using InputImageType = TInputImage;
  using MaskImageType = TMaskImage;
  using OutputImageType = Image<float, ImageDimension>;
  using SliceImageType = Image<float, ImageDimension>;

  using Self = CradlEncoderScoreImageFilter;
  using Superclass = ImageToImageFilter<InputImageType, OutputImageType>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkTypeMacro(CradlEncoderScoreImageFilter, ImageToImageFilter);

  itkSetInputMacro(MaskImage, MaskImageType);
  itkGetInputMacro(MaskImage, MaskImageType);

  void
  SetEncoder(const ContrastiveEncoderModel * encoder)
  {
    this->ProcessObject::SetInput("Encoder", const_cast<ContrastiveEncoderModel *>(encoder));
  }
  const ContrastiveEncoderModel *
  GetEncoder() const
  {
    return static_cast<const ContrastiveEncoderModel *>(this->ProcessObject::GetInput("Encoder"));
  }
  void
  SetMixture(const GaussianMixtureModel * mixture)
  {
    this->ProcessObject::SetInput("Mixture", const_cast<GaussianMixtureModel *>(mixture));
  }
  const GaussianMixtureModel *
  GetMixture() const
  {
    return static_cast<const GaussianMixtureModel *>(this->ProcessObject::GetInput("Mixture"));
  }

  itkSetMacro(BatchSize, unsigned int);
  itkGetConstMacro(BatchSize, unsigned int);
  itkSetStringMacro(Device);
  itkGetStringMacro(Device);

  /** -log p(f(x)) per slice (last axis; one value for 2D), after Update(). */
  const std::vector<double> &
  GetSliceNLL() const
  {
    return m_SliceNLL;
  }
  /** The map on the slice grid, and the brain mask there, after Update(). */
  const OutputImageType *
  GetSliceMap() const
  {
    return m_SliceMap;
  }
  const MaskImageType *
  GetSliceMask() const
  {
    return m_SliceMask;
  }

protected:
  CradlEncoderScoreImageFilter();
  ~CradlEncoderScoreImageFilter() override = default;
  void
  PrintSelf(std::ostream & os, Indent indent) const override;
  void
  VerifyPreconditions() ITKv5_CONST override;
  void
  VerifyInputInformation() ITKv5_CONST override;
  void
  GenerateInputRequestedRegion() override;
  void
  EnlargeOutputRequestedRegion(DataObject * output) override;
  void
  GenerateData() override;

  /** The map of preprocessed `slices` on their grid; sets `sliceNLL`. */
  virtual typename SliceImageType::Pointer
  ScorePreprocessedSlices(const SliceImageType * slices, std::vector<double> & sliceNLL) = 0;

private:
  unsigned int                      m_BatchSize{ cradl::defaults::ScoringBatchSize };
  std::string                       m_Device{ "cpu" };
  std::vector<double>               m_SliceNLL;
  typename OutputImageType::Pointer m_SliceMap;
  typename MaskImageType::Pointer   m_SliceMask;
};

} // namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkCradlEncoderScoreImageFilter.hxx"
#endif

#endif
