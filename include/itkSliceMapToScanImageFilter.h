/*=========================================================================
 *
 *  Copyright NumFOCUS
 *
 *  Licensed under the Apache License, Version 2.0 (the "License");
 *  you may not use this file except in compliance with the License.
 *  You may obtain a copy of the License at
 *
 *         http://www.apache.org/licenses/LICENSE-2.0.txt
 *
 *  Unless required by applicable law or agreed to in writing, software
 *  distributed under the License is distributed on an "AS IS" BASIS,
 *  WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 *  See the License for the specific language governing permissions and
 *  limitations under the License.
 *
 *=========================================================================*/
#ifndef itkSliceMapToScanImageFilter_h
#define itkSliceMapToScanImageFilter_h

#include "itkImageToImageFilter.h"

namespace itk
{

/** \class SliceMapToScanImageFilter
 * \brief Brings a map computed on CRADL's slice grid back onto the scan's grid.
 *
 * The inverse of CradlPreprocessImageFilter's resampling: the input is a map
 * (an anomaly map, say) on the slice grid that CradlPreprocessImageFilter
 * produced for a scan; ReferenceImage is that scan, or any image on its grid.
 * The output has the reference's size, spacing, origin and direction, so it
 * overlays on the scan in any viewer. Each output voxel takes the map's value
 * at the voxel's physical point, linearly interpolated within its own slice
 * (both grids share the slice axis); points outside the map's grid get 0.
 * With MaskImage set (on the reference grid), voxels outside the mask are 0.
 *
 * Errors (ExceptionObject): a map whose slices do not correspond to the
 * reference's slices (another count or spacing along the third axis), a mask
 * on another grid than the reference.
 *
 * \sa CradlPreprocessImageFilter
 * \ingroup Cradl
 */
template <typename TMapImage,
          typename TReferenceImage = TMapImage,
          typename TMaskImage = Image<unsigned char, TMapImage::ImageDimension>>
class ITK_TEMPLATE_EXPORT SliceMapToScanImageFilter
  : public ImageToImageFilter<TMapImage, Image<float, TMapImage::ImageDimension>>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(SliceMapToScanImageFilter);

  static constexpr unsigned int ImageDimension = TMapImage::ImageDimension;
  static_assert(ImageDimension == 2 || ImageDimension == 3, "CRADL works on 2D slices and 3D volumes");
  static_assert(TReferenceImage::ImageDimension == ImageDimension, "map and scan must have one dimension");

  using MapImageType = TMapImage;
  using ReferenceImageType = TReferenceImage;
  using MaskImageType = TMaskImage;
  using OutputImageType = Image<float, ImageDimension>;

  using Self = SliceMapToScanImageFilter;
  using Superclass = ImageToImageFilter<MapImageType, OutputImageType>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkNewMacro(Self);
  itkTypeMacro(SliceMapToScanImageFilter, ImageToImageFilter);

  /** The scan (or any image on its grid): defines the output grid. Required. */
  itkSetInputMacro(ReferenceImage, ReferenceImageType);
  itkGetInputMacro(ReferenceImage, ReferenceImageType);

  /** Optional brain mask on the reference grid: the output is 0 outside it. */
  itkSetInputMacro(MaskImage, MaskImageType);
  itkGetInputMacro(MaskImage, MaskImageType);

protected:
  SliceMapToScanImageFilter();
  ~SliceMapToScanImageFilter() override = default;

  void
  PrintSelf(std::ostream & os, Indent indent) const override;

  void
  VerifyInputInformation() ITKv5_CONST override;
  void
  GenerateOutputInformation() override;
  void
  GenerateInputRequestedRegion() override;
  void
  EnlargeOutputRequestedRegion(DataObject * output) override;
  void
  GenerateData() override;
};

} // namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkSliceMapToScanImageFilter.hxx"
#endif

#endif
