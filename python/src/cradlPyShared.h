#ifndef cradlPyShared_h
#define cradlPyShared_h

// What the files of the `cradl._cradl` extension share: the models as Python
// holds them, optional masks, and each file's bindings.

#include "cradlPyImage.h"

#include "itkContrastiveEncoderModel.h"
#include "itkGaussianMixtureModel.h"

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>

namespace cradl_python
{
namespace py = pybind11;

struct EncoderModel
{
  itk::ContrastiveEncoderModel::ConstPointer model;
};

struct MixtureModel
{
  itk::GaussianMixtureModel::ConstPointer model;
};

/** A filter's output, kept after the filter is gone. */
template <typename TImage>
typename TImage::Pointer
detached(TImage * image)
{
  typename TImage::Pointer kept = image;
  kept->DisconnectPipeline();
  return kept;
}

/** A mask argument: None, or a uint8 image of the scan's dimension. */
template <typename TMask>
typename TMask::Pointer
optionalMask(const std::optional<PyImage> & mask)
{
  return mask ? mask->As<TMask>("mask") : nullptr;
}

/** Preprocessing, its inverse, post-processing, the intensity baseline, raw maps, fusion. */
void
bindImageFilters(py::module_ & m);
/** The models, scoring, training, fitting, selection, the one-call pipeline, the settings. */
void
bindStages(py::module_ & m);
/** Metrics, the label-free threshold, evaluation, the default data set. */
void
bindEvaluation(py::module_ & m);

} // namespace cradl_python

#endif
