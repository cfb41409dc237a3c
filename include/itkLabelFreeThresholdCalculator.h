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
#ifndef itkLabelFreeThresholdCalculator_h
#define itkLabelFreeThresholdCalculator_h

#include "CradlExport.h"
#include "cradlDefaults.h"
#include "itkImage.h"
#include "itkObject.h"

#include <vector>

namespace itk
{

/** \class LabelFreeThresholdCalculator
 * \brief The threshold that turns anomaly maps into segmentations without
 * any anomaly label on the test scans: the Quantile (default 0.99) of the
 * post-processed scores of healthy tissue.
 *
 * AddScores() takes an anomaly map of a validation scan, its brain mask
 * (optional: without one, every pixel counts) and its anomaly label
 * (optional): pixels inside the brain on axial slices holding no label pixel
 * are healthy samples. Compute() returns the quantile: the sample of rank
 * floor(Quantile x (n - 1)) in increasing order.
 *
 * \sa MixtureModelSelector::GetValidationResults, CradlEvaluation
 * \ingroup Cradl
 */
class Cradl_EXPORT LabelFreeThresholdCalculator : public Object
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(LabelFreeThresholdCalculator);

  using Self = LabelFreeThresholdCalculator;
  using Superclass = Object;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkNewMacro(Self);
  itkTypeMacro(LabelFreeThresholdCalculator, Object);

  using ImageType = Image<float, 3>;
  using MaskImageType = Image<unsigned char, 3>;

  itkSetClampMacro(Quantile, double, 0.0, 1.0);
  itkGetConstMacro(Quantile, double);

  /** Adds the healthy pixels of one map; the images must share its grid. */
  void
  AddScores(const ImageType * anomalyMap, const MaskImageType * mask, const MaskImageType * label);
  /** Healthy samples added so far. */
  SizeValueType
  GetNumberOfSamples() const
  {
    return m_Healthy.size();
  }
  void
  Clear();

  /** The threshold; throws ExceptionObject when no healthy pixel was added. */
  double
  Compute();
  itkGetConstMacro(Threshold, double);

protected:
  LabelFreeThresholdCalculator() = default;
  ~LabelFreeThresholdCalculator() override = default;
  void
  PrintSelf(std::ostream & os, Indent indent) const override;

private:
  double             m_Quantile{ cradl::defaults::ThresholdQuantile };
  double             m_Threshold{ 0.0 };
  std::vector<float> m_Healthy;
};

} // namespace itk

#endif
