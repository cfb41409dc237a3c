#include "itkGaussianMixtureModel.h"
#include "cradlErrorText.h"

#include "cradlNpy.h"
#include "cradlTensorViews.h"
#include "itkGaussianMixtureModelImpl.h"

#include <limits>
#include <stdexcept>

namespace itk
{


namespace
{
const detail::GaussianMixtureModelImpl &
fitted(const std::shared_ptr<detail::GaussianMixtureModelImpl> & impl)
{
  if (!impl)
  {
    itkGenericExceptionMacro(<< "the Gaussian mixture is empty: fit it (GaussianMixtureFitter) or Load() a file");
  }
  return *impl;
}
} // namespace

bool
GaussianMixtureModel::IsFitted() const
{
  return static_cast<bool>(m_Impl);
}

void
GaussianMixtureModel::SetImpl(std::shared_ptr<detail::GaussianMixtureModelImpl> impl)
{
  m_Impl = std::move(impl);
  this->Modified();
}

void
GaussianMixtureModel::Save(const std::string & fileName) const
{
  try
  {
    cradl::saveDict(fitted(m_Impl).toDict(), fileName);
  }
  catch (const std::runtime_error & error)
  {
    itkExceptionMacro(<< "cannot save the mixture: " << cradl::messageOf(error));
  }
}

auto
GaussianMixtureModel::Load(const std::string & fileName) -> Pointer
{
  auto model = Self::New();
  try
  {
    model->SetImpl(
      std::make_shared<detail::GaussianMixtureModelImpl>(detail::GaussianMixtureModelImpl::load(fileName)));
  }
  catch (const std::exception & error)
  {
    itkGenericExceptionMacro(<< "cannot load the Gaussian mixture: " << cradl::messageOf(error));
  }
  return model;
}

void
GaussianMixtureModel::ExportNpz(const std::string & fileName) const
{
  const auto & impl = fitted(m_Impl);
  std::vector<at::Tensor>      keep;
  std::vector<cradl::NpzEntry> entries;
  for (const auto & [name, tensor] : { std::pair<const char *, at::Tensor>{ "weights", impl.mixture.weights },
                                       { "means", impl.mixture.means },
                                       { "covariances", impl.mixture.covariances },
                                       { "feature_mean", impl.featureMean },
                                       { "feature_std", impl.featureStd } })
  {
    keep.push_back(tensor.to(at::kCPU, at::kDouble).contiguous());
    entries.push_back({ name, "<f8", keep.back().sizes().vec(), keep.back().data_ptr<double>() });
  }
  try
  {
    cradl::writeNpz(fileName, entries);
  }
  catch (const std::runtime_error & error)
  {
    itkExceptionMacro(<< "cannot export the mixture: " << cradl::messageOf(error));
  }
}

unsigned int
GaussianMixtureModel::GetNumberOfComponents() const
{
  return static_cast<unsigned int>(fitted(m_Impl).mixture.components());
}
unsigned int
GaussianMixtureModel::GetDimension() const
{
  return static_cast<unsigned int>(fitted(m_Impl).mixture.dimension());
}
std::vector<double>
GaussianMixtureModel::GetWeights() const
{
  const at::Tensor weights = fitted(m_Impl).mixture.weights.cpu().contiguous();
  return std::vector<double>(weights.data_ptr<double>(), weights.data_ptr<double>() + weights.numel());
}
double
GaussianMixtureModel::GetMeanLogLikelihood() const
{
  return fitted(m_Impl).fit.at("mean_log_likelihood").toDouble();
}
unsigned int
GaussianMixtureModel::GetNumberOfIterations() const
{
  return static_cast<unsigned int>(fitted(m_Impl).fit.at("iterations").toInt());
}
bool
GaussianMixtureModel::GetConverged() const
{
  return fitted(m_Impl).fit.at("converged").toBool();
}

std::vector<double>
GaussianMixtureModel::LogLikelihood(const std::vector<double> & representations, unsigned int rows) const
{
  const auto & impl = fitted(m_Impl);
  const auto   d = static_cast<std::size_t>(impl.mixture.dimension());
  if (representations.size() != rows * d)
  {
    itkExceptionMacro(<< "LogLikelihood: " << representations.size() << " values are not " << rows << " rows of "
                      << d);
  }
  const at::Tensor z = cradl::viewMatrix(representations.data(), rows, static_cast<int64_t>(d));
  const at::Tensor logp = impl.logLikelihood(z).contiguous();
  return std::vector<double>(logp.data_ptr<double>(), logp.data_ptr<double>() + rows);
}

double
GaussianMixtureModel::GetBIC() const
{
  const auto & fit = fitted(m_Impl).fit;
  return fit.contains("bic") ? fit.at("bic").toDouble() : std::numeric_limits<double>::quiet_NaN();
}

bool
GaussianMixtureModel::HasPatchDensity() const
{
  return m_Impl && !m_Impl->patch.empty();
}

std::vector<unsigned int>
GaussianMixtureModel::GetPatchDensityLayers() const
{
  std::vector<unsigned int> layers;
  if (m_Impl)
  {
    for (const auto & layer : m_Impl->patch.layers)
    {
      layers.push_back(static_cast<unsigned int>(layer.relu));
    }
  }
  return layers;
}

std::string
GaussianMixtureModel::GetSelectedScoringMode() const
{
  const auto & fit = fitted(m_Impl).fit;
  return fit.contains("score_mode") && fit.at("score_mode").isString() ? fit.at("score_mode").toStringRef()
                                                                        : std::string();
}

double
GaussianMixtureModel::GetSelectedGaussianSigma() const
{
  const auto & fit = fitted(m_Impl).fit;
  return fit.contains("score_sigma") && fit.at("score_sigma").isDouble() ? fit.at("score_sigma").toDouble()
                                                                          : std::numeric_limits<double>::quiet_NaN();
}

std::string
GaussianMixtureModel::GetSelectionCriterion() const
{
  const auto & fit = fitted(m_Impl).fit;
  return fit.contains("selection") ? fit.at("selection").toStringRef() : std::string();
}

void
GaussianMixtureModel::Initialize()
{
  Superclass::Initialize();
  m_Impl.reset();
}

void
GaussianMixtureModel::Graft(const DataObject * data)
{
  Superclass::Graft(data);
  if (const auto * other = dynamic_cast<const Self *>(data))
  {
    m_Impl = other->m_Impl;
  }
}

void
GaussianMixtureModel::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  if (!m_Impl)
  {
    os << indent << "Fitted: no" << std::endl;
    return;
  }
  os << indent << "NumberOfComponents: " << GetNumberOfComponents() << std::endl;
  os << indent << "Dimension: " << GetDimension() << std::endl;
  os << indent << "Weights:";
  for (const double w : GetWeights())
  {
    os << " " << w;
  }
  os << std::endl;
  os << indent << "MeanLogLikelihood: " << GetMeanLogLikelihood() << " after " << GetNumberOfIterations()
     << " iterations (" << (GetConverged() ? "converged" : "not converged") << ")" << std::endl;
}

} // namespace itk
