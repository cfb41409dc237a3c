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
#ifndef itkRepresentationNLLGradientImageFilter_h
#define itkRepresentationNLLGradientImageFilter_h

#include "CradlExport.h"
#include "cradlDefaults.h"
#include "itkContrastiveEncoderModel.h"
#include "itkGaussianMixtureModel.h"
#include "itkImageToImageFilter.h"

#include <string>
#include <vector>

namespace itk
{

/** The engine of RepresentationNLLGradientImageFilter, for slices already
 * preprocessed (CradlPreprocessImageFilter's output with the encoder's slice
 * size and clip range: one slice, or a stack along the last axis). Returns
 * |d(-log p(f(x)))/dx| on the slices' grid and sets `sliceNLL` to -log p(f(x))
 * per slice; BatchSize slices per backward pass on `device`. Throws
 * ExceptionObject with the reason when scoring fails.
 * \ingroup Cradl */
Cradl_EXPORT Image<float, 2>::Pointer
CradlScorePreprocessedSlices(const ContrastiveEncoderModel & encoder,
                             const GaussianMixtureModel &    mixture,
                             const Image<float, 2> *         slices,
                             const std::string &             device,
                             unsigned int                    batchSize,
                             bool                            mixedPrecision,
                             std::vector<double> &           sliceNLL);
Cradl_EXPORT Image<float, 3>::Pointer
CradlScorePreprocessedSlices(const ContrastiveEncoderModel & encoder,
                             const GaussianMixtureModel &    mixture,
                             const Image<float, 3> *         slices,
                             const std::string &             device,
                             unsigned int                    batchSize,
                             bool                            mixedPrecision,
                             std::vector<double> &           sliceNLL);

/** \class RepresentationNLLGradientImageFilter
 * \brief CRADL's anomaly map: the absolute gradient, with respect to the
 * image, of the representation's negative log-likelihood.
 *
 * The input (a 2D slice or a 3D volume of axial slices) and its brain mask go
 * through CradlPreprocessImageFilter with the encoder's slice size and clip
 * range; each slice x gives the slice score -log p(f(x)) (GetSliceNLL(), one
 * value per slice along the last axis) and the map |d(-log p(f(x)))/dx| on the
 * slice grid (GetSliceMap()), which SliceMapToScanImageFilter brings back onto
 * the input's grid: the output has the input's size, spacing, origin and
 * direction. The encoder runs in eval mode, so the NLL of a batch of slices
 * is summed and back-propagated once (BatchSize slices per pass) on Device.
 * Post-processing (mask, median, Gaussian) is MedianGaussianPostprocessImageFilter's.
 *
 * \sa ContrastiveEncoderModel, GaussianMixtureModel, MedianGaussianPostprocessImageFilter
 * \ingroup Cradl
 */
template <typename TInputImage, typename TMaskImage = Image<unsigned char, TInputImage::ImageDimension>>
class ITK_TEMPLATE_EXPORT RepresentationNLLGradientImageFilter
  : public ImageToImageFilter<TInputImage, Image<float, TInputImage::ImageDimension>>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(RepresentationNLLGradientImageFilter);

  static constexpr unsigned int ImageDimension = TInputImage::ImageDimension;
  using InputImageType = TInputImage;
  using MaskImageType = TMaskImage;
  using OutputImageType = Image<float, ImageDimension>;

  using Self = RepresentationNLLGradientImageFilter;
  using Superclass = ImageToImageFilter<InputImageType, OutputImageType>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkNewMacro(Self);
  itkTypeMacro(RepresentationNLLGradientImageFilter, ImageToImageFilter);

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
  /** bfloat16 autocast for the encoder (default off): ~1.9x faster on CPUs
   *  with AVX512-BF16, maps within ~5-10% (relative L2) of float32. */
  itkSetMacro(MixedPrecision, bool);
  itkGetConstMacro(MixedPrecision, bool);
  itkBooleanMacro(MixedPrecision);

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
  RepresentationNLLGradientImageFilter();
  ~RepresentationNLLGradientImageFilter() override = default;
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

private:
  unsigned int                      m_BatchSize{ cradl::defaults::ScoringBatchSize };
  std::string                       m_Device{ "cpu" };
  bool                              m_MixedPrecision{ cradl::defaults::ScoringMixedPrecision };
  std::vector<double>               m_SliceNLL;
  typename OutputImageType::Pointer m_SliceMap;
  typename MaskImageType::Pointer   m_SliceMask;
};

} // namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkRepresentationNLLGradientImageFilter.hxx"
#endif

#endif
