#include "itkContrastiveEncoderModel.h"
#include "cradlErrorText.h"

#include "itkContrastiveEncoderModelImpl.h"

namespace itk
{

namespace
{
const detail::ContrastiveEncoderModelImpl &
trained(const std::shared_ptr<detail::ContrastiveEncoderModelImpl> & impl)
{
  if (!impl)
  {
    itkGenericExceptionMacro(<< "the encoder model is empty: train it (ContrastiveEncoderTrainer) or Load() a file");
  }
  return *impl;
}
} // namespace

bool
ContrastiveEncoderModel::IsTrained() const
{
  return static_cast<bool>(m_Impl);
}

void
ContrastiveEncoderModel::SetImpl(std::shared_ptr<detail::ContrastiveEncoderModelImpl> impl)
{
  m_Impl = std::move(impl);
  this->Modified();
}

void
ContrastiveEncoderModel::Save(const std::string & fileName) const
{
  try
  {
    cradl::saveDict(trained(m_Impl).model, fileName);
  }
  catch (const std::runtime_error & error)
  {
    itkExceptionMacro(<< "cannot save the encoder: " << cradl::messageOf(error));
  }
}

auto
ContrastiveEncoderModel::Load(const std::string & fileName) -> Pointer
{
  auto impl = std::make_shared<detail::ContrastiveEncoderModelImpl>();
  try
  {
    *impl = detail::ContrastiveEncoderModelImpl::load(fileName);
  }
  catch (const std::exception & error)
  {
    itkGenericExceptionMacro(<< "cannot load the encoder model: " << cradl::messageOf(error));
  }
  auto model = Self::New();
  model->SetImpl(impl);
  return model;
}

unsigned int
ContrastiveEncoderModel::GetImageSize() const
{
  return static_cast<unsigned int>(trained(m_Impl).part("architecture").at("image_size").toInt());
}
unsigned int
ContrastiveEncoderModel::GetNumberOfFilters() const
{
  return static_cast<unsigned int>(trained(m_Impl).part("architecture").at("nf").toInt());
}
unsigned int
ContrastiveEncoderModel::GetRepresentationSize() const
{
  return static_cast<unsigned int>(trained(m_Impl).part("architecture").at("nz").toInt());
}
double
ContrastiveEncoderModel::GetClipMinimum() const
{
  return trained(m_Impl).part("preprocessing").at("clip_minimum").toDouble();
}
double
ContrastiveEncoderModel::GetClipMaximum() const
{
  return trained(m_Impl).part("preprocessing").at("clip_maximum").toDouble();
}
bool
ContrastiveEncoderModel::GetPreserveAspectRatio() const
{
  return trained(m_Impl).part("preprocessing").at("preserve_aspect_ratio").toBool();
}
unsigned int
ContrastiveEncoderModel::GetBestEpoch() const
{
  return static_cast<unsigned int>(trained(m_Impl).part("training").at("best_epoch").toInt());
}
double
ContrastiveEncoderModel::GetBestValidationLoss() const
{
  return trained(m_Impl).part("training").at("best_validation_loss").toDouble();
}
unsigned int
ContrastiveEncoderModel::GetCompletedEpochs() const
{
  return static_cast<unsigned int>(trained(m_Impl).part("training").at("completed_epochs").toInt());
}

void
ContrastiveEncoderModel::Initialize()
{
  Superclass::Initialize();
  m_Impl.reset();
}

void
ContrastiveEncoderModel::Graft(const DataObject * data)
{
  Superclass::Graft(data);
  if (const auto * other = dynamic_cast<const Self *>(data))
  {
    m_Impl = other->m_Impl;
  }
}

void
ContrastiveEncoderModel::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  if (!m_Impl)
  {
    os << indent << "Trained: no" << std::endl;
    return;
  }
  os << indent << "ImageSize: " << GetImageSize() << std::endl;
  os << indent << "NumberOfFilters: " << GetNumberOfFilters() << std::endl;
  os << indent << "RepresentationSize: " << GetRepresentationSize() << std::endl;
  os << indent << "Clip: [" << GetClipMinimum() << ", " << GetClipMaximum() << "]" << std::endl;
  os << indent << "PreserveAspectRatio: " << (GetPreserveAspectRatio() ? "On" : "Off") << std::endl;
  os << indent << "BestEpoch: " << GetBestEpoch() << " of " << GetCompletedEpochs() << std::endl;
  os << indent << "BestValidationLoss: " << GetBestValidationLoss() << std::endl;
}

} // namespace itk
