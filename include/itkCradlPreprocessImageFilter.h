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
#ifndef itkCradlPreprocessImageFilter_h
#define itkCradlPreprocessImageFilter_h

#include "cradlDefaults.h"
#include "itkImageToImageFilter.h"
#include "itkSize.h"

namespace itk
{

/** \class CradlPreprocessImageFilter
 * \brief Brings a scan onto CRADL's slice grid: z-score in the brain, resample
 * each slice to a fixed size, clip.
 *
 * Steps, as in the CRADL paper:
 * -# per-subject z-score: mean and standard deviation (population, over the
 *    brain voxels of the whole scan) map the brain to (x - mean) / std, and
 *    everything outside the brain to 0;
 * -# each slice is resampled (linear interpolation) to SliceSize pixels,
 *    128 x 128 by default. A 3D volume is a stack of slices along its third
 *    index axis; that axis is not resampled, so slice k of the output is
 *    slice k of the scan;
 * -# values are clipped to [ClipMinimum, ClipMaximum] (default [-1.5, 1.5])
 *    and set to 0 outside the resampled brain mask.
 *
 * Aspect: with PreserveAspectRatio on (the default) both in-plane axes get the
 * same spacing, chosen so that the larger physical extent of the slice just
 * fits; the grid is centred on the scan and the margin of the other axis is
 * background (0). With it off, each axis is stretched to fill SliceSize.
 * Either way the output keeps the scan's direction and its place in physical
 * space, so it overlays on the scan in any viewer and
 * SliceMapToScanImageFilter can bring maps computed on it back to the scan.
 *
 * The brain is the non-zero voxels of MaskImage; without a mask it is the
 * non-zero voxels of the scan (a skull-stripped scan). The mask must share the
 * scan's grid. Output 1 (GetMaskOutput()) is the brain mask on the slice grid
 * (nearest neighbour), with values 0 and 1.
 *
 * Errors (ExceptionObject): non-finite pixels, an empty brain, a brain of
 * constant intensity, a mask on another grid.
 *
 * \sa SliceMapToScanImageFilter
 * \ingroup Cradl
 */
template <typename TInputImage, typename TMaskImage = Image<unsigned char, TInputImage::ImageDimension>>
class ITK_TEMPLATE_EXPORT CradlPreprocessImageFilter
  : public ImageToImageFilter<TInputImage, Image<float, TInputImage::ImageDimension>>
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(CradlPreprocessImageFilter);

  static constexpr unsigned int ImageDimension = TInputImage::ImageDimension;
  static_assert(ImageDimension == 2 || ImageDimension == 3, "CRADL works on 2D slices and 3D volumes");

  using InputImageType = TInputImage;
  using MaskImageType = TMaskImage;
  using OutputImageType = Image<float, ImageDimension>;

  using Self = CradlPreprocessImageFilter;
  using Superclass = ImageToImageFilter<InputImageType, OutputImageType>;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkNewMacro(Self);
  itkTypeMacro(CradlPreprocessImageFilter, ImageToImageFilter);

  using SliceSizeType = Size<2>;
  using GridType = ImageBase<ImageDimension>;
  using DataObjectPointerArraySizeType = typename Superclass::DataObjectPointerArraySizeType;

  /** Optional brain mask on the scan's grid (non-zero = brain). */
  itkSetInputMacro(MaskImage, MaskImageType);
  itkGetInputMacro(MaskImage, MaskImageType);

  /** In-plane size of the output slices (width, height). Default 128 x 128. */
  itkSetMacro(SliceSize, SliceSizeType);
  itkGetConstMacro(SliceSize, SliceSizeType);

  itkSetMacro(PreserveAspectRatio, bool);
  itkGetConstMacro(PreserveAspectRatio, bool);
  itkBooleanMacro(PreserveAspectRatio);

  itkSetMacro(ClipMinimum, double);
  itkGetConstMacro(ClipMinimum, double);
  itkSetMacro(ClipMaximum, double);
  itkGetConstMacro(ClipMaximum, double);

  /** Statistics of the brain voxels, valid after Update(). */
  itkGetConstMacro(BrainMean, double);
  itkGetConstMacro(BrainStandardDeviation, double);
  itkGetConstMacro(BrainVoxelCount, SizeValueType);

  /** The brain mask on the slice grid (0 and 1). */
  MaskImageType *
  GetMaskOutput();

  /** The slice grid for a scan: an image with geometry and no pixels. */
  static typename GridType::Pointer
  MakeSliceGrid(const ImageBase<ImageDimension> * scan, const SliceSizeType & sliceSize, bool preserveAspectRatio);

protected:
  CradlPreprocessImageFilter();
  ~CradlPreprocessImageFilter() override = default;

  void
  PrintSelf(std::ostream & os, Indent indent) const override;

  using Superclass::MakeOutput;
  DataObject::Pointer
  MakeOutput(DataObjectPointerArraySizeType index) override;

  void
  VerifyPreconditions() ITKv5_CONST override;
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

private:
  using BrainImageType = Image<unsigned char, ImageDimension>;
  /** The brain (the mask's non-zero voxels, else the scan's) and its mean and
   *  standard deviation; refuses non-finite pixels, an empty or constant brain. */
  typename BrainImageType::Pointer
  MeasureBrain();
  /** z-scores inside the brain, 0 outside, on the scan's grid. */
  typename OutputImageType::Pointer
  ZScore(const BrainImageType * brain) const;
  /** Both onto the slice grid, then clipped inside the brain (0 outside) into the outputs. */
  void
  ResampleAndClip(const OutputImageType * zScored, const BrainImageType * brain);

  SliceSizeType m_SliceSize;
  bool          m_PreserveAspectRatio{ true };
  double        m_ClipMinimum{ cradl::defaults::ClipMinimum };
  double        m_ClipMaximum{ cradl::defaults::ClipMaximum };
  double        m_BrainMean{ 0.0 };
  double        m_BrainStandardDeviation{ 0.0 };
  SizeValueType m_BrainVoxelCount{ 0 };
};

} // namespace itk

#ifndef ITK_MANUAL_INSTANTIATION
#  include "itkCradlPreprocessImageFilter.hxx"
#endif

#endif
