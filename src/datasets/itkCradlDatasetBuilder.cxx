#include "itkCradlDatasetBuilder.h"
#include "cradlDatasetParts.h"

#include "itkAdditiveGaussianNoiseImageFilter.h"
#include "itkAffineTransform.h"
#include "itkComposeImageFilter.h"
#include "itkCompositeTransform.h"
#include "itkCradlManifest.h"
#include "itkDisplacementFieldTransform.h"
#include "itkCradlImageIO.h"
#include "itkImageRegionIteratorWithIndex.h"
#include "itkNearestNeighborInterpolateImageFunction.h"
#include "itkResampleImageFilter.h"
#include "itkSmoothingRecursiveGaussianImageFilter.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

namespace itk
{

namespace
{
namespace fs = std::filesystem;
using namespace cradl_datasets;

// 1. A random affine about the grid's centre composed with a smooth elastic
// displacement: white noise smoothed by a Gaussian, scaled to an RMS amplitude.
Transform<double, 3, 3>::Pointer
randomWarp(const CradlDatasetBuilder & builder, const ImageType * grid, Random & random)
{
  const auto            region = grid->GetLargestPossibleRegion();
  itk::Point<double, 3> centre;
  {
    ContinuousIndex<double, 3> middle;
    for (unsigned int axis = 0; axis < 3; ++axis)
      middle[axis] = (region.GetSize(axis) - 1) / 2.0;
    grid->TransformContinuousIndexToPhysicalPoint(middle, centre);
  }
  auto affine = AffineTransform<double, 3>::New();
  affine->SetCenter(centre);
  for (unsigned int axis = 0; axis < 3; ++axis)
  {
    affine->Rotate((axis + 1) % 3, (axis + 2) % 3, builder.GetMaximumRotation() * uniformSigned(random));
  }
  AffineTransform<double, 3>::OutputVectorType scale;
  AffineTransform<double, 3>::OutputVectorType translation;
  for (unsigned int axis = 0; axis < 3; ++axis)
  {
    scale[axis] = 1.0 + builder.GetMaximumScaling() * uniformSigned(random);
    translation[axis] = builder.GetMaximumTranslation() * uniformSigned(random);
  }
  affine->Scale(scale);
  affine->Translate(translation);

  using ComponentImage = Image<double, 3>;
  using FieldType = Image<Vector<double, 3>, 3>;
  std::normal_distribution<double> normal;
  auto                             compose = ComposeImageFilter<ComponentImage, FieldType>::New();
  for (unsigned int axis = 0; axis < 3; ++axis)
  {
    auto noise = ComponentImage::New();
    noise->CopyInformation(grid);
    noise->SetRegions(region);
    noise->Allocate();
    for (SizeValueType i = 0; i < region.GetNumberOfPixels(); ++i)
      noise->GetBufferPointer()[i] = normal(random);
    auto smooth = SmoothingRecursiveGaussianImageFilter<ComponentImage, ComponentImage>::New();
    smooth->SetInput(noise);
    smooth->SetSigma(builder.GetElasticSmoothing());
    smooth->Update();
    ComponentImage::Pointer component = smooth->GetOutput();
    component->DisconnectPipeline();
    compose->SetInput(axis, component);
  }
  compose->Update();
  FieldType::Pointer field = compose->GetOutput();
  double             squares = 0.0;
  for (SizeValueType i = 0; i < region.GetNumberOfPixels(); ++i)
    squares += field->GetBufferPointer()[i].GetSquaredNorm();
  const double rms = std::sqrt(squares / region.GetNumberOfPixels());
  for (SizeValueType i = 0; i < region.GetNumberOfPixels(); ++i)
    field->GetBufferPointer()[i] *= rms > 0.0 ? builder.GetElasticAmplitude() / rms : 0.0;
  auto elastic = DisplacementFieldTransform<double, 3>::New();
  elastic->SetDisplacementField(field);
  auto transform = CompositeTransform<double, 3>::New();
  transform->AddTransform(affine);
  transform->AddTransform(elastic);
  return transform.GetPointer();
}

// 3. A smooth multiplicative bias field (exp of a random quadratic) and
// 4. a gamma contrast change about the brain's 99th percentile.
void
applyBiasAndContrast(const CradlDatasetBuilder & builder, Subject & subject, Random & random)
{
  const auto    region = subject.Image->GetLargestPossibleRegion();
  const float * pixels = subject.Image->GetBufferPointer();
  double        coefficients[9];
  for (double & c : coefficients)
    c = builder.GetBiasStrength() * uniformSigned(random) / 3.0;
  const double       gamma = std::exp(std::log(builder.GetMaximumGamma()) * uniformSigned(random));
  std::vector<float> brainValues;
  for (SizeValueType i = 0; i < region.GetNumberOfPixels(); ++i)
    if (subject.Mask->GetBufferPointer()[i])
      brainValues.push_back(pixels[i]);
  double reference = 1.0;
  if (!brainValues.empty())
  {
    const auto at99 = brainValues.begin() + static_cast<std::ptrdiff_t>(0.99 * (brainValues.size() - 1));
    std::nth_element(brainValues.begin(), at99, brainValues.end());
    reference = std::max(1e-6, static_cast<double>(*at99));
  }
  for (ImageRegionIteratorWithIndex<ImageType> it(subject.Image, region); !it.IsAtEnd(); ++it)
  {
    double x[3];
    for (unsigned int axis = 0; axis < 3; ++axis)
      x[axis] = 2.0 * it.GetIndex()[axis] / std::max<SizeValueType>(1, region.GetSize(axis) - 1) - 1.0;
    const double bias = std::exp(coefficients[0] * x[0] + coefficients[1] * x[1] + coefficients[2] * x[2] +
                                 coefficients[3] * x[0] * x[0] + coefficients[4] * x[1] * x[1] +
                                 coefficients[5] * x[2] * x[2] + coefficients[6] * x[0] * x[1] +
                                 coefficients[7] * x[1] * x[2] + coefficients[8] * x[0] * x[2]);
    const double value = std::max(0.0, static_cast<double>(it.Get()) * bias);
    it.Set(static_cast<float>(reference * std::pow(value / reference, gamma)));
  }
}

// 5. Noise, then the background back to 0 (skull-stripped scans).
void
addNoise(const CradlDatasetBuilder & builder, Subject & subject, Random & random)
{
  auto noise = AdditiveGaussianNoiseImageFilter<ImageType, ImageType>::New();
  noise->SetInput(subject.Image);
  noise->SetStandardDeviation(builder.GetNoiseLevel() * brainMean(subject.Image, subject.Mask));
  noise->SetSeed(static_cast<uint32_t>(random() & 0x7fffffff));
  noise->SetNumberOfWorkUnits(1); // reproducible whatever the thread count
  noise->Update();
  subject.Image = noise->GetOutput();
  subject.Image->DisconnectPipeline();
  float *               pixels = subject.Image->GetBufferPointer();
  const unsigned char * brain = subject.Mask->GetBufferPointer();
  for (SizeValueType i = 0; i < subject.Image->GetLargestPossibleRegion().GetNumberOfPixels(); ++i)
  {
    pixels[i] = brain[i] ? std::max(0.0f, pixels[i]) : 0.0f;
  }
}
} // namespace

std::string
CradlDatasetBuilder::FindColin27()
{
  // dpkg -L knows where the package put it, whatever the version's layout.
  if (FILE * pipe = popen("dpkg -L mricron-data 2>/dev/null", "r"))
  {
    char        line[4096];
    std::string found;
    while (std::fgets(line, sizeof line, pipe) != nullptr)
    {
      std::string path(line);
      path.erase(path.find_last_not_of("\n\r") + 1);
      if (fs::path(path).filename() == "ch2bet.nii.gz")
      {
        found = path;
      }
    }
    pclose(pipe);
    if (!found.empty() && fs::exists(found))
    {
      return found;
    }
  }
  itkGenericExceptionMacro(<< "the Colin27 brain (ch2bet.nii.gz) was not found: install Debian's mricron-data "
                              "(apt-get install mricron-data) or give a template with SetTemplate()");
}

void
CradlDatasetBuilder::SetTemplate(const ImageType * image, const MaskImageType * brainMask)
{
  m_Template = image;
  m_TemplateMask = brainMask;
  m_Resampled = nullptr;
  this->Modified();
}

void
CradlDatasetBuilder::PrepareTemplate()
{
  if (m_Resampled)
  {
    return;
  }
  if (!m_Template)
  {
    m_Template = CradlManifest::ReadScanImage(FindColin27(), "Colin27 template");
  }
  MaskImageType::Pointer mask;
  if (m_TemplateMask)
  {
    mask = const_cast<MaskImageType *>(m_TemplateMask.GetPointer());
  }
  else
  {
    mask = MaskImageType::New();
    mask->CopyInformation(m_Template);
    mask->SetRegions(m_Template->GetLargestPossibleRegion());
    mask->Allocate();
    const auto n = m_Template->GetLargestPossibleRegion().GetNumberOfPixels();
    for (SizeValueType i = 0; i < n; ++i)
    {
      mask->GetBufferPointer()[i] = m_Template->GetBufferPointer()[i] != 0.0f ? 1 : 0;
    }
  }
  // The isotropic output grid over the template's extent, same direction.
  auto grid = ImageBase<3>::New();
  grid->SetOrigin(m_Template->GetOrigin());
  grid->SetDirection(m_Template->GetDirection());
  ImageType::SpacingType spacing;
  spacing.Fill(m_OutputSpacing);
  grid->SetSpacing(spacing);
  ImageType::SizeType size;
  for (unsigned int axis = 0; axis < 3; ++axis)
  {
    const double extent = m_Template->GetLargestPossibleRegion().GetSize(axis) * m_Template->GetSpacing()[axis];
    size[axis] = static_cast<SizeValueType>(std::ceil(extent / m_OutputSpacing));
  }
  grid->SetRegions(ImageType::RegionType(size));
  m_Resampled = resampleOnto<ImageType>(m_Template, grid, nullptr, false);
  m_ResampledMask = resampleOnto<MaskImageType>(mask, grid, nullptr, true);
}

auto
CradlDatasetBuilder::MakeSubject(unsigned int index, bool withAnomalies, bool withHeldOutKind) -> Subject
{
  PrepareTemplate();
  // One generator per subject, drawn from in this order: warp, anomalies,
  // bias and contrast, noise (changing the order changes every data set).
  Random          random(static_cast<std::uint64_t>(m_Seed) * 1000003ULL + index);
  const ImageType * grid = m_Resampled;
  const auto        warp = randomWarp(*this, grid, random);
  Subject           subject;
  subject.Image = resampleOnto<ImageType>(m_Resampled, grid, warp, false);
  subject.Mask = resampleOnto<MaskImageType>(m_ResampledMask, grid, warp, true);
  subject.Label = MaskImageType::New();
  subject.Label->CopyInformation(grid);
  subject.Label->SetRegions(grid->GetLargestPossibleRegion());
  subject.Label->Allocate(true);
  subject.Kinds = MaskImageType::New();
  subject.Kinds->CopyInformation(grid);
  subject.Kinds->SetRegions(grid->GetLargestPossibleRegion());
  subject.Kinds->Allocate(true);
  if (withAnomalies)
  {
    std::vector<AnomalyKind> kinds;
    for (unsigned int code = 1; code <= GetAnomalyKindNames().size(); ++code)
    {
      if (withHeldOutKind || GetAnomalyKindNames()[code - 1] != m_HeldOutKind)
      {
        kinds.push_back(static_cast<AnomalyKind>(code));
      }
    }
    renderAnomalies(*this, subject, kinds, index, random);
  }
  applyBiasAndContrast(*this, subject, random);
  addNoise(*this, subject, random);
  return subject;
}

const std::vector<std::string> &
CradlDatasetBuilder::GetAnomalyKindNames()
{
  static const std::vector<std::string> names{ "hyperintense", "hypointense", "foreign", "foci",
                                               "mass",         "texture",     "ring",    "subtle" };
  return names;
}

void
CradlDatasetBuilder::Write(const std::string & folder)
{
  const auto & names = GetAnomalyKindNames();
  if (!m_HeldOutKind.empty() && std::find(names.begin(), names.end(), m_HeldOutKind) == names.end())
  {
    itkExceptionMacro(<< "unknown held-out kind '" << m_HeldOutKind << "': use one of hyperintense, hypointense, "
                         "foreign, foci, mass, texture, ring, subtle, or none");
  }
  CradlManifest::RegisterImageIOFactories();
  const fs::path root(folder);
  for (const char * part : { "images", "masks", "labels", "kinds" })
  {
    CradlMakeFolder((root / part).string());
  }
  struct Split
  {
    const char * name;
    unsigned int count;
    unsigned int firstIndex;
    bool         anomalies;
    bool         heldOutKind;
  };
  for (const Split & split : { Split{ "train", m_NumberOfTrainingSubjects, 0, false, false },
                               Split{ "val", m_NumberOfValidationSubjects, 100000, true, false },
                               Split{ "test", m_NumberOfTestSubjects, 200000, true, true } })
  {
    std::string manifest = "image,mask,label,kinds\n";
    for (unsigned int s = 0; s < split.count; ++s)
    {
      const Subject     subject = MakeSubject(split.firstIndex + s, split.anomalies, split.heldOutKind);
      char              stem[64];
      std::snprintf(stem, sizeof stem, "%s_%03u", split.name, s);
      const std::string image = std::string("images/") + stem + ".nii.gz";
      const std::string mask = std::string("masks/") + stem + "_brain.nii.gz";
      const std::string label = std::string("labels/") + stem + "_label.nii.gz";
      const std::string kinds = std::string("kinds/") + stem + "_kinds.nii.gz";
      CradlWriteImage(subject.Image.GetPointer(), (root / image).string());
      CradlWriteImage(subject.Mask.GetPointer(), (root / mask).string());
      if (split.anomalies)
      {
        CradlWriteImage(subject.Label.GetPointer(), (root / label).string());
        CradlWriteImage(subject.Kinds.GetPointer(), (root / kinds).string());
      }
      manifest += image + "," + mask + "," + (split.anomalies ? label + "," + kinds : std::string(",")) + "\n";
      this->InvokeEvent(IterationEvent());
    }
    CradlWriteFileAtomically((root / (std::string(split.name) + ".csv")).string(), manifest);
  }
}

void
CradlDatasetBuilder::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "HeldOutKind: " << (m_HeldOutKind.empty() ? "none" : m_HeldOutKind) << std::endl;
  os << indent << "Template: " << (m_Template ? "set" : "Colin27 (mricron-data)") << std::endl;
  os << indent << "Subjects: " << m_NumberOfTrainingSubjects << " train, " << m_NumberOfValidationSubjects << " val, "
     << m_NumberOfTestSubjects << " test" << std::endl;
  os << indent << "OutputSpacing: " << m_OutputSpacing << std::endl;
  os << indent << "Seed: " << m_Seed << std::endl;
  os << indent << "Affine: rotation " << m_MaximumRotation << ", scaling " << m_MaximumScaling << ", translation "
     << m_MaximumTranslation << std::endl;
  os << indent << "Elastic: amplitude " << m_ElasticAmplitude << ", smoothing " << m_ElasticSmoothing << std::endl;
  os << indent << "BiasStrength: " << m_BiasStrength << ", MaximumGamma: " << m_MaximumGamma
     << ", NoiseLevel: " << m_NoiseLevel << std::endl;
  os << indent << "Lesions: up to " << m_MaximumLesions << ", radius " << m_MinimumLesionRadius << " to "
     << m_MaximumLesionRadius << std::endl;
}

} // namespace itk
