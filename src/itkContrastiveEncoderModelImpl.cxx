#include "itkContrastiveEncoderModelImpl.h"

#include <stdexcept>

namespace itk
{
namespace detail
{

cradl::ContrastiveEncoder
ContrastiveEncoderModelImpl::encoder() const
{
  cradl::ContrastiveEncoder network(cradl::encoderOptionsFromDict(part("architecture")));
  cradl::loadStateDict(*network, part("encoder"), "encoder");
  network->eval();
  return network;
}

ContrastiveEncoderModelImpl
ContrastiveEncoderModelImpl::load(const std::string & fileName)
{
  ContrastiveEncoderModelImpl impl;
  impl.model = cradl::loadDict(fileName, cradl::ContrastiveTraining::ModelFormat, cradl::ContrastiveTraining::FormatVersion);
  const auto require = [&](const char * part, const char * key, bool (c10::IValue::*is)() const, const char * type) {
    if (!impl.model.contains(part) || !impl.model.at(part).isGenericDict())
      throw std::runtime_error("'" + fileName + "' has no \"" + part + "\" dict: not a complete encoder model");
    const auto dict = impl.part(part);
    if (!dict.contains(key) || !(dict.at(key).*is)())
      throw std::runtime_error("'" + fileName + "': \"" + part + "\" has no " + type + " \"" + key + "\"");
  };
  for (const char * key : { "image_size", "nf", "nz", "head_hidden", "head_output" })
    require("architecture", key, &c10::IValue::isInt, "integer");
  require("architecture", "conv_bias", &c10::IValue::isBool, "boolean");
  require("preprocessing", "clip_minimum", &c10::IValue::isDouble, "number");
  require("preprocessing", "clip_maximum", &c10::IValue::isDouble, "number");
  require("preprocessing", "preserve_aspect_ratio", &c10::IValue::isBool, "boolean");
  require("training", "best_epoch", &c10::IValue::isInt, "integer");
  require("training", "completed_epochs", &c10::IValue::isInt, "integer");
  require("training", "best_validation_loss", &c10::IValue::isDouble, "number");
  if (!impl.model.contains("encoder") || !impl.model.at("encoder").isGenericDict())
    throw std::runtime_error("'" + fileName + "' has no \"encoder\" weights");
  impl.encoder(); // every tensor's name and shape, now
  return impl;
}

} // namespace detail
} // namespace itk
