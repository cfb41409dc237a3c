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
#ifndef itkRepresentationPatchDensityImageFilter_h
#define itkRepresentationPatchDensityImageFilter_h

#include "CradlExport.h"
#include "itkCradlEncoderScoreImageFilter.h"
#include "itkCradlSliceSelection.h"

#include <string>
#include <vector>

namespace itk
{

/** The engine of RepresentationPatchDensityImageFilter, for preprocessed
 * slices (one slice, or a stack along the last axis): the patch map on the
 * slices' grid; `sliceNLL` gets -log p(f(x)) per slice. Forward passes only.
 * A stack's `frames` (CradlBrainSliceFrames of its brain mask), when given,
 * let a density with position cells score each position under its cell's
 * Gaussian; without them (and for one slice, whose depth is unknown) every
 * position is scored under the pooled Gaussian.
 * Throws ExceptionObject when the mixture has no patch density or scoring fails.
 * \ingroup Cradl */
Cradl_EXPORT Image<float, 2>::Pointer
CradlScorePreprocessedSlicesByPatchDensity(const ContrastiveEncoderModel & encoder,
                                           const GaussianMixtureModel &    mixture,
                                           const Image<float, 2> *         slices,
                                           const std::string &             device,
                                           unsigned int                    batchSize,
                                           std::vector<double> &           sliceNLL);
Cradl_EXPORT Image<float, 3>::Pointer
CradlScorePreprocessedSlicesByPatchDensity(const ContrastiveEncoderModel & encoder,
                                           const GaussianMixtureModel &    mixture,
                                           const Image<float, 3> *         slices,
                                           const std::string &             device,
                                           unsigned int                    batchSize,
                                           std::vector<double> &           sliceNLL,
                                           const std::vector<CradlSliceFrame> & frames = {});

/** \class RepresentationPatchDensityImageFilter
 * \brief Dense anomaly scores from the encoder's intermediate feature maps:
 * each position's Mahalanobis distance under the Gaussian of healthy brain
 * positions of its layer (GaussianMixtureFitter's patch density), upsampled
 * to the slice grid, standardised by its mean and standard deviation on
 * healthy brain pixels and averaged over the layers: the map says by how
 * many healthy standard deviations a pixel's neighbourhood is further from
 * healthy tissue than healthy tissue is (negative where it is closer). When
 * the density has position cells (GaussianMixtureFitter::PatchPositionGrid),
 * a volume's positions are scored under the Gaussian of their cell (in-plane
 * place in the brain's bounding box, slice depth), so that tissue in the
 * wrong place stands out; a single 2D slice uses the pooled Gaussian.
 *
 * Forward passes only (several times faster than the gradient map); the
 * frame (preprocessing, slice grid, back onto the input's grid, slice NLL) is
 * CradlEncoderScoreImageFilter's. The mixture must carry a patch density
 * (GaussianMixtureModel::HasPatchDensity()).
 *
 * \sa RepresentationNLLGradientImageFilter, GaussianMixtureFitter
 * \ingroup Cradl
 */
template <typename TInputImage, typename TMaskImage = Image<unsigned char, TInputImage::ImageDimension>>
class ITK_TEMPLATE_EXPORT RepresentationPatchDensityImageFilter
  : public CradlEncoderScoreImageFilter<TInputImage, TMaskImage>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(RepresentationPatchDensityImageFilter);

  using Self = RepresentationPatchDensityImageFilter;
  using Superclass = CradlEncoderScoreImageFilter<TInputImage, TMaskImage>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;
  using typename Superclass::SliceImageType;

  itkNewMacro(Self);
  itkTypeMacro(RepresentationPatchDensityImageFilter, CradlEncoderScoreImageFilter);

protected:
  RepresentationPatchDensityImageFilter() = default;
  ~RepresentationPatchDensityImageFilter() override = default;
  void
  VerifyPreconditions() ITKv5_CONST override
  {
    Superclass::VerifyPreconditions();
    if (!this->GetMixture()->HasPatchDensity())
    {
      itkExceptionMacro(<< "the mixture has no patch density: fit it with GaussianMixtureFitter from scans "
                           "(PatchDensityLayers not empty), or use the gradient map");
    }
  }
  typename SliceImageType::Pointer
  ScorePreprocessedSlices(const SliceImageType * slices, std::vector<double> & sliceNLL) override
  {
    if constexpr (Superclass::ImageDimension == 3)
    {
      return CradlScorePreprocessedSlicesByPatchDensity(*this->GetEncoder(), *this->GetMixture(), slices,
                                                        this->GetDevice(), this->GetBatchSize(), sliceNLL,
                                                        CradlBrainSliceFrames(this->GetSliceMask()));
    }
    else
    {
      return CradlScorePreprocessedSlicesByPatchDensity(*this->GetEncoder(), *this->GetMixture(), slices,
                                                        this->GetDevice(), this->GetBatchSize(), sliceNLL);
    }
  }
};

} // namespace itk

#endif
