// cradl._cradl: the image filters (preprocessing and its inverse,
// post-processing, the intensity baseline, raw maps, fusion) over images
// that cross as buffers.
#include "cradlPyShared.h"

#include "itkAnomalyMapFusionImageFilter.h"
#include "itkCradlPreprocessImageFilter.h"
#include "itkCradlScoringSettings.h"
#include "itkIntensityZScoreImageFilter.h"
#include "itkMedianGaussianPostprocessImageFilter.h"
#include "itkRepresentationNLLGradientImageFilter.h"
#include "itkRepresentationPatchDensityImageFilter.h"
#include "itkSliceMapToScanImageFilter.h"

namespace cradl_python
{

namespace
{
// --- Preprocessing and its inverse ------------------------------------------

template <typename TScan, typename TMask>
py::tuple
preprocessAs(const PyImage & scan, const std::optional<PyImage> & mask, unsigned int sliceSize, double clipMinimum,
             double clipMaximum, bool preserveAspectRatio)
{
  const auto input = scan.As<TScan>("scan");
  const auto brain = optionalMask<TMask>(mask);
  auto       filter = itk::CradlPreprocessImageFilter<TScan, TMask>::New();
  {
    py::gil_scoped_release release;
    filter->SetInput(input);
    if (brain)
      filter->SetMaskImage(brain);
    itk::Size<2> size;
    size.Fill(sliceSize);
    filter->SetSliceSize(size);
    filter->SetClipMinimum(clipMinimum);
    filter->SetClipMaximum(clipMaximum);
    filter->SetPreserveAspectRatio(preserveAspectRatio);
    filter->Update();
  }
  return py::make_tuple(PyImage(detached(filter->GetOutput())), PyImage(detached(filter->GetMaskOutput())));
}

py::tuple
preprocess(const PyImage & scan, const std::optional<PyImage> & mask, unsigned int sliceSize, double clipMinimum,
           double clipMaximum, bool preserveAspectRatio)
{
  if (scan.Dimension() == 2)
    return preprocessAs<Float2, Byte2>(scan, mask, sliceSize, clipMinimum, clipMaximum, preserveAspectRatio);
  return preprocessAs<Float3, Byte3>(scan, mask, sliceSize, clipMinimum, clipMaximum, preserveAspectRatio);
}

template <typename TMap, typename TMask>
PyImage
sliceMapToScanAs(const PyImage & map, const PyImage & reference, const std::optional<PyImage> & mask)
{
  const auto input = map.As<TMap>("map");
  const auto brain = optionalMask<TMask>(mask);
  auto       filter = itk::SliceMapToScanImageFilter<TMap, TMap, TMask>::New();
  // The reference gives only the grid: any pixel type, as a float image of its geometry.
  auto grid = TMap::New();
  {
    typename TMap::SizeType size;
    const auto              buffer = reference.Buffer();
    for (unsigned int axis = 0; axis < TMap::ImageDimension; ++axis)
      size[axis] = static_cast<itk::SizeValueType>(buffer.shape[TMap::ImageDimension - 1 - axis]);
    grid->SetRegions(size);
    typename TMap::SpacingType   spacing;
    typename TMap::PointType     origin;
    typename TMap::DirectionType direction;
    const auto                   s = reference.Spacing(), o = reference.Origin();
    const auto                   d = reference.Direction();
    for (unsigned int axis = 0; axis < TMap::ImageDimension; ++axis)
    {
      spacing[axis] = s[axis];
      origin[axis] = o[axis];
      for (unsigned int column = 0; column < TMap::ImageDimension; ++column)
        direction[axis][column] = d[axis][column];
    }
    grid->SetSpacing(spacing);
    grid->SetOrigin(origin);
    grid->SetDirection(direction);
  }
  {
    py::gil_scoped_release release;
    filter->SetInput(input);
    filter->SetReferenceImage(grid);
    if (brain)
      filter->SetMaskImage(brain);
    filter->Update();
  }
  return PyImage(detached(filter->GetOutput()));
}

PyImage
sliceMapToScan(const PyImage & map, const PyImage & reference, const std::optional<PyImage> & mask)
{
  if (map.Dimension() != reference.Dimension())
    throw std::invalid_argument("the map and the reference scan must have the same dimension");
  if (map.Dimension() == 2)
    return sliceMapToScanAs<Float2, Byte2>(map, reference, mask);
  return sliceMapToScanAs<Float3, Byte3>(map, reference, mask);
}

// --- Post-processing and the intensity baseline -----------------------------

template <typename TImage, typename TMask>
PyImage
postprocessAs(const PyImage & map, const std::optional<PyImage> & mask, unsigned int medianRadius, double sigma,
              unsigned int gaussianRadius)
{
  const auto input = map.As<TImage>("map");
  const auto brain = optionalMask<TMask>(mask);
  auto       filter = itk::MedianGaussianPostprocessImageFilter<TImage, TMask>::New();
  {
    py::gil_scoped_release release;
    filter->SetInput(input);
    if (brain)
      filter->SetMaskImage(brain);
    filter->SetMedianRadius(medianRadius);
    filter->SetGaussianSigma(sigma);
    filter->SetGaussianRadius(gaussianRadius);
    filter->Update();
  }
  return PyImage(detached(filter->GetOutput()));
}

PyImage
postprocess(const PyImage & map, const std::optional<PyImage> & mask, unsigned int medianRadius, double sigma,
            unsigned int gaussianRadius)
{
  if (map.Dimension() == 2)
    return postprocessAs<Float2, Byte2>(map, mask, medianRadius, sigma, gaussianRadius);
  return postprocessAs<Float3, Byte3>(map, mask, medianRadius, sigma, gaussianRadius);
}

template <typename TImage, typename TMask>
PyImage
intensityZScoreAs(const PyImage & scan, const std::optional<PyImage> & mask)
{
  const auto input = scan.As<TImage>("scan");
  const auto brain = optionalMask<TMask>(mask);
  auto       filter = itk::IntensityZScoreImageFilter<TImage, TMask>::New();
  {
    py::gil_scoped_release release;
    filter->SetInput(input);
    if (brain)
      filter->SetMaskImage(brain);
    filter->Update();
  }
  return PyImage(detached(filter->GetOutput()));
}

PyImage
intensityZScore(const PyImage & scan, const std::optional<PyImage> & mask)
{
  if (scan.Dimension() == 2)
    return intensityZScoreAs<Float2, Byte2>(scan, mask);
  return intensityZScoreAs<Float3, Byte3>(scan, mask);
}

// --- Raw maps of 2D slices or 3D volumes (the encoder score filters) --------------

template <typename TImage, typename TMask>
py::tuple
rawMapAs(const EncoderModel & encoder, const MixtureModel & mixture, const PyImage & scan,
         const std::optional<PyImage> & mask, const itk::CradlScoringSettings & settings)
{
  typename itk::CradlEncoderScoreImageFilter<TImage, TMask>::Pointer filter;
  if (settings.Mode == "gradient")
  {
    auto gradient = itk::RepresentationNLLGradientImageFilter<TImage, TMask>::New();
    gradient->SetMixedPrecision(settings.MixedPrecision);
    filter = gradient;
  }
  else if (settings.Mode == "patch")
    filter = itk::RepresentationPatchDensityImageFilter<TImage, TMask>::New();
  else
    throw std::invalid_argument("a raw map is \"gradient\" or \"patch\", not \"" + settings.Mode + "\"");
  const auto input = scan.As<TImage>("scan");
  const auto brain = optionalMask<TMask>(mask);
  {
    py::gil_scoped_release release;
    filter->SetInput(input);
    if (brain)
      filter->SetMaskImage(brain);
    filter->SetEncoder(encoder.model);
    filter->SetMixture(mixture.model);
    filter->SetDevice(settings.Device);
    filter->SetBatchSize(settings.BatchSize);
    filter->Update();
  }
  return py::make_tuple(PyImage(detached(filter->GetOutput())), filter->GetSliceNLL());
}

py::tuple
rawMap(const EncoderModel & encoder, const MixtureModel & mixture, const PyImage & scan,
       const std::optional<PyImage> & mask, const itk::CradlScoringSettings & settings)
{
  if (scan.Dimension() == 2)
    return rawMapAs<Float2, Byte2>(encoder, mixture, scan, mask, settings);
  return rawMapAs<Float3, Byte3>(encoder, mixture, scan, mask, settings);
}

// --- Fusion, the label-free threshold, evaluation -------------------------------

template <typename TImage, typename TMask>
PyImage
fuseAs(const std::vector<PyImage> & maps, const std::optional<PyImage> & mask)
{
  auto                              filter = itk::AnomalyMapFusionImageFilter<TImage, TMask>::New();
  std::vector<typename TImage::Pointer> kept;
  for (const auto & map : maps)
    kept.push_back(map.As<TImage>("map"));
  const auto brain = optionalMask<TMask>(mask);
  {
    py::gil_scoped_release release;
    for (unsigned int i = 0; i < kept.size(); ++i)
      filter->SetMap(i, kept[i]);
    if (brain)
      filter->SetMaskImage(brain);
    filter->Update();
  }
  return PyImage(detached(filter->GetOutput()));
}

PyImage
fuse(const std::vector<PyImage> & maps, const std::optional<PyImage> & mask)
{
  if (maps.empty())
    throw std::invalid_argument("give at least one map to fuse");
  if (maps.front().Dimension() == 2)
    return fuseAs<Float2, Byte2>(maps, mask);
  return fuseAs<Float3, Byte3>(maps, mask);
}
} // namespace

void
bindImageFilters(py::module_ & m)
{
  m.def("preprocess", &preprocess, py::arg("scan"), py::arg("mask"), py::arg("slice_size"), py::arg("clip_minimum"),
        py::arg("clip_maximum"), py::arg("preserve_aspect_ratio"));
  m.def("slice_map_to_scan", &sliceMapToScan, py::arg("map"), py::arg("reference"), py::arg("mask"));
  m.def("postprocess", &postprocess, py::arg("map"), py::arg("mask"), py::arg("median_radius"), py::arg("sigma"),
        py::arg("gaussian_radius"));
  m.def("intensity_zscore", &intensityZScore, py::arg("scan"), py::arg("mask"));
  m.def("raw_map", &rawMap, py::arg("encoder"), py::arg("mixture"), py::arg("scan"), py::arg("mask"),
        py::arg("settings"));
  m.def("fuse", &fuse, py::arg("maps"), py::arg("mask"));
}

} // namespace cradl_python
