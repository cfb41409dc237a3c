#ifndef itkContrastiveEncoderModelImpl_h
#define itkContrastiveEncoderModelImpl_h

// Private: the torch state behind itk::ContrastiveEncoderModel.

#include "cradlContrastiveTraining.h"
#include "cradlModelFile.h"

namespace itk
{
namespace detail
{

struct ContrastiveEncoderModelImpl
{
  cradl::ValueDict model = cradl::makeValueDict(); // as in the model file

  /** A fresh encoder with the kept weights, in eval mode, on the CPU. */
  cradl::ContrastiveEncoder
  encoder() const;

  const cradl::ValueDict
  part(const char * name) const
  {
    return model.at(name).toGenericDict();
  }
};

} // namespace detail
} // namespace itk

#endif
