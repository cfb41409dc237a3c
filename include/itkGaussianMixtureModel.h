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
#ifndef itkGaussianMixtureModel_h
#define itkGaussianMixtureModel_h

#include "CradlExport.h"
#include "itkDataObject.h"
#include "itkObjectFactory.h"

#include <memory>
#include <string>
#include <vector>

namespace itk
{

namespace detail
{
struct GaussianMixtureModelImpl;
}

/** \class GaussianMixtureModel
 * \brief The density of CRADL's stage 2: a K-component full-covariance
 * Gaussian mixture over standardised encoder representations.
 *
 * log p(z) = log sum_k w_k N((z - featureMean) / featureStd | mu_k, Sigma_k).
 *
 * Save() writes one PyTorch-pickled dict (PyTorch's load() reads it) atomically;
 * Load() checks format, version and shapes. ExportNpz() writes weights,
 * means, covariances, feature_mean and feature_std as a NumPy .npz that
 * numpy.load reads without Cradl or PyTorch.
 *
 * \sa GaussianMixtureFitter
 * \ingroup Cradl
 */
class Cradl_EXPORT GaussianMixtureModel : public DataObject
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(GaussianMixtureModel);

  using Self = GaussianMixtureModel;
  using Superclass = DataObject;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkNewMacro(Self);
  itkTypeMacro(GaussianMixtureModel, DataObject);

  bool
  IsFitted() const;

  void
  Save(const std::string & fileName) const;
  static Pointer
  Load(const std::string & fileName);
  void
  ExportNpz(const std::string & fileName) const;

  unsigned int
  GetNumberOfComponents() const;
  unsigned int
  GetDimension() const;
  std::vector<double>
  GetWeights() const;
  /** Mean log-likelihood of the fitting data at the last E-step. */
  double
  GetMeanLogLikelihood() const;
  unsigned int
  GetNumberOfIterations() const;
  bool
  GetConverged() const;
  /** Bayesian information criterion on the fitting data (lower is better);
   *  NaN for a model whose file does not record it. */
  double
  GetBIC() const;
  /** Whether the fit holds a patch density (RepresentationPatchDensityImageFilter). */
  bool
  HasPatchDensity() const;
  /** The encoder layers (ReLU indices) of the patch density; empty without one. */
  std::vector<unsigned int>
  GetPatchDensityLayers() const;

  /** The scoring mode ("gradient", "patch") chosen with this model by
   *  MixtureModelSelector, empty when none was. */
  std::string
  GetSelectedScoringMode() const;
  /** The post-processing sigma chosen with it; NaN when none was. */
  double
  GetSelectedGaussianSigma() const;

  /** How this model was chosen among candidates ("bic", "validation AUPRC"),
   *  empty when it was not chosen among several. */
  std::string
  GetSelectionCriterion() const;

  /** log p of each row of a row-major [rows, dimension] matrix of raw
   *  (unstandardised) representations. */
  std::vector<double>
  LogLikelihood(const std::vector<double> & representations, unsigned int rows) const;

  const std::shared_ptr<detail::GaussianMixtureModelImpl> &
  GetImpl() const
  {
    return m_Impl;
  }
  void
  SetImpl(std::shared_ptr<detail::GaussianMixtureModelImpl> impl);

  void
  Initialize() override;
  void
  Graft(const DataObject * data) override;

protected:
  GaussianMixtureModel() = default;
  ~GaussianMixtureModel() override = default;
  void
  PrintSelf(std::ostream & os, Indent indent) const override;

private:
  std::shared_ptr<detail::GaussianMixtureModelImpl> m_Impl;
};

} // namespace itk

#endif
