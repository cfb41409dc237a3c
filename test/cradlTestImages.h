#ifndef cradlTestImages_h
#define cradlTestImages_h

// Small synthetic images with deliberately awkward geometry for the tests.

#include "itkImage.h"
#include "itkImageRegionIteratorWithIndex.h"

#include <cmath>
#include <functional>
#include <string>

namespace cradl_test
{

/** itk::MakeVector / itk::MakePoint arrived after ITK 5.2. */
template <typename... T>
itk::Vector<double, sizeof...(T)>
vector(T... components)
{
  itk::Vector<double, sizeof...(T)> result;
  unsigned int                      axis = 0;
  ((result[axis++] = static_cast<double>(components)), ...);
  return result;
}

template <typename... T>
itk::Point<double, sizeof...(T)>
point(T... components)
{
  itk::Point<double, sizeof...(T)> result;
  unsigned int                     axis = 0;
  ((result[axis++] = static_cast<double>(components)), ...);
  return result;
}

/** Rotation by `angle` about `axis` (normalised here); in 2D the axis is ignored. */
template <unsigned int VDimension>
typename itk::ImageBase<VDimension>::DirectionType
rotation(double angle, double ax = 0.3, double ay = -0.5, double az = 0.8)
{
  typename itk::ImageBase<VDimension>::DirectionType direction;
  direction.SetIdentity();
  const double c = std::cos(angle);
  const double s = std::sin(angle);
  if (VDimension == 2)
  {
    direction(0, 0) = c;
    direction(0, 1) = -s;
    direction(1, 0) = s;
    direction(1, 1) = c;
    return direction;
  }
  const double norm = std::sqrt(ax * ax + ay * ay + az * az);
  const double u[3] = { ax / norm, ay / norm, az / norm };
  for (unsigned int i = 0; i < 3; ++i)
  {
    for (unsigned int j = 0; j < 3; ++j)
    {
      direction(i, j) = (i == j ? c : 0.0) + (1.0 - c) * u[i] * u[j];
    }
  }
  direction(0, 1) -= s * u[2];
  direction(0, 2) += s * u[1];
  direction(1, 0) += s * u[2];
  direction(1, 2) -= s * u[0];
  direction(2, 0) -= s * u[1];
  direction(2, 1) += s * u[0];
  return direction;
}

/** An image of the given grid whose pixel at index i is value(i). */
template <typename TImage, typename TValue>
typename TImage::Pointer
makeImage(const typename TImage::SizeType &      size,
          const typename TImage::SpacingType &   spacing,
          const typename TImage::PointType &     origin,
          const typename TImage::DirectionType & direction,
          TValue                                 value)
{
  auto image = TImage::New();
  image->SetRegions(typename TImage::RegionType(size));
  image->SetSpacing(spacing);
  image->SetOrigin(origin);
  image->SetDirection(direction);
  image->Allocate();
  itk::ImageRegionIteratorWithIndex<TImage> it(image, image->GetLargestPossibleRegion());
  for (; !it.IsAtEnd(); ++it)
  {
    it.Set(static_cast<typename TImage::PixelType>(value(it.GetIndex())));
  }
  return image;
}

/** An image on the grid of `geometry` whose pixel at index i is value(i). */
template <typename TImage, typename TGeometry, typename TValue>
typename TImage::Pointer
makeImageLike(const TGeometry * geometry, TValue value)
{
  return makeImage<TImage>(geometry->GetLargestPossibleRegion().GetSize(),
                           geometry->GetSpacing(),
                           geometry->GetOrigin(),
                           geometry->GetDirection(),
                           value);
}

/** The description of the itk::ExceptionObject that `action` throws, or "no exception". */
inline std::string
exceptionMessage(const std::function<void()> & action)
{
  try
  {
    action();
  }
  catch (const itk::ExceptionObject & error)
  {
    return error.GetDescription();
  }
  return "no exception";
}

} // namespace cradl_test

#endif
