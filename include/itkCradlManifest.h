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
#ifndef itkCradlManifest_h
#define itkCradlManifest_h

#include "CradlExport.h"
#include "itkImage.h"
#include "itkObject.h"
#include "itkObjectFactory.h"

#include <string>
#include <vector>

namespace itk
{

/** \class CradlManifest
 * \brief A data set: a CSV file that lists scans with their brain masks and
 * anomaly labels.
 *
 * The CSV's header names the columns `image,mask,label` (any order; `image` is
 * required; further columns are ignored). Each row is one scan; paths are
 * relative to the CSV's folder unless absolute; `mask` (brain, non-zero =
 * brain) and `label` (anomaly ground truth, non-zero = anomalous) may be empty
 * where not known. Fields may be quoted ("a,b.nii.gz"); blank lines and a
 * trailing carriage return are ignored.
 *
 * Read() parses the file and checks that every listed file exists, naming
 * every missing one with its row. LoadScan() reads one row's images in any
 * format ITK reads (NIfTI first) as 3D images (a 2D file becomes one slice),
 * turns mask and label into 0/1 images and checks that they share the scan's
 * grid; errors name the manifest, the row and the file.
 *
 * \ingroup Cradl
 */
class Cradl_EXPORT CradlManifest : public Object
{
public:
  ITK_DISALLOW_COPY_AND_MOVE(CradlManifest);

  using Self = CradlManifest;
  using Superclass = Object;
  using Pointer = SmartPointer<Self>;
  using ConstPointer = SmartPointer<const Self>;

  itkNewMacro(Self);
  itkTypeMacro(CradlManifest, Object);

  using ScanImageType = Image<float, 3>;
  using MaskImageType = Image<unsigned char, 3>;

  /** One row: absolute paths, empty where the CSV gave none. */
  struct Entry
  {
    std::string  Image;
    std::string  Mask;
    std::string  Label;
    std::string  Kinds; // optional column "kinds": each label voxel's anomaly kind code
    unsigned int Row = 0;  // 1-based, header excluded
    unsigned int Line = 0; // 1-based line of the CSV file
  };

  /** One row's images; Mask and Label are null where the row has none. */
  struct Scan
  {
    ScanImageType::Pointer Image;
    MaskImageType::Pointer Mask;
    MaskImageType::Pointer Label;
    MaskImageType::Pointer Kinds; // kind codes (0 = none), not binarised; null without a kinds column
  };

  /** Parses `fileName` and checks that all listed files exist. */
  void
  Read(const std::string & fileName);

  itkGetStringMacro(FileName);

  std::size_t
  GetNumberOfEntries() const
  {
    return m_Entries.size();
  }

  const Entry &
  GetEntry(std::size_t index) const;

  const std::vector<Entry> &
  GetEntries() const
  {
    return m_Entries;
  }

  /** "manifest 'F', row N (line L), image 'I'": what an error about row
   *  `index` (0-based) starts with, so that the user finds the scan. */
  std::string
  DescribeEntry(std::size_t index) const;

  /** Reads row `index` (0-based) and checks it. NaN or infinite voxels
   *  inside the brain mask (the whole image when the row has none) are an
   *  error naming the file and their count, unless ZeroNonFiniteVoxels is
   *  on: then they, like any outside the mask, become 0. An empty brain mask
   *  (or, without one, an all-zero scan) is an error naming the file. */
  Scan
  LoadScan(std::size_t index) const;

  /** Off (default): non-finite voxels in the brain are an error. */
  itkSetMacro(ZeroNonFiniteVoxels, bool);
  itkGetConstMacro(ZeroNonFiniteVoxels, bool);
  itkBooleanMacro(ZeroNonFiniteVoxels);

  /** Reads one scan image as float, refusing vector and 4D images with a
   *  message that says what to do. `context` starts each error message. */
  static ScanImageType::Pointer
  ReadScanImage(const std::string & fileName, const std::string & context = "");

  /** Reads a mask or label image of any pixel type as 0/1 (non-zero = 1). */
  static MaskImageType::Pointer
  ReadMaskImage(const std::string & fileName, const std::string & context = "");

  /** Registers the image IO that Cradl reads and writes (NIfTI, NRRD,
   *  MetaImage, PNG) unless already registered. Called by the readers here;
   *  call it before using ITK's readers or writers in a program of your own. */
  static void
  RegisterImageIOFactories();

protected:
  CradlManifest() = default;
  ~CradlManifest() override = default;

  void
  PrintSelf(std::ostream & os, Indent indent) const override;

private:
  std::string        m_FileName;
  std::vector<Entry> m_Entries;
  bool               m_ZeroNonFiniteVoxels{ false };
};

} // namespace itk

#endif
