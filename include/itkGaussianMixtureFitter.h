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
#ifndef itkGaussianMixtureFitter_h
#define itkGaussianMixtureFitter_h

#include "CradlExport.h"
#include "itkCradlSettingMacros.h"
#include "itkContrastiveEncoderModel.h"
#include "itkGaussianMixtureModel.h"
#include "itkImage.h"
#include "itkProcessObject.h"

#include <string>
#include <vector>

namespace itk
{

/** \class GaussianMixtureFitter
 * \brief Stage 2 of CRADL: fits a Gaussian mixture to the encoder's
 * representations of healthy slices.
 *
 * Input: the trained encoder (SetEncoder) and healthy scans with brain masks
 * (AddScan); each scan is preprocessed as for training (the encoder's slice
 * size and clip range; slices with less than MinimumBrainFraction brain
 * skipped) and every slice, un-augmented, is encoded. Alternatively
 * SetRepresentations() gives the [rows, d] matrix directly.
 *
 * Features are standardised with their mean and (population) standard
 * deviation (StandardizeFeatures, default on; both are stored in the model).
 * EM follows scikit-learn's GaussianMixture step for step: full covariances
 * plus CovarianceRegularization (1e-5) on the diagonal, stop when the mean
 * log-likelihood changes by less than Tolerance (1e-2) or after
 * MaximumNumberOfIterations (100); start from k-means++ ("kmeans++") or
 * random responsibilities ("random", the paper); float64 throughout unless
 * Float32Compute. Every candidate of ComponentCandidates is fitted and kept
 * (GetCandidateModel()); the fitter chooses none of them: MixtureModelSelector
 * does, by the pixel AUPRC of labelled validation scans under the scoring
 * settings (the paper's protocol), or by the lowest BIC without them. For
 * convenience the output is the selector's choice without labelled scans
 * (lowest BIC). GetCandidates() reports every candidate's figures.
 *
 * With scans (not SetRepresentations), the fit also holds a patch density
 * (PatchDensityLayers, default {1, 2}: the encoder's feature maps at 1/4 and
 * 1/8 of the slice size): a Gaussian of the feature vectors at healthy brain
 * positions per layer, which RepresentationPatchDensityImageFilter scores
 * with. Every candidate carries the same one; an empty list fits none. With
 * PatchPositionGrid > 0 (default 8) each layer also gets one Gaussian per
 * position cell: PatchPositionGrid x PatchPositionGrid in-plane cells over
 * the scan's brain bounding box times PatchDepthBins bins of slice depth
 * (default 4), each the posterior mean of a normal-inverse-Wishart prior
 * centred on the pooled Gaussian with PatchPriorWeight x channels
 * pseudo-positions (default 0.25), so that cells with few positions stay near
 * the pooled fit (PaDiM's per-position Gaussians, coarsened and shrunk).
 *
 * Several processes (Distributed, on by default; torchrun, srun, `cradl fit
 * --nproc N`): every process adds the same scans, encodes its shard of the
 * slices, and the fit's sums (standardisation, EM's sufficient statistics,
 * the patch density's moments, the BIC) go over all processes, so each
 * gets the fit of all slices. K = 1 equals the single-process fit to
 * rounding; K > 1 starts from k-means++ on rank 0's slices, broadcast.
 * With SetRepresentations, each process gives its own rows.
 *
 * Errors (ExceptionObject): no encoder or scans, fewer slices than
 * components, non-finite representations, an unusable device.
 *
 * \sa GaussianMixtureModel, ContrastiveEncoderTrainer
 * \ingroup Cradl
 */
class Cradl_EXPORT GaussianMixtureFitter : public ProcessObject
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(GaussianMixtureFitter);

  using Self = GaussianMixtureFitter;
  using Superclass = ProcessObject;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkNewMacro(Self);
  itkTypeMacro(GaussianMixtureFitter, ProcessObject);

  using ImageType = Image<float, 3>;
  using MaskImageType = Image<unsigned char, 3>;
  using DataObjectPointerArraySizeType = Superclass::DataObjectPointerArraySizeType;

  struct Candidate
  {
    unsigned int NumberOfComponents = 0;
    unsigned int Iterations = 0;
    bool         Converged = false;
    double       MeanLogLikelihood = 0.0;
    double       BIC = 0.0;
    double       Seconds = 0.0;
  };

  void
  SetEncoder(const ContrastiveEncoderModel * encoder);
  const ContrastiveEncoderModel *
  GetEncoder() const;

  void
  AddScan(const ImageType * scan, const MaskImageType * mask = nullptr);
  void
  ClearScans();
  itkGetConstMacro(NumberOfScans, unsigned int);

  /** Fit to this row-major [rows, columns] matrix instead of encoded scans. */
  void
  SetRepresentations(const std::vector<double> & matrix, unsigned int rows, unsigned int columns);

  GaussianMixtureModel *
  GetOutput();

  void
  SetNumberOfComponents(unsigned int components);
  /** The settings (SetComponentCandidates, SetTolerance, ...: names,
   * defaults, ranges and help in cradlSettingDeclarations.h,
   * CRADL_FITTER_SETTINGS). PatchDensityLayers: the encoder's ReLU indices
   * whose feature maps get a patch density. */
  CRADL_FITTER_SETTINGS(cradlSettingAccessors)

  const std::vector<Candidate> &
  GetCandidates() const
  {
    return m_Candidates;
  }
  /** The fitted mixture of candidate `index` (ComponentCandidates' order), after Update(). */
  const GaussianMixtureModel *
  GetCandidateModel(unsigned int index) const;
  /** K of the output: MixtureModelSelector's choice without labelled scans (lowest BIC). */
  itkGetConstMacro(SelectedNumberOfComponents, unsigned int);
  itkGetConstMacro(NumberOfSamples, unsigned int);

protected:
  GaussianMixtureFitter();
  ~GaussianMixtureFitter() override = default;
  void
  PrintSelf(std::ostream & os, Indent indent) const override;
  using Superclass::MakeOutput;
  DataObject::Pointer
  MakeOutput(DataObjectPointerArraySizeType index) override;
  void
  VerifyPreconditions() ITKv5_CONST override;
  void
  VerifyInputInformation() ITKv5_CONST override {}
  void
  GenerateData() override;

private:
  void
  UseTheSelectorsChoice();

  unsigned int              m_NumberOfScans{ 0 };
  std::vector<double>       m_Representations;
  unsigned int              m_RepresentationRows{ 0 };
  unsigned int              m_RepresentationColumns{ 0 };
  CRADL_FITTER_SETTINGS(cradlSettingMember)
  std::vector<Candidate>    m_Candidates;
  std::vector<GaussianMixtureModel::Pointer> m_CandidateModels;
  unsigned int              m_SelectedNumberOfComponents{ 0 };
  unsigned int              m_NumberOfSamples{ 0 };
};

} // namespace itk

#endif
