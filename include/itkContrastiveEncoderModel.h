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
#ifndef itkContrastiveEncoderModel_h
#define itkContrastiveEncoderModel_h

#include "CradlExport.h"
#include "itkDataObject.h"
#include "itkObjectFactory.h"

#include <memory>
#include <string>

namespace itk
{

namespace detail
{
struct ContrastiveEncoderModelImpl;
}

/** \class ContrastiveEncoderModel
 * \brief A trained CRADL encoder: the data object that
 * ContrastiveEncoderTrainer produces and the scoring filters consume.
 *
 * It holds the encoder's and projection head's weights (those of the epoch
 * with the lowest validation loss), the architecture, the preprocessing
 * parameters the slices were made with, and the training configuration.
 *
 * Save() writes one file (a PyTorch-pickled dict that PyTorch's load() reads;
 * see examples/python/cradl_model.py), atomically: a temporary file renamed
 * into place. Load() checks the format, its version and every tensor's shape,
 * and throws an ExceptionObject that says what is wrong with a truncated,
 * foreign or incompatible file.
 *
 * \sa ContrastiveEncoderTrainer
 * \ingroup Cradl
 */
class Cradl_EXPORT ContrastiveEncoderModel : public DataObject
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(ContrastiveEncoderModel);

  using Self = ContrastiveEncoderModel;
  using Superclass = DataObject;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkNewMacro(Self);
  itkTypeMacro(ContrastiveEncoderModel, DataObject);

  /** Whether weights are present (after training or Load). */
  bool
  IsTrained() const;

  void
  Save(const std::string & fileName) const;
  static Pointer
  Load(const std::string & fileName);

  /** Architecture. */
  unsigned int
  GetImageSize() const;
  unsigned int
  GetNumberOfFilters() const; // nf
  unsigned int
  GetRepresentationSize() const; // nz

  /** Preprocessing the slices were made with. */
  double
  GetClipMinimum() const;
  double
  GetClipMaximum() const;
  bool
  GetPreserveAspectRatio() const;

  /** Training summary. */
  unsigned int
  GetBestEpoch() const;
  double
  GetBestValidationLoss() const;
  unsigned int
  GetCompletedEpochs() const;

  /** For Cradl's own filters: the LibTorch-side state. */
  const std::shared_ptr<detail::ContrastiveEncoderModelImpl> &
  GetImpl() const
  {
    return m_Impl;
  }
  void
  SetImpl(std::shared_ptr<detail::ContrastiveEncoderModelImpl> impl);

  void
  Initialize() override;
  void
  Graft(const DataObject * data) override;

protected:
  ContrastiveEncoderModel() = default;
  ~ContrastiveEncoderModel() override = default;

  void
  PrintSelf(std::ostream & os, Indent indent) const override;

private:
  std::shared_ptr<detail::ContrastiveEncoderModelImpl> m_Impl;
};

} // namespace itk

#endif
