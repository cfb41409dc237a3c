#include "itkCradlDatasetBuilder.h"

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
using ImageType = CradlDatasetBuilder::ImageType;
using MaskImageType = CradlDatasetBuilder::MaskImageType;

template <typename TImage>
typename TImage::Pointer
resampleOnto(const TImage * image, const ImageBase<3> * grid, const Transform<double, 3, 3> * transform, bool nearest)
{
  auto resampler = ResampleImageFilter<TImage, TImage, double>::New();
  resampler->SetInput(image);
  resampler->SetOutputParametersFromImage(grid);
  if (transform != nullptr)
  {
    resampler->SetTransform(transform);
  }
  if (nearest)
  {
    resampler->SetInterpolator(NearestNeighborInterpolateImageFunction<TImage, double>::New());
  }
  resampler->SetDefaultPixelValue(0);
  resampler->Update();
  typename TImage::Pointer result = resampler->GetOutput();
  result->DisconnectPipeline();
  return result;
}

double
brainMean(const ImageType * image, const MaskImageType * mask)
{
  double        sum = 0.0;
  SizeValueType count = 0;
  const auto    n = image->GetBufferedRegion().GetNumberOfPixels();
  for (SizeValueType i = 0; i < n; ++i)
  {
    if (mask->GetBufferPointer()[i])
    {
      sum += image->GetBufferPointer()[i];
      ++count;
    }
  }
  return count > 0 ? sum / count : 0.0;
}

using Random = std::mt19937_64;
using Subject = CradlDatasetBuilder::Subject;

double
uniformSigned(Random & random)
{
  return std::uniform_real_distribution<double>(-1.0, 1.0)(random);
}

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

ImageType::IndexType
randomBrainIndex(const ImageType * grid, const std::vector<SizeValueType> & brainVoxels, Random & random)
{
  return grid->ComputeIndex(static_cast<OffsetValueType>(brainVoxels[random() % brainVoxels.size()]));
}

// A lesion centre whose surroundings (half the radius along each axis) are brain.
ImageType::IndexType
lesionCentre(const Subject & subject, const std::vector<SizeValueType> & brainVoxels, double radius, double spacing,
             Random & random)
{
  const auto           region = subject.Image->GetLargestPossibleRegion();
  ImageType::IndexType centre = randomBrainIndex(subject.Image, brainVoxels, random);
  for (int attempt = 0; attempt < 100; ++attempt)
  {
    const auto candidate = randomBrainIndex(subject.Image, brainVoxels, random);
    bool       inside = true;
    for (unsigned int axis = 0; axis < 3 && inside; ++axis)
      for (const int sign : { -1, 1 })
      {
        auto probe = candidate;
        probe[axis] += sign * static_cast<IndexValueType>(std::ceil(0.5 * radius / spacing));
        inside = inside && region.IsInside(probe) && subject.Mask->GetPixel(probe);
      }
    centre = candidate;
    if (inside)
      break;
  }
  return centre;
}

// Where a foreign patch is taken from: brain tissue at least 2.5 radii away.
ImageType::OffsetType
foreignPatchShift(const Subject & subject, const std::vector<SizeValueType> & brainVoxels,
                  const ImageType::IndexType & centre, double radius, double spacing, Random & random)
{
  ImageType::OffsetType shift;
  shift.Fill(0);
  for (int attempt = 0; attempt < 100; ++attempt)
  {
    const auto source = randomBrainIndex(subject.Image, brainVoxels, random);
    double     distance = 0.0;
    for (unsigned int axis = 0; axis < 3; ++axis)
      distance += std::pow((source[axis] - centre[axis]) * spacing, 2);
    if (std::sqrt(distance) > 2.5 * radius)
    {
      for (unsigned int axis = 0; axis < 3; ++axis)
        shift[axis] = source[axis] - centre[axis];
      break;
    }
  }
  return shift;
}

using LesionKind = CradlDatasetBuilder::AnomalyKind;

// The cube of half-width `reach` voxels about `centre`, inside `region`;
// false when they do not meet.
bool
boxAround(const ImageType::IndexType & centre, double reach, const ImageType::RegionType & region,
          ImageType::RegionType & box)
{
  const auto voxels = static_cast<IndexValueType>(std::ceil(reach));
  for (unsigned int axis = 0; axis < 3; ++axis)
  {
    box.SetIndex(axis, centre[axis] - voxels);
    box.SetSize(axis, 2 * voxels + 1);
  }
  return box.Crop(region);
}

// The shape of one lesion: an irregular outline and an inner texture from a
// few random low-frequency waves, blended in with a soft border.
struct Lesion
{
  LesionKind            kind = LesionKind::Hyperintense;
  ImageType::IndexType  centre;
  double                radius = 0.0;
  double                border = 0.6; // the soft border's width, in voxels
  double                target = 0.0; // the intensity of hyper- and hypo-intense lesions
  ImageType::OffsetType shift;        // foreign patches: where their tissue comes from
  double                shape[3][4];
  double                texture[3][4];
};

// What a lesion puts at `index`: its own intensity, by kind.
double
lesionIntensity(const Lesion & lesion, const ImageType * original, const ImageType::IndexType & index,
                const double offset[3], double distance, double outline, double grain, double mean)
{
  switch (lesion.kind)
  {
    case LesionKind::Foreign:
    {
      const auto from = index + lesion.shift;
      return original->GetLargestPossibleRegion().IsInside(from) ? original->GetPixel(from) : original->GetPixel(index);
    }
    case LesionKind::Texture:
    {
      // The tissue's own mean, with a strong fine-grained texture: iso-intense.
      double ripple = 0.0;
      for (int k = 0; k < 3; ++k)
      {
        const auto & t = lesion.texture[k];
        ripple += std::sin(1.9 * (offset[0] * t[1] + offset[1] * t[2] + offset[2] * t[3]) + 3.0 * t[0]);
      }
      return original->GetPixel(index) * (1.0 + 0.3 * ripple / 3.0 * 2.0);
    }
    case LesionKind::Ring:
      return mean * (distance > 0.65 * lesion.radius * outline ? 1.7 : 0.55) * grain;
    case LesionKind::Subtle:
      return original->GetPixel(index) * 1.2;
    default: // hyper- and hypo-intense, foci, the core of a mass
      return lesion.target * grain;
  }
}

void
paintLesion(const Lesion & lesion, const ImageType * original, double spacing, double mean, Subject & subject)
{
  const auto region = subject.Image->GetLargestPossibleRegion();
  ImageType::RegionType box;
  if (!boxAround(lesion.centre, 1.5 * lesion.radius / spacing + lesion.border * 4, region, box))
    return;
  for (ImageRegionIteratorWithIndex<ImageType> it(subject.Image, box); !it.IsAtEnd(); ++it)
  {
    const auto index = it.GetIndex();
    if (!subject.Mask->GetPixel(index))
      continue;
    double offset[3];
    double distance = 0.0;
    for (unsigned int axis = 0; axis < 3; ++axis)
    {
      offset[axis] = (index[axis] - lesion.centre[axis]) * spacing;
      distance += offset[axis] * offset[axis];
    }
    distance = std::sqrt(distance);
    const double u[3] = { offset[0] / (distance + 1e-9), offset[1] / (distance + 1e-9), offset[2] / (distance + 1e-9) };
    double       outline = 1.0;
    double       grain = 1.0;
    for (int k = 0; k < 3; ++k)
    {
      const auto & s = lesion.shape[k];
      const auto & t = lesion.texture[k];
      outline += 0.12 * s[0] * std::sin(2.0 * (k + 1) * (u[0] * s[1] + u[1] * s[2] + u[2] * s[3]) + k);
      grain += 0.08 * t[0] * std::sin(0.6 * (offset[0] * t[1] + offset[1] * t[2] + offset[2] * t[3]));
    }
    const double weight = 1.0 / (1.0 + std::exp((distance - lesion.radius * outline) / (lesion.border * spacing)));
    if (weight < 1e-3)
      continue;
    const double replacement = lesionIntensity(lesion, original, index, offset, distance, outline, grain, mean);
    it.Set(static_cast<float>((1.0 - weight) * it.Get() + weight * replacement));
    if (weight >= 0.5)
    {
      subject.Label->SetPixel(index, 1);
      subject.Kinds->SetPixel(index, static_cast<unsigned char>(lesion.kind));
    }
  }
}

// A mass pushes the tissue around it outwards: tissue at distance d from the
// centre now comes from d (1 - 0.45 exp(-(d / 1.5R)^2)), within 3R.
void
displaceAround(const ImageType::IndexType & centre, double radius, double spacing, Subject & subject)
{
  const ImageType::Pointer before = resampleOnto<ImageType>(subject.Image, subject.Image, nullptr, false);
  const auto               region = subject.Image->GetLargestPossibleRegion();
  ImageType::RegionType    box;
  if (!boxAround(centre, 3.0 * radius / spacing, region, box))
    return;
  for (ImageRegionIteratorWithIndex<ImageType> it(subject.Image, box); !it.IsAtEnd(); ++it)
  {
    const auto index = it.GetIndex();
    if (!subject.Mask->GetPixel(index))
      continue;
    double distance = 0.0;
    for (unsigned int axis = 0; axis < 3; ++axis)
      distance += std::pow((index[axis] - centre[axis]) * spacing, 2);
    distance = std::sqrt(distance);
    const double          pull = 1.0 - 0.45 * std::exp(-std::pow(distance / (1.5 * radius), 2));
    ImageType::IndexType  from;
    for (unsigned int axis = 0; axis < 3; ++axis)
      from[axis] = centre[axis] + static_cast<IndexValueType>(std::lround((index[axis] - centre[axis]) * pull));
    if (region.IsInside(from) && subject.Mask->GetPixel(from))
      it.Set(before->GetPixel(from));
  }
}

// 2. Anomalies, in the subject's own tissue intensities; the label is where
// a lesion's weight is at least 0.5, the kind map says which kind it is.
void
renderAnomalies(const CradlDatasetBuilder & builder, Subject & subject, const std::vector<LesionKind> & kinds,
                unsigned int index, Random & random)
{
  const auto                 region = subject.Image->GetLargestPossibleRegion();
  const double               spacing = builder.GetOutputSpacing();
  const double               mean = brainMean(subject.Image, subject.Mask);
  std::vector<SizeValueType> brainVoxels;
  for (SizeValueType i = 0; i < region.GetNumberOfPixels(); ++i)
    if (subject.Mask->GetBufferPointer()[i])
      brainVoxels.push_back(i);
  // At least two lesions, so that two subjects per kind cover all kinds: the
  // kinds go in turn over the subjects of a split (index modulo 100000, the
  // split's own numbering in Write()).
  std::uniform_int_distribution<unsigned int> lesionCount(std::min(2u, std::max(1u, builder.GetMaximumLesions())),
                                                          std::max(1u, builder.GetMaximumLesions()));
  const unsigned int                          lesions = lesionCount(random);
  for (unsigned int l = 0; l < lesions && !brainVoxels.empty(); ++l)
  {
    const ImageType::Pointer original = resampleOnto<ImageType>(subject.Image, subject.Image, nullptr, false);
    Lesion                   lesion;
    // Kinds in turn over subjects and lesions, so that every kind appears.
    lesion.kind = kinds[((index % 100000) * 2 + l) % kinds.size()];
    lesion.radius = builder.GetMinimumLesionRadius() +
                    (builder.GetMaximumLesionRadius() - builder.GetMinimumLesionRadius()) * (uniformSigned(random) + 1) / 2;
    if (lesion.kind == LesionKind::Subtle)
    {
      lesion.radius *= 1.5; // broad, with a very soft border
      lesion.border = 2.0;
    }
    lesion.centre = lesionCentre(subject, brainVoxels, lesion.radius, spacing, random);
    for (int k = 0; k < 3; ++k)
      for (int j = 0; j < 4; ++j)
      {
        lesion.shape[k][j] = uniformSigned(random);
        lesion.texture[k][j] = uniformSigned(random);
      }
    const double level = uniformSigned(random);
    lesion.target = lesion.kind == LesionKind::Hypointense ? mean * (0.3 + 0.1 * level)
                    : lesion.kind == LesionKind::Foci      ? mean * (1.45 + 0.15 * level)
                    : lesion.kind == LesionKind::Mass      ? mean * (1.3 + 0.1 * level)
                                                           : mean * (1.55 + 0.25 * level);
    lesion.shift.Fill(0);
    if (lesion.kind == LesionKind::Foreign)
      lesion.shift = foreignPatchShift(subject, brainVoxels, lesion.centre, lesion.radius, spacing, random);
    if (lesion.kind == LesionKind::Mass)
    {
      displaceAround(lesion.centre, lesion.radius, spacing, subject);
      lesion.radius *= 0.6; // the solid core
    }
    if (lesion.kind == LesionKind::Foci)
    {
      // Several small foci scattered within the lesion's reach.
      const unsigned int foci = 4 + static_cast<unsigned int>(random() % 5);
      Lesion             focus = lesion;
      focus.radius = std::max(1.2 * spacing, 0.25 * lesion.radius);
      for (unsigned int f = 0; f < foci; ++f)
      {
        for (unsigned int axis = 0; axis < 3; ++axis)
          focus.centre[axis] =
            lesion.centre[axis] + static_cast<IndexValueType>(std::lround(uniformSigned(random) * lesion.radius / spacing));
        if (region.IsInside(focus.centre) && subject.Mask->GetPixel(focus.centre))
          paintLesion(focus, original, spacing, mean, subject);
      }
      continue;
    }
    paintLesion(lesion, original, spacing, mean, subject);
  }
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
