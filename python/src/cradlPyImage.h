#ifndef cradlPyImage_h
#define cradlPyImage_h

// An image crossing between Python and the module: ITK's pixels (float32 or
// uint8, 2D or 3D) and geometry. Python sees the pixels through the buffer
// protocol (z, y, x order, as ITK Python's array views), never a C++ ITK
// object: PyPI's ITK and the module's are separate libraries.

#include "itkImage.h"

#include <pybind11/pybind11.h>

#include <string>
#include <variant>
#include <vector>

namespace cradl_python
{

using Float2 = itk::Image<float, 2>;
using Float3 = itk::Image<float, 3>;
using Byte2 = itk::Image<unsigned char, 2>;
using Byte3 = itk::Image<unsigned char, 3>;

class PyImage
{
public:
  using Holder = std::variant<Float2::Pointer, Float3::Pointer, Byte2::Pointer, Byte3::Pointer>;

  explicit PyImage(Holder image)
    : m_Image(std::move(image))
  {}

  /** A copy of a C-contiguous float32 ("f") or uint8 ("B") buffer of 2 or 3
   *  dimensions (z, y, x) with the geometry in ITK's (x, y, z) order. */
  static PyImage
  FromBuffer(const pybind11::buffer & pixels, const std::vector<double> & spacing, const std::vector<double> & origin,
             const std::vector<std::vector<double>> & direction);

  unsigned int
  Dimension() const;
  bool
  IsFloat() const;
  std::vector<double>
  Spacing() const;
  std::vector<double>
  Origin() const;
  std::vector<std::vector<double>>
  Direction() const;
  /** The pixels, (z, y, x), for Python's buffer protocol. */
  pybind11::buffer_info
  Buffer() const;

  /** The image as `TImage`; std::invalid_argument naming `role` otherwise. */
  template <typename TImage>
  typename TImage::Pointer
  As(const char * role) const
  {
    if (const auto * image = std::get_if<typename TImage::Pointer>(&m_Image))
    {
      return *image;
    }
    throw std::invalid_argument(std::string(role) + " must be a " + std::to_string(TImage::ImageDimension) + "D " +
                                (std::is_same<typename TImage::PixelType, float>::value ? "float32" : "uint8") +
                                " image, not a " + std::to_string(Dimension()) + "D " +
                                (IsFloat() ? "float32" : "uint8") + " one");
  }

private:
  Holder m_Image;
};

} // namespace cradl_python

#endif
