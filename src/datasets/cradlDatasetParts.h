#ifndef cradlDatasetParts_h
#define cradlDatasetParts_h

// Private to the default data set's builder: what its steps share, and the
// anomalies' painting (cradlAnomalyPainting.cxx).

#include "itkCradlDatasetBuilder.h"
#include "itkNearestNeighborInterpolateImageFunction.h"
#include "itkResampleImageFilter.h"

#include <random>
#include <vector>

namespace itk
{
namespace cradl_datasets
{
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

inline double
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

inline double
uniformSigned(Random & random)
{
  return std::uniform_real_distribution<double>(-1.0, 1.0)(random);
}

/** 2. Anomalies, in the subject's own tissue intensities; the label is where
 *  a lesion's weight is at least 0.5, the kind map says which kind it is. */
void
renderAnomalies(const CradlDatasetBuilder & builder, Subject & subject,
                const std::vector<CradlDatasetBuilder::AnomalyKind> & kinds, unsigned int index, Random & random);

} // namespace cradl_datasets
} // namespace itk

#endif
