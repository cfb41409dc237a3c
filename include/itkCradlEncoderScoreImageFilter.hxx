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
#ifndef itkCradlEncoderScoreImageFilter_hxx
#define itkCradlEncoderScoreImageFilter_hxx

#include "itkCradlGeometry.h"
#include "itkCradlPreprocessImageFilter.h"
#include "itkCradlRuntime.h"
#include "itkSliceMapToScanImageFilter.h"

namespace itk
{

template <typename TInputImage, typename TMaskImage>
CradlEncoderScoreImageFilter<TInputImage, TMaskImage>::CradlEncoderScoreImageFilter()
{
  this->AddRequiredInputName("Encoder");
  this->AddRequiredInputName("Mixture");
}

template <typename TInputImage, typename TMaskImage>
void
CradlEncoderScoreImageFilter<TInputImage, TMaskImage>::VerifyPreconditions() ITKv5_CONST
{
  Superclass::VerifyPreconditions();
  const ContrastiveEncoderModel * encoder = this->GetEncoder();
  const GaussianMixtureModel *    mixture = this->GetMixture();
  if (!encoder->IsTrained() || !mixture->IsFitted())
  {
    itkExceptionMacro(<< "the encoder must be trained and the mixture fitted (or loaded from files)");
  }
  if (mixture->GetDimension() != encoder->GetRepresentationSize())
  {
    itkExceptionMacro(<< "the mixture was fitted to " << mixture->GetDimension()
                      << "-dimensional representations but the encoder makes " << encoder->GetRepresentationSize()
                      << ": use the mixture fitted with this encoder");
  }
  if (m_BatchSize < 1)
  {
    itkExceptionMacro(<< "BatchSize must be at least 1");
  }
  CradlRuntime::ValidateDevice(m_Device);
}

template <typename TInputImage, typename TMaskImage>
void
CradlEncoderScoreImageFilter<TInputImage, TMaskImage>::VerifyInputInformation() ITKv5_CONST
{
  CradlVerifyMaskGrid<ImageDimension>(this->GetInput(), this->GetMaskImage(), "scan");
}

template <typename TInputImage, typename TMaskImage>
void
CradlEncoderScoreImageFilter<TInputImage, TMaskImage>::GenerateInputRequestedRegion()
{
  CradlRequestWholeImages(const_cast<InputImageType *>(this->GetInput()), const_cast<MaskImageType *>(this->GetMaskImage()));
}

template <typename TInputImage, typename TMaskImage>
void
CradlEncoderScoreImageFilter<TInputImage, TMaskImage>::EnlargeOutputRequestedRegion(DataObject * output)
{
  Superclass::EnlargeOutputRequestedRegion(output);
  output->SetRequestedRegionToLargestPossibleRegion();
}

template <typename TInputImage, typename TMaskImage>
void
CradlEncoderScoreImageFilter<TInputImage, TMaskImage>::GenerateData()
{
  const ContrastiveEncoderModel * encoder = this->GetEncoder();
  const unsigned int              size = encoder->GetImageSize();

  auto preprocess = CradlPreprocessImageFilter<InputImageType, MaskImageType>::New();
  preprocess->SetInput(this->GetInput());
  if (const MaskImageType * mask = this->GetMaskImage())
  {
    preprocess->SetMaskImage(mask);
  }
  preprocess->SetSliceSize({ { size, size } });
  preprocess->SetClipMinimum(encoder->GetClipMinimum());
  preprocess->SetClipMaximum(encoder->GetClipMaximum());
  preprocess->SetPreserveAspectRatio(encoder->GetPreserveAspectRatio());
  preprocess->Update();
  this->UpdateProgress(0.1f);

  m_SliceMask = preprocess->GetMaskOutput(); // before scoring: position-conditioned maps read it
  m_SliceMap = this->ScorePreprocessedSlices(preprocess->GetOutput(), m_SliceNLL);
  this->UpdateProgress(0.9f);

  auto back = SliceMapToScanImageFilter<OutputImageType, InputImageType>::New();
  back->SetInput(m_SliceMap);
  back->SetReferenceImage(this->GetInput());
  back->GraftOutput(this->GetOutput());
  back->Update();
  this->GraftOutput(back->GetOutput());
}

template <typename TInputImage, typename TMaskImage>
void
CradlEncoderScoreImageFilter<TInputImage, TMaskImage>::PrintSelf(std::ostream & os, Indent indent) const
{
  Superclass::PrintSelf(os, indent);
  os << indent << "BatchSize: " << m_BatchSize << std::endl;
  os << indent << "Device: " << m_Device << std::endl;
  os << indent << "SliceNLL: " << m_SliceNLL.size() << " values" << std::endl;
}

} // namespace itk

#endif
