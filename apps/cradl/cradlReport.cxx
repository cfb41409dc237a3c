#include "cradlReport.h"

#include "itkBinaryContourImageFilter.h"
#include "itkCradlImageIO.h"
#include "itkCradlSliceSelection.h"
#include "itkExtractImageFilter.h"
#include "itkRGBPixel.h"
#include "itkScalarToRGBColormapImageFilter.h"

#include <algorithm>
#include <cmath>

namespace cradl_cli
{

namespace
{
using RGB = itk::RGBPixel<unsigned char>;
using RGBImage = itk::Image<RGB, 2>;

RGBImage::Pointer
canvas(unsigned int width, unsigned int height, unsigned char grey)
{
  auto image = RGBImage::New();
  image->SetRegions(RGBImage::SizeType{ { width, height } });
  image->Allocate();
  RGB background;
  background.Fill(grey);
  image->FillBuffer(background);
  return image;
}

template <typename TImage>
typename itk::Image<typename TImage::PixelType, 2>::Pointer
sliceOf(const TImage * volume, unsigned int slice)
{
  auto region = volume->GetLargestPossibleRegion();
  region.SetIndex(2, slice);
  region.SetSize(2, 0);
  auto extract = itk::ExtractImageFilter<TImage, itk::Image<typename TImage::PixelType, 2>>::New();
  extract->SetInput(volume);
  extract->SetExtractionRegion(region);
  extract->SetDirectionCollapseToIdentity();
  extract->Update();
  return extract->GetOutput();
}
} // namespace

void
writeCurvePlot(const std::string & path, const std::vector<double> & x, const std::vector<double> & y)
{
  constexpr int size = 400;
  constexpr int margin = 30;
  auto          image = canvas(size + 2 * margin, size + 2 * margin, 255);
  const auto    put = [&](double u, double v, RGB colour) {
    const long column = margin + std::lround(std::clamp(u, 0.0, 1.0) * size);
    const long row = margin + std::lround((1.0 - std::clamp(v, 0.0, 1.0)) * size);
    image->SetPixel({ { column, row } }, colour);
  };
  RGB grid, axis, curve;
  grid.Fill(225);
  axis.Fill(0);
  curve[0] = 200;
  curve[1] = 30;
  curve[2] = 30;
  for (int k = 0; k <= 10; ++k)
    for (int t = 0; t <= size; ++t)
    {
      put(k / 10.0, t / static_cast<double>(size), k == 0 ? axis : grid);
      put(t / static_cast<double>(size), k / 10.0, k == 0 ? axis : grid);
    }
  for (std::size_t i = 1; i < x.size(); ++i)
  {
    const int steps = 2 * size;
    for (int s = 0; s <= steps; ++s)
    {
      const double f = s / static_cast<double>(steps);
      put(x[i - 1] + f * (x[i] - x[i - 1]), y[i - 1] + f * (y[i] - y[i - 1]), curve);
    }
  }
  itk::CradlWriteImage(image.GetPointer(), path);
}

void
writeOverlay(const std::string &                  path,
             const itk::Image<float, 3> *         scan,
             const itk::Image<float, 3> *         map,
             const itk::Image<unsigned char, 3> * label,
             unsigned int                         slice,
             double                               mapMaximum)
{
  const auto grey = sliceOf(scan, slice);
  const auto heat = sliceOf(map, slice);
  const auto size = grey->GetLargestPossibleRegion().GetSize();
  float      brightest = 1e-6f;
  for (itk::SizeValueType i = 0; i < size[0] * size[1]; ++i)
    brightest = std::max(brightest, grey->GetBufferPointer()[i]);

  // ITK's "hot" colour map of the anomaly map, scaled to the scan's maximum.
  auto scaled = itk::Image<float, 2>::New();
  scaled->CopyInformation(heat);
  scaled->SetRegions(heat->GetLargestPossibleRegion());
  scaled->Allocate();
  for (itk::SizeValueType i = 0; i < size[0] * size[1]; ++i)
    scaled->GetBufferPointer()[i] = static_cast<float>(std::min(1.0, heat->GetBufferPointer()[i] / std::max(1e-12, mapMaximum)));
  auto colour = itk::ScalarToRGBColormapImageFilter<itk::Image<float, 2>, RGBImage>::New();
  colour->SetInput(scaled);
  colour->SetColormap(itk::ScalarToRGBColormapImageFilterEnums::RGBColormapFilter::Hot);
  colour->UseInputImageExtremaForScalingOff();
  colour->GetModifiableColormap()->SetMinimumInputValue(0.0f);
  colour->GetModifiableColormap()->SetMaximumInputValue(1.0f);
  colour->Update();

  RGBImage::Pointer contour;
  if (label != nullptr)
  {
    auto outline = itk::BinaryContourImageFilter<itk::Image<unsigned char, 2>, itk::Image<unsigned char, 2>>::New();
    outline->SetInput(sliceOf(label, slice));
    outline->SetForegroundValue(1);
    outline->SetBackgroundValue(0);
    outline->Update();
    contour = canvas(size[0], size[1], 0);
    for (itk::SizeValueType i = 0; i < size[0] * size[1]; ++i)
      contour->GetBufferPointer()[i][1] = outline->GetOutput()->GetBufferPointer()[i] ? 255 : 0;
  }

  // Grey scan, heat blended by its own strength, contour on top; rows flipped
  // so that anterior is up for the usual RAS/LPS NIfTI.
  // Drawn at Zoom x Zoom pixels per voxel so that small slices stay legible.
  constexpr itk::SizeValueType Zoom = 3;
  auto out = canvas(size[0] * Zoom, size[1] * Zoom, 0);
  for (itk::SizeValueType row = 0; row < size[1] * Zoom; ++row)
    for (itk::SizeValueType column = 0; column < size[0] * Zoom; ++column)
    {
      const auto   i = (row / Zoom) * size[0] + column / Zoom;
      const auto   o = (size[1] * Zoom - 1 - row) * size[0] * Zoom + column;
      const double g = 255.0 * grey->GetBufferPointer()[i] / brightest;
      // The weakest quarter of the map stays transparent, the strongest shows at 80%.
      const double alpha = 0.8 * std::clamp((scaled->GetBufferPointer()[i] - 0.25) / 0.75, 0.0, 1.0);
      RGB          pixel;
      for (unsigned int c = 0; c < 3; ++c)
        pixel[c] = static_cast<unsigned char>(std::lround((1.0 - alpha) * g + alpha * colour->GetOutput()->GetBufferPointer()[i][c]));
      if (contour && contour->GetBufferPointer()[i][1])
      {
        pixel[0] = 0;
        pixel[1] = 255;
        pixel[2] = 0;
      }
      out->GetBufferPointer()[o] = pixel;
    }
  itk::CradlWriteImage(out.GetPointer(), path);
}

void
writeScanOverlays(const std::string &                  folder,
                  const std::string &                  stem,
                  const itk::Image<float, 3> *         scan,
                  const itk::Image<float, 3> *         map,
                  const itk::Image<unsigned char, 3> * mask,
                  const itk::Image<unsigned char, 3> * label,
                  const std::vector<double> &          sliceScores)
{
  std::vector<unsigned int> brainSlices;
  if (mask)
    brainSlices = itk::CradlSelectBrainSlices(mask, 0.0);
  else
    for (unsigned int slice = 0; slice < sliceScores.size(); ++slice)
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
  if (most < 0)
    return;
  const float * values = map->GetBufferPointer();
  const double  peak = *std::max_element(values, values + map->GetLargestPossibleRegion().GetNumberOfPixels());
  writeOverlay(folder + "/" + stem + "_most_anomalous.png", scan, map, label, static_cast<unsigned int>(most), peak);
  writeOverlay(folder + "/" + stem + "_least_anomalous.png", scan, map, label, static_cast<unsigned int>(least), peak);
}

} // namespace cradl_cli
