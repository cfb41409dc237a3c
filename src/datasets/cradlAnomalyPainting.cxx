// The default data set's anomalies: where each lesion goes, its shape and
// intensity by kind, and how it is painted into the subject with its label
// and kind code.
#include "cradlDatasetParts.h"

#include "itkImageRegionIteratorWithIndex.h"

#include <algorithm>
#include <cmath>

namespace itk
{
namespace cradl_datasets
{

namespace
{
// A random brain voxel.
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

} // namespace

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

} // namespace cradl_datasets
} // namespace itk
