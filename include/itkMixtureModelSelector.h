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
#ifndef itkMixtureModelSelector_h
#define itkMixtureModelSelector_h

#include "CradlExport.h"
#include "itkContrastiveEncoderModel.h"
#include "itkCradlScanScorer.h"
#include "itkCradlScoringSettings.h"
#include "itkGaussianMixtureModel.h"
#include "itkProcessObject.h"

#include <map>
#include <string>
#include <vector>

namespace itk
{

/** \class MixtureModelSelector
 * \brief Chooses one of GaussianMixtureFitter's candidate mixtures by scoring
 * labelled validation scans with the very settings scoring will use.
 *
 * Inputs: the encoder, the candidates (AddCandidate, e.g. every
 * GaussianMixtureFitter::GetCandidateModel()), labelled validation scans
 * (AddValidationScan) and the ScoringSettings. With validation scans, each
 * candidate's post-processed maps (CradlScanScorer) are pooled by AUPRCMetric
 * and the best pixel AUPRC wins (the paper's protocol; ties keep the earlier
 * candidate); with several ScoringModes every (mixture, mode) pair is a
 * candidate, so the map itself is chosen by the same measurement, and with
 * several GaussianSigmas the post-processing scale too. Without validation
 * scans: the lowest BIC, with the first mode and the first sigma. The output is the chosen mixture,
 * recording how it was chosen and every candidate's figures;
 * GetValidationResults() keeps the chosen candidate's validation maps so that
 * evaluation (the label-free threshold) does not score them again.
 *
 * \sa GaussianMixtureFitter, CradlScanScorer, LabelFreeThresholdCalculator
 * \ingroup Cradl
 */
class Cradl_EXPORT MixtureModelSelector : public ProcessObject
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(MixtureModelSelector);

  using Self = MixtureModelSelector;
  using Superclass = ProcessObject;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkNewMacro(Self);
  itkTypeMacro(MixtureModelSelector, ProcessObject);

  using ImageType = CradlScanScorer::ImageType;
  using MaskImageType = CradlScanScorer::MaskImageType;
  using DataObjectPointerArraySizeType = Superclass::DataObjectPointerArraySizeType;

  struct Candidate
  {
    unsigned int NumberOfComponents = 0;
    unsigned int Iterations = 0;
    double       MeanLogLikelihood = 0.0;
    double       BIC = 0.0;
    double       ValidationAUPRC = -1.0; // -1: not scored (no validation scans)
    std::string  ScoringMode;            // the map this row was scored with
    double       GaussianSigma = 0.0;    // and its post-processing scale
  };

  void
  SetEncoder(const ContrastiveEncoderModel * encoder);
  const ContrastiveEncoderModel *
  GetEncoder() const;

  void
  AddCandidate(const GaussianMixtureModel * mixture);
  itkGetConstMacro(NumberOfCandidates, unsigned int);

  /** A scan with known anomalies (label: non-zero = anomalous; mask optional). */
  void
  AddValidationScan(const ImageType * scan, const MaskImageType * mask, const MaskImageType * label);
  itkGetConstMacro(NumberOfValidationScans, unsigned int);

  void
  SetScoringSettings(const CradlScoringSettings & settings);
  const CradlScoringSettings &
  GetScoringSettings() const
  {
    return m_ScoringSettings;
  }
  /** The maps to choose among ("gradient", "patch"); each candidate mixture is
   *  scored with each. Empty (the default): the ScoringSettings' Mode only. */
  void
  SetScoringModes(const std::vector<std::string> & modes);
  const std::vector<std::string> &
  GetScoringModes() const
  {
    return m_ScoringModes;
  }
  /** Post-processing scales to choose among (Gaussian sigma, pixels); each
   *  (mixture, mode) pair is scored once and post-processed with each.
   *  Empty (the default): the ScoringSettings' GaussianSigma only. */
  void
  SetGaussianSigmas(const std::vector<double> & sigmas);
  const std::vector<double> &
  GetGaussianSigmas() const
  {
    return m_GaussianSigmas;
  }
  /** The ScoringSettings with the chosen Mode and GaussianSigma, after Update(). */
  const CradlScoringSettings &
  GetSelectedScoringSettings() const
  {
    return m_SelectedScoringSettings;
  }

  /** The chosen mixture, after Update(). */
  GaussianMixtureModel *
  GetOutput();

  const std::vector<Candidate> &
  GetCandidates() const
  {
    return m_Candidates;
  }
  itkGetConstMacro(SelectedIndex, unsigned int);
  /** "validation AUPRC" or "bic". */
  itkGetStringMacro(SelectionCriterion);
#ifndef ITK_WRAPPING_PARSER // a vector of a nested struct: not wrappable (ITK Python's SWIG fails on it)
  /** The chosen candidate's scores of each validation scan, in the order they
   *  were added; empty without validation scans. */
  const std::vector<CradlScanScorer::Result> &
  GetValidationResults() const
  {
    return m_ValidationResults;
  }
#endif

protected:
  MixtureModelSelector();
  ~MixtureModelSelector() override = default;
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
  /** Scores the validation scans for every candidate row (mixture, mode,
   *  sigma) and keeps the row of highest validation AUPRC. */
  void
  SelectByValidation(const std::vector<std::string> & modes, const std::vector<double> & sigmas);
  /** Candidate `mixture`'s rows: each (mode, sigma) finished from its raw
   *  maps, rated by validation AUPRC; the best row so far is kept. */
  void
  RateRows(CradlScanScorer *                                                   scorer,
           unsigned int                                                        mixture,
           const std::map<std::string, std::vector<CradlScanScorer::RawMaps>> & raw,
           const std::vector<std::string> &                                    modes,
           const std::vector<double> &                                         sigmas);

  const GaussianMixtureModel *
  GetCandidateInput(unsigned int index) const;
  const ImageType *
  ValidationImage(unsigned int scan) const;
  const MaskImageType *
  ValidationMask(unsigned int scan) const;
  const MaskImageType *
  ValidationLabel(unsigned int scan) const;

  unsigned int                         m_NumberOfCandidates{ 0 };
  unsigned int                         m_NumberOfValidationScans{ 0 };
  CradlScoringSettings                 m_ScoringSettings;
  std::vector<std::string>             m_ScoringModes;
  std::vector<double>                  m_GaussianSigmas;
  CradlScoringSettings                 m_SelectedScoringSettings;
  std::vector<Candidate>               m_Candidates;
  unsigned int                         m_SelectedIndex{ 0 };
  std::string                          m_SelectionCriterion;
  std::vector<CradlScanScorer::Result> m_ValidationResults;
};

} // namespace itk

#endif
