#include "cradlPyImage.h"

#include <cmath>
#include <cstring>
#include <stdexcept>

namespace py = pybind11;

namespace cradl_python
{

namespace
{
template <typename TImage>
typename TImage::Pointer
imageFrom(const py::buffer_info & info, const std::vector<double> & spacing, const std::vector<double> & origin,
          const std::vector<std::vector<double>> & direction)
{
  constexpr unsigned int D = TImage::ImageDimension;
  auto                   image = TImage::New();
  typename TImage::SizeType      size;
  typename TImage::SpacingType   itkSpacing;
  typename TImage::PointType     itkOrigin;
  typename TImage::DirectionType itkDirection;
  for (unsigned int axis = 0; axis < D; ++axis)
  {
    size[axis] = static_cast<itk::SizeValueType>(info.shape[D - 1 - axis]);
    if (!(spacing[axis] > 0.0) || !std::isfinite(spacing[axis]) || !std::isfinite(origin[axis]))
      throw std::invalid_argument("spacing must be positive and finite, origin finite");
    itkSpacing[axis] = spacing[axis];
    itkOrigin[axis] = origin[axis];
    for (unsigned int column = 0; column < D; ++column)
      itkDirection[axis][column] = direction[axis][column];
  }
  if (std::abs(vnl_determinant(itkDirection.GetVnlMatrix())) < 1e-6)
    throw std::invalid_argument("direction must be an invertible matrix (the axes' directions in physical space)");
  image->SetRegions(size);
  image->SetSpacing(itkSpacing);
  image->SetOrigin(itkOrigin);
  image->SetDirection(itkDirection);
  image->Allocate();
  std::memcpy(image->GetBufferPointer(), info.ptr,
              image->GetLargestPossibleRegion().GetNumberOfPixels() * sizeof(typename TImage::PixelType));
  return image;
}

template <typename TVisit>
auto
visitBase(const PyImage::Holder & holder, TVisit && visit)
{
  return std::visit([&](const auto & image) { return visit(image.GetPointer()); }, holder);
}
} // namespace

PyImage
PyImage::FromBuffer(const py::buffer & pixels, const std::vector<double> & spacing, const std::vector<double> & origin,
                    const std::vector<std::vector<double>> & direction)
{
  const py::buffer_info info = pixels.request();
  const auto            dimension = static_cast<std::size_t>(info.ndim);
  if (dimension != 2 && dimension != 3)
    throw std::invalid_argument("images must have 2 or 3 dimensions, not " + std::to_string(dimension));
  if (spacing.size() != dimension || origin.size() != dimension || direction.size() != dimension)
    throw std::invalid_argument("spacing, origin and direction must match the image's " + std::to_string(dimension) +
                                " dimensions");
  for (const auto & row : direction)
    if (row.size() != dimension)
      throw std::invalid_argument("direction must be a " + std::to_string(dimension) + " x " +
                                  std::to_string(dimension) + " matrix");
  // C order: the last axis (x) fastest.
  py::ssize_t stride = info.itemsize;
  for (std::size_t axis = dimension; axis-- > 0;)
  {
    if (info.shape[axis] < 1)
      throw std::invalid_argument("images must not be empty");
    if (info.strides[axis] != stride)
      throw std::invalid_argument("pixels must be a C-contiguous array");
    stride *= info.shape[axis];
  }
  const bool isFloat = info.format == py::format_descriptor<float>::format() && info.itemsize == 4;
  const bool isByte = (info.format == "B" || info.format == "?") && info.itemsize == 1;
  if (!isFloat && !isByte)
    throw std::invalid_argument("pixels must be float32 (scans, maps) or uint8 (masks, labels), not format '" +
                                info.format + "'");
  if (dimension == 2)
    return isFloat ? PyImage(imageFrom<Float2>(info, spacing, origin, direction))
                   : PyImage(imageFrom<Byte2>(info, spacing, origin, direction));
  return isFloat ? PyImage(imageFrom<Float3>(info, spacing, origin, direction))
                 : PyImage(imageFrom<Byte3>(info, spacing, origin, direction));
}

unsigned int
PyImage::Dimension() const
{
  return std::holds_alternative<Float2::Pointer>(m_Image) || std::holds_alternative<Byte2::Pointer>(m_Image) ? 2 : 3;
}

bool
PyImage::IsFloat() const
{
  return std::holds_alternative<Float2::Pointer>(m_Image) || std::holds_alternative<Float3::Pointer>(m_Image);
}

std::vector<double>
PyImage::Spacing() const
{
  return visitBase(m_Image, [](const auto * image) {
    std::vector<double> values;
    for (unsigned int axis = 0; axis < image->GetImageDimension(); ++axis)
      values.push_back(image->GetSpacing()[axis]);
    return values;
  });
}

std::vector<double>
PyImage::Origin() const
{
  return visitBase(m_Image, [](const auto * image) {
    std::vector<double> values;
    for (unsigned int axis = 0; axis < image->GetImageDimension(); ++axis)
      values.push_back(image->GetOrigin()[axis]);
    return values;
  });
}

std::vector<std::vector<double>>
PyImage::Direction() const
{
  return visitBase(m_Image, [](const auto * image) {
    const unsigned int               D = image->GetImageDimension();
    std::vector<std::vector<double>> rows(D, std::vector<double>(D));
    for (unsigned int row = 0; row < D; ++row)
      for (unsigned int column = 0; column < D; ++column)
        rows[row][column] = image->GetDirection()[row][column];
    return rows;
  });
}

py::buffer_info
PyImage::Buffer() const
{
  return visitBase(m_Image, [](auto * image) {
    using Pixel = typename std::remove_pointer_t<decltype(image)>::PixelType;
    const unsigned int       D = image->GetImageDimension();
    const auto               size = image->GetBufferedRegion().GetSize();
    std::vector<py::ssize_t> shape(D), strides(D);
    py::ssize_t              stride = sizeof(Pixel);
    for (unsigned int axis = 0; axis < D; ++axis)
    {
      shape[D - 1 - axis] = static_cast<py::ssize_t>(size[axis]);
      strides[D - 1 - axis] = stride;
      stride *= static_cast<py::ssize_t>(size[axis]);
    }
    return py::buffer_info(const_cast<Pixel *>(image->GetBufferPointer()), sizeof(Pixel),
                           py::format_descriptor<Pixel>::format(), D, shape, strides, /*readonly=*/false);
  });
}

} // namespace cradl_python
