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
#include "itkCradlEncoderScoreImageFilter.h"
#include "itkGaussianMixtureModel.h"

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
 * Each preprocessed slice x (see CradlEncoderScoreImageFilter) gives the
 * slice score -log p(f(x)) (GetSliceNLL()) and the map |d(-log p(f(x)))/dx|
 * on the slice grid (GetSliceMap()), brought back onto the input's grid. The
 * encoder runs in eval mode, so the NLL of a batch of slices is summed and
 * back-propagated once (BatchSize slices per pass) on Device.
 * Post-processing (mask, median, Gaussian) is MedianGaussianPostprocessImageFilter's.
 *
 * \sa ContrastiveEncoderModel, GaussianMixtureModel, RepresentationPatchDensityImageFilter
 * \ingroup Cradl
 */
template <typename TInputImage, typename TMaskImage = Image<unsigned char, TInputImage::ImageDimension>>
class ITK_TEMPLATE_EXPORT RepresentationNLLGradientImageFilter
  : public CradlEncoderScoreImageFilter<TInputImage, TMaskImage>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(RepresentationNLLGradientImageFilter);

  using Self = RepresentationNLLGradientImageFilter;
  using Superclass = CradlEncoderScoreImageFilter<TInputImage, TMaskImage>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  using typename Superclass::SliceImageType;

  itkNewMacro(Self);
  itkTypeMacro(RepresentationNLLGradientImageFilter, CradlEncoderScoreImageFilter);

  /** bfloat16 autocast for the encoder (default off): ~1.9x faster on CPUs
   *  with AVX512-BF16, maps within ~5-10% (relative L2) of float32. */
  itkSetMacro(MixedPrecision, bool);
  itkGetConstMacro(MixedPrecision, bool);
  itkBooleanMacro(MixedPrecision);

protected:
  RepresentationNLLGradientImageFilter() = default;
  ~RepresentationNLLGradientImageFilter() override = default;
  void
  PrintSelf(std::ostream & os, Indent indent) const override
  {
    Superclass::PrintSelf(os, indent);
    os << indent << "MixedPrecision: " << (m_MixedPrecision ? "On" : "Off") << std::endl;
  }
  typename SliceImageType::Pointer
  ScorePreprocessedSlices(const SliceImageType * slices, std::vector<double> & sliceNLL) override
  {
    return CradlScorePreprocessedSlices(*this->GetEncoder(), *this->GetMixture(), slices, this->GetDevice(),
                                        this->GetBatchSize(), m_MixedPrecision, sliceNLL);
  }

private:
  bool m_MixedPrecision{ cradl::defaults::ScoringMixedPrecision };
};

} // namespace itk

#endif
