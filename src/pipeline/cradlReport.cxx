#include "cradlReport.h"

#include "itkBinaryContourImageFilter.h"
#include "cradlDefaults.h"
#include "itkCradlImageIO.h"
#include "itkCradlSliceSelection.h"
#include "itkExtractImageFilter.h"
#include "itkHotColormapFunction.h"
#include "itkRGBPixel.h"

#include <algorithm>
#include <cmath>

namespace cradl_pipeline
{

namespace
{
using RGB = itk::RGBPixel<unsigned char>;
using RGBImage = itk::Image<RGB, 2>;
using Plane = itk::Image<float, 2>;
using MaskPlane = itk::Image<unsigned char, 2>;

constexpr unsigned int LongSide = 360; // pixels of a picture's longer side, at least

// The plane of `volume` at `index` along `axis` (2 axial, 1 coronal, 0 sagittal).
template <typename TImage>
typename itk::Image<typename TImage::PixelType, 2>::Pointer
planeOf(const TImage * volume, unsigned int axis, unsigned int index)
{
  auto region = volume->GetLargestPossibleRegion();
  region.SetIndex(axis, index);
  region.SetSize(axis, 0);
  auto extract = itk::ExtractImageFilter<TImage, itk::Image<typename TImage::PixelType, 2>>::New();
  extract->SetInput(volume);
  extract->SetExtractionRegion(region);
  extract->SetDirectionCollapseToIdentity();
  extract->Update();
  return extract->GetOutput();
}

// Where an output pixel samples its plane: square pixels of the plane's
// physical extent, the plane's second axis drawn upwards (anterior or
// superior up in the usual RAS/LPS NIfTI).
struct Sampling
{
  unsigned int  width = 0, height = 0;
  double        pixel = 1.0; // mm
  itk::Vector<double, 2> spacing;
  itk::Size<2>  size;

  Sampling(const itk::Size<2> & planeSize, const itk::Vector<double, 2> & planeSpacing)
    : spacing(planeSpacing)
    , size(planeSize)
  {
    const double extentX = size[0] * spacing[0], extentY = size[1] * spacing[1];
    pixel = std::min({ spacing[0], spacing[1], std::max(extentX, extentY) / LongSide });
    width = static_cast<unsigned int>(std::lround(extentX / pixel));
    height = static_cast<unsigned int>(std::lround(extentY / pixel));
  }
  // The plane's linear index behind output pixel (column, row).
  itk::SizeValueType
  source(unsigned int column, unsigned int row) const
  {
    const auto x = std::min<itk::SizeValueType>(size[0] - 1, static_cast<itk::SizeValueType>((column + 0.5) * pixel / spacing[0]));
    const auto y = std::min<itk::SizeValueType>(size[1] - 1, static_cast<itk::SizeValueType>((height - row - 0.5) * pixel / spacing[1]));
    return y * size[0] + x;
  }
};

// A mask plane at the picture's pixels (nearest neighbour), and its outline
// by ITK's BinaryContourImageFilter: one pixel wide at the picture's size.
MaskPlane::Pointer
outlineOf(const MaskPlane * plane, const Sampling & sampling)
{
  auto resampled = MaskPlane::New();
  resampled->SetRegions(MaskPlane::SizeType{ { sampling.width, sampling.height } });
  resampled->Allocate();
  for (unsigned int row = 0; row < sampling.height; ++row)
    for (unsigned int column = 0; column < sampling.width; ++column)
      resampled->GetBufferPointer()[row * sampling.width + column] =
        plane->GetBufferPointer()[sampling.source(column, row)] != 0 ? 1 : 0;
  auto contour = itk::BinaryContourImageFilter<MaskPlane, MaskPlane>::New();
  contour->SetInput(resampled);
  contour->SetForegroundValue(1);
  contour->SetBackgroundValue(0);
  contour->FullyConnectedOn();
  contour->Update();
  return contour->GetOutput();
}

struct Volumes
{
  const itk::Image<float, 3> *         scan;
  const itk::Image<float, 3> *         map;
  const itk::Image<unsigned char, 3> * label;
  const itk::Image<unsigned char, 3> * segmentation;
  double                               brightest; // of the scan: the grey scale
  double                               mapMaximum; // the heat scale's top
};

// One picture: the scan in grey, the map in ITK's "hot" colour map blended
// by its strength (its weakest quarter transparent, the strongest at 80%),
// the segmentation's outline in cyan and the ground truth's in green.
nlohmann::json
writePicture(const std::string & folder, const std::string & file, const Volumes & v, unsigned int axis,
             unsigned int index)
{
  const auto grey = planeOf(v.scan, axis, index);
  const auto heat = planeOf(v.map, axis, index);
  const auto spacing3 = v.scan->GetSpacing();
  itk::Vector<double, 2> spacing;
  for (unsigned int d = 0, k = 0; d < 3; ++d)
    if (d != axis)
      spacing[k++] = spacing3[d];
  const Sampling sampling(grey->GetLargestPossibleRegion().GetSize(), spacing);
  MaskPlane::Pointer truth, segmented;
  if (v.label)
    truth = outlineOf(planeOf(v.label, axis, index), sampling);
  if (v.segmentation)
    segmented = outlineOf(planeOf(v.segmentation, axis, index), sampling);

  using Colormap = itk::Function::HotColormapFunction<float, RGB>;
  auto colormap = Colormap::New();
  colormap->SetMinimumInputValue(0.0f);
  colormap->SetMaximumInputValue(static_cast<float>(std::max(1e-12, v.mapMaximum)));
  auto picture = RGBImage::New();
  picture->SetRegions(RGBImage::SizeType{ { sampling.width, sampling.height } });
  picture->Allocate();
  for (unsigned int row = 0; row < sampling.height; ++row)
    for (unsigned int column = 0; column < sampling.width; ++column)
    {
      const auto   i = sampling.source(column, row);
      const auto   o = row * sampling.width + column;
      const double g = 255.0 * std::clamp(grey->GetBufferPointer()[i] / v.brightest, 0.0, 1.0);
      const float  value = heat->GetBufferPointer()[i];
      const double strength = std::clamp(value / std::max(1e-12, v.mapMaximum), 0.0, 1.0);
      const double alpha = 0.8 * std::clamp((strength - 0.25) / 0.75, 0.0, 1.0);
      const RGB    hot = (*colormap)(value);
      RGB          pixel;
      for (unsigned int c = 0; c < 3; ++c)
        pixel[c] = static_cast<unsigned char>(std::lround((1.0 - alpha) * g + alpha * hot[c]));
      if (segmented && segmented->GetBufferPointer()[o])
        pixel.Set(0, 230, 255);
      if (truth && truth->GetBufferPointer()[o])
        pixel.Set(40, 255, 40);
      picture->GetBufferPointer()[o] = pixel;
    }
  itk::CradlWriteImage(picture.GetPointer(), folder + "/" + file);
  return { { "file", file },
           { "axis", axis },
           { "index", index },
           { "of", v.scan->GetLargestPossibleRegion().GetSize()[axis] },
           { "width", sampling.width },
           { "height", sampling.height },
           { "millimetres_per_pixel", sampling.pixel } };
}
// The most and least anomalous axial slices by slice score (-1: none) among
// those that show as much brain as training asks for: the least anomalous of
// them is a real slice, not the brain's last sliver.
std::pair<long, long>
mostAndLeastAnomalous(const itk::Image<unsigned char, 3> * mask, unsigned int slices,
                      const std::vector<double> & sliceScores)
{
  std::vector<unsigned int> brainSlices =
    mask ? itk::CradlSelectBrainSlices(mask, cradl::defaults::MinimumBrainFraction) : std::vector<unsigned int>();
  if (mask && brainSlices.empty())
    brainSlices = itk::CradlSelectBrainSlices(mask, 0.0);
  if (!mask)
    for (unsigned int slice = 0; slice < slices; ++slice)
      brainSlices.push_back(slice);
  long most = -1, least = -1;
  for (const unsigned int slice : brainSlices)
  {
    if (slice >= sliceScores.size())
      continue;
    if (most < 0 || sliceScores[slice] > sliceScores[most])
      most = static_cast<long>(slice);
    if (least < 0 || sliceScores[slice] < sliceScores[least])
      least = static_cast<long>(slice);
  }
  return { most, least };
}
} // namespace


nlohmann::json
curveJson(const itk::CradlRankingMetrics & metrics)
{
  const std::size_t   n = metrics.Recall.size();
  const std::size_t   kept = std::min<std::size_t>(n, 400);
  std::vector<double> recall, precision, fpr, thresholds;
  for (std::size_t k = 0; k < kept; ++k)
  {
    const std::size_t i = kept < 2 ? 0 : k * (n - 1) / (kept - 1);
    recall.push_back(metrics.Recall[i]);
    precision.push_back(metrics.Precision[i]);
    fpr.push_back(metrics.FalsePositiveRate[i]);
    thresholds.push_back(metrics.Thresholds[i]);
  }
  return { { "recall", recall },         { "precision", precision },         { "fpr", fpr },
           { "thresholds", thresholds }, { "auprc", metrics.AUPRC },         { "auroc", metrics.AUROC },
           { "positives", metrics.Positives }, { "negatives", metrics.Negatives } };
}

nlohmann::json
operatingPoint(const itk::CradlRankingMetrics & metrics, double threshold)
{
  // Thresholds run from the highest down: the last point still at or above.
  std::size_t at = 0;
  for (std::size_t i = 0; i < metrics.Thresholds.size() && metrics.Thresholds[i] >= threshold; ++i)
    at = i;
  if (metrics.Thresholds.empty())
    return nullptr;
  return { { "threshold", threshold },
           { "recall", metrics.Recall[at] },
           { "precision", metrics.Precision[at] },
           { "fpr", metrics.FalsePositiveRate[at] } };
}

void
writeColorBar(const std::string & folder)
{
  using Colormap = itk::Function::HotColormapFunction<float, RGB>;
  auto colormap = Colormap::New();
  colormap->SetMinimumInputValue(0.0f);
  colormap->SetMaximumInputValue(1.0f);
  constexpr unsigned int width = 256, height = 14;
  auto                   bar = RGBImage::New();
  bar->SetRegions(RGBImage::SizeType{ { width, height } });
  bar->Allocate();
  for (unsigned int column = 0; column < width; ++column)
  {
    // The pictures' blend: the bar shows what a value looks like over black.
    const float  value = column / static_cast<float>(width - 1);
    const double alpha = 0.8 * std::clamp((value - 0.25) / 0.75, 0.0, 1.0);
    const RGB    hot = (*colormap)(value);
    RGB          pixel;
    for (unsigned int c = 0; c < 3; ++c)
      pixel[c] = static_cast<unsigned char>(std::lround(alpha * hot[c]));
    for (unsigned int row = 0; row < height; ++row)
      bar->GetBufferPointer()[row * width + column] = pixel;
  }
  itk::CradlWriteImage(bar.GetPointer(), folder + "/colorbar.png");
}

nlohmann::json
writeScanPictures(const std::string &                  folder,
                  const std::string &                  stem,
                  const itk::Image<float, 3> *         scan,
                  const itk::Image<float, 3> *         map,
                  const itk::Image<unsigned char, 3> * mask,
                  const itk::Image<unsigned char, 3> * label,
                  const itk::Image<unsigned char, 3> * segmentation,
                  const std::vector<double> &          sliceScores)
{
  const auto           size = scan->GetLargestPossibleRegion().GetSize();
  const itk::SizeValueType voxels = scan->GetLargestPossibleRegion().GetNumberOfPixels();
  const float *        values = map->GetBufferPointer();
  const unsigned char * brain = mask ? mask->GetBufferPointer() : nullptr;
  // The map's strongest voxel in the brain: the orthogonal planes cross there.
  itk::SizeValueType strongest = 0;
  double             peak = 0.0, brightest = 1e-6;
  for (itk::SizeValueType i = 0; i < voxels; ++i)
  {
    brightest = std::max(brightest, static_cast<double>(scan->GetBufferPointer()[i]));
    if ((brain == nullptr || brain[i] != 0) && values[i] > peak)
    {
      peak = values[i];
      strongest = i;
    }
  }
  const Volumes volumes{ scan, map, label, segmentation, brightest, peak };

  const auto [most, least] = mostAndLeastAnomalous(mask, static_cast<unsigned int>(size[2]), sliceScores);
  nlohmann::json views = nlohmann::json::array();
  const auto     view = [&](const char * name, const std::string & file, unsigned int axis, unsigned int index,
                        const std::string & title) {
    nlohmann::json picture = writePicture(folder, file, volumes, axis, index);
    picture["view"] = name;
    picture["title"] = title;
    views.push_back(picture);
  };
  const auto scoreText = [&](long slice) {
    char text[64];
    std::snprintf(text, sizeof text, "%.4g", sliceScores[static_cast<std::size_t>(slice)]);
    return std::string(text);
  };
  if (most >= 0)
  {
    view("most", stem + "_most_anomalous.png", 2, static_cast<unsigned int>(most),
         "most anomalous axial slice " + std::to_string(most) + " of " + std::to_string(size[2]) + ", slice score " +
           scoreText(most));
    view("least", stem + "_least_anomalous.png", 2, static_cast<unsigned int>(least),
         "least anomalous axial slice " + std::to_string(least) + " of " + std::to_string(size[2]) +
           ", slice score " + scoreText(least));
  }
  const itk::SizeValueType x = strongest % size[0], y = (strongest / size[0]) % size[1], z = strongest / (size[0] * size[1]);
  if (size[2] > 1)
  {
    const std::string at = " through the strongest voxel (" + std::to_string(x) + ", " + std::to_string(y) + ", " +
                           std::to_string(z) + ")";
    view("axial", stem + "_axial.png", 2, static_cast<unsigned int>(z), "axial" + at);
    view("coronal", stem + "_coronal.png", 1, static_cast<unsigned int>(y), "coronal" + at);
    view("sagittal", stem + "_sagittal.png", 0, static_cast<unsigned int>(x), "sagittal" + at);
  }
  return { { "stem", stem },
           { "map_maximum", peak },
           { "strongest_voxel", { x, y, z } },
           { "size", { size[0], size[1], size[2] } },
           { "spacing", { scan->GetSpacing()[0], scan->GetSpacing()[1], scan->GetSpacing()[2] } },
           { "views", views } };
}

} // namespace cradl_pipeline
