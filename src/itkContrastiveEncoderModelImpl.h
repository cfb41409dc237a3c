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

  /** Reads a model file and checks now everything a getter or encoder() will
   *  read later (names, types, shapes), so a damaged or forged file fails
   *  here with std::runtime_error, not at first use. */
  static ContrastiveEncoderModelImpl
  load(const std::string & fileName);

  const cradl::ValueDict
  part(const char * name) const
  {
    return model.at(name).toGenericDict();
  }
};

} // namespace detail
} // namespace itk

#endif
