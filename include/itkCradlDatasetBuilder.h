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
#ifndef itkCradlDatasetBuilder_h
#define itkCradlDatasetBuilder_h

#include "CradlExport.h"
#include "itkImage.h"
#include "itkObject.h"
#include "itkObjectFactory.h"

#include <string>
#include <vector>

namespace itk
{

/** \class CradlDatasetBuilder
 * \brief Builds a CRADL data set from one healthy brain: warped, biased,
 * re-contrasted, noisy "subjects", with rendered anomalies and exact labels.
 *
 * The template (by default the Colin27 T1 that Debian's mricron-data ships,
 * ch2bet.nii.gz, skull-stripped; its brain is its non-zero voxels) is first
 * resampled to OutputSpacing. Each subject then gets, seeded by Seed and its
 * index:
 * -# a random affine (rotation up to MaximumRotation rad per axis, scaling
 *    1 +- MaximumScaling, translation up to MaximumTranslation mm) composed
 *    with a smooth elastic displacement field (white noise smoothed with a
 *    Gaussian of ElasticSmoothing mm, scaled to ElasticAmplitude mm RMS),
 *    applied with ITK's ResampleImageFilter (linear for the scan, nearest
 *    neighbour for the mask);
 * -# a smooth multiplicative bias field (exp of a random quadratic in the
 *    normalised coordinates, up to +-BiasStrength);
 * -# a contrast change: intensities normalised to the brain's 99th
 *    percentile and raised to a gamma in [1/MaximumGamma, MaximumGamma];
 * -# validation and test subjects: 2 to MaximumLesions anomalies of radius
 *    in [MinimumLesionRadius, MaximumLesionRadius] mm inside the brain, with
 *    irregular, soft borders, of eight kinds that differ in contrast, size,
 *    shape and texture (AnomalyKind, taken in turn): hyper-intense
 *    (tumour-like), hypo-intense (stroke-like), tissue moved from elsewhere in
 *    the same brain (foreign patch), a cluster of small bright foci, a mass
 *    that pushes the tissue around it outwards, an iso-intense texture change,
 *    a ring (bright rim, dark core) and a subtle broad hyper-intensity (+20%,
 *    very soft border). The label is where the anomaly's weight is at least
 *    0.5; the kind map holds the kind's code there. Validation subjects never
 *    get the HeldOutKind (default "ring"), so that what carries over to an
 *    unseen kind is measured;
 * -# additive Gaussian noise of NoiseLevel times the brain's mean (ITK's
 *    AdditiveGaussianNoiseImageFilter).
 *
 * Write() stores NIfTI scans, brain masks, labels and kind maps under
 * images/, masks/, labels/, kinds/ of the output folder (each file written to
 * a temporary name and renamed) and the manifests train.csv, val.csv,
 * test.csv (header image,mask,label,kinds; train has no labels).
 *
 * \sa CradlManifest
 * \ingroup Cradl
 */
class Cradl_EXPORT CradlDatasetBuilder : public Object
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(CradlDatasetBuilder);

  using Self = CradlDatasetBuilder;
  using Superclass = Object;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkNewMacro(Self);
  itkTypeMacro(CradlDatasetBuilder, Object);

  using ImageType = Image<float, 3>;
  using MaskImageType = Image<unsigned char, 3>;

  /** The healthy template; without one, Write() reads FindColin27(). */
  void
  SetTemplate(const ImageType * image, const MaskImageType * brainMask = nullptr);

  /** ch2bet.nii.gz of Debian's mricron-data, found with `dpkg -L` (then the
   *  usual folder); throws with the install command when it is missing. */
  static std::string
  FindColin27();

  itkSetMacro(NumberOfTrainingSubjects, unsigned int);
  itkGetConstMacro(NumberOfTrainingSubjects, unsigned int);
  itkSetMacro(NumberOfValidationSubjects, unsigned int);
  itkGetConstMacro(NumberOfValidationSubjects, unsigned int);
  itkSetMacro(NumberOfTestSubjects, unsigned int);
  itkGetConstMacro(NumberOfTestSubjects, unsigned int);
  itkSetMacro(OutputSpacing, double);
  itkGetConstMacro(OutputSpacing, double);
  itkSetMacro(Seed, unsigned int);
  itkGetConstMacro(Seed, unsigned int);
  itkSetMacro(MaximumRotation, double);
  itkGetConstMacro(MaximumRotation, double);
  itkSetMacro(MaximumScaling, double);
  itkGetConstMacro(MaximumScaling, double);
  itkSetMacro(MaximumTranslation, double);
  itkGetConstMacro(MaximumTranslation, double);
  itkSetMacro(ElasticAmplitude, double);
  itkGetConstMacro(ElasticAmplitude, double);
  itkSetMacro(ElasticSmoothing, double);
  itkGetConstMacro(ElasticSmoothing, double);
  itkSetMacro(BiasStrength, double);
  itkGetConstMacro(BiasStrength, double);
  itkSetMacro(MaximumGamma, double);
  itkGetConstMacro(MaximumGamma, double);
  itkSetMacro(NoiseLevel, double);
  itkGetConstMacro(NoiseLevel, double);
  itkSetMacro(MaximumLesions, unsigned int);
  itkGetConstMacro(MaximumLesions, unsigned int);
  itkSetMacro(MinimumLesionRadius, double);
  itkGetConstMacro(MinimumLesionRadius, double);
  itkSetMacro(MaximumLesionRadius, double);
  itkGetConstMacro(MaximumLesionRadius, double);

  /** The kinds of anomaly; the code is the value in the kind maps. */
  enum class AnomalyKind : unsigned char
  {
    Hyperintense = 1,
    Hypointense,
    Foreign,
    Foci,
    Mass,
    Texture,
    Ring,
    Subtle
  };
  /** Their names, code 1 first: "hyperintense", "hypointense", "foreign",
   *  "foci", "mass", "texture", "ring", "subtle". */
  static const std::vector<std::string> &
  GetAnomalyKindNames();

  /** The kind validation subjects never get (a name; "" for none). */
  itkSetStringMacro(HeldOutKind);
  itkGetStringMacro(HeldOutKind);

  struct Subject
  {
    ImageType::Pointer     Image;
    MaskImageType::Pointer Mask;
    MaskImageType::Pointer Label; // all zero for healthy subjects
    MaskImageType::Pointer Kinds; // the kind code of each label voxel, 0 elsewhere
  };

  /** Subject `index` (deterministic in Seed and index); anomalies if asked,
   *  of every kind or of all but the HeldOutKind. */
  Subject
  MakeSubject(unsigned int index, bool withAnomalies, bool withHeldOutKind = true);

  /** Writes the whole data set under `folder`. */
  void
  Write(const std::string & folder);

protected:
  CradlDatasetBuilder() = default;
  ~CradlDatasetBuilder() override = default;
  void
  PrintSelf(std::ostream & os, Indent indent) const override;

private:
  void
  PrepareTemplate();

  ImageType::ConstPointer     m_Template;
  MaskImageType::ConstPointer m_TemplateMask;
  ImageType::Pointer          m_Resampled;
  MaskImageType::Pointer      m_ResampledMask;

  unsigned int m_NumberOfTrainingSubjects{ 20 };
  unsigned int m_NumberOfValidationSubjects{ 4 };
  unsigned int m_NumberOfTestSubjects{ 8 };
  std::string  m_HeldOutKind{ "ring" };
  double       m_OutputSpacing{ 2.0 };
  unsigned int m_Seed{ 0 };
  double       m_MaximumRotation{ 0.08 };
  double       m_MaximumScaling{ 0.06 };
  double       m_MaximumTranslation{ 4.0 };
  double       m_ElasticAmplitude{ 2.0 };
  double       m_ElasticSmoothing{ 12.0 };
  double       m_BiasStrength{ 0.15 };
  double       m_MaximumGamma{ 1.25 };
  double       m_NoiseLevel{ 0.03 };
  unsigned int m_MaximumLesions{ 3 };
  double       m_MinimumLesionRadius{ 5.0 };
  double       m_MaximumLesionRadius{ 14.0 };
};

} // namespace itk

#endif
