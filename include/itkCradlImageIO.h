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
#ifndef itkCradlImageIO_h
#define itkCradlImageIO_h

#include "CradlExport.h"
#include "itkCradlManifest.h"
#include "itkImageFileReader.h"
#include "itkImageFileWriter.h"
#include "itkRGBPixel.h"

#include <cerrno>
#include <cstring>
#include <string>
#include <type_traits>

namespace itk
{

/** \brief Writes `bytes` (a manifest, a JSON record, a CSV table) to
 * `fileName` through a temporary "<fileName>.part": every write checked, the
 * file synced to disk, renamed into place, the folder synced. A reader never
 * sees half a file; on failure (a full disk, an I/O error) `fileName` keeps
 * its earlier content and ExceptionObject names the file and the cause.
 * \ingroup Cradl
 */
Cradl_EXPORT void
CradlWriteFileAtomically(const std::string & fileName, const std::string & bytes);

/** Creates `folder` and its parents where missing; ExceptionObject names the
 * folder and the cause (a full disk) when it cannot.
 * \ingroup Cradl
 */
Cradl_EXPORT void
CradlMakeFolder(const std::string & folder);

/** The prefix CradlWriteImage gives an image while it is written (the
 * extension stays last, since ITK picks the format by it). */
constexpr const char * CradlPartialImagePrefix = "partial-";

/** Whether `fileName` (a name, no folder) is one of the temporaries the two
 * writers above use: an interrupted run's leftover, never an output. */
Cradl_EXPORT bool
CradlIsTemporaryFileName(const std::string & fileName);

/** CradlWriteImage's last step: syncs the checked `temporary`, renames it over
 * `fileName`, syncs the folder; throws ExceptionObject naming the cause. */
Cradl_EXPORT void
CradlCommitTemporaryFile(const std::string & temporary, const std::string & fileName);

/** Removes `temporary` and throws the ExceptionObject of a failed image write:
 * the file, the cause (from `error`, the errno the writer left, or the free
 * space of the folder) and what to do. `detail` is the writer's own message. */
[[noreturn]] Cradl_EXPORT void
CradlThrowImageWriteFailure(const std::string & temporary, const std::string & fileName, int error,
                            const std::string & detail);

/** What is wrong with a written image file, "" when it is whole: NIfTI's
 * length and compressed stream, PNG's chunks and checksums (ITK's PNG reader
 * aborts the process on a truncated file). */
Cradl_EXPORT std::string
CradlWrittenImageProblem(const std::string & fileName);

/** A PNG file's bytes: `height` rows of `width` pixels of `channels` (1: grey,
 * 3: RGB) 8-bit values. CradlWriteImage writes PNG pictures through this and
 * CradlWriteFileAtomically: ITK 5.2's PNG writer corrupts the heap when a
 * write fails (its libpng error path), and a full disk is no reason to crash. */
Cradl_EXPORT std::string
CradlEncodePng(unsigned int width, unsigned int height, unsigned int channels, const unsigned char * pixels);

/** \brief Writes an image (the format by the name's extension, compressed) to
 * a temporary name in the same folder, reads it back and compares it with
 * `image` (ITK's NIfTI writer reports a full disk on the console only), syncs
 * it and renames it into place. A reader never sees half a file; on failure
 * `fileName` keeps its earlier content and ExceptionObject says why.
 * \ingroup Cradl
 */
template <typename TImage>
void
CradlWriteImage(const TImage * image, const std::string & fileName)
{
  CradlManifest::RegisterImageIOFactories();
  const auto        slash = fileName.find_last_of('/');
  const std::string folder = slash == std::string::npos ? std::string() : fileName.substr(0, slash + 1);
  const std::string name = slash == std::string::npos ? fileName : fileName.substr(slash + 1);
  const std::string temporary = folder + CradlPartialImagePrefix + name;
  using Pixel = typename TImage::PixelType;
  constexpr bool picture = TImage::ImageDimension == 2 && (std::is_same<Pixel, unsigned char>::value ||
                                                           std::is_same<Pixel, RGBPixel<unsigned char>>::value);
  if constexpr (picture)
  {
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".png") == 0)
    {
      const auto size = image->GetLargestPossibleRegion().GetSize();
      if (image->GetBufferedRegion() != image->GetLargestPossibleRegion())
        itkGenericExceptionMacro(<< "'" << fileName << "': only a whole image is written, not a part of it");
      CradlWriteFileAtomically(fileName, CradlEncodePng(static_cast<unsigned int>(size[0]),
                                                        static_cast<unsigned int>(size[1]), sizeof(Pixel),
                                                        reinterpret_cast<const unsigned char *>(image->GetBufferPointer())));
      return;
    }
  }
  auto writer = ImageFileWriter<TImage>::New();
  writer->SetInput(image);
  writer->SetFileName(temporary);
  writer->UseCompressionOn();
  errno = 0;
  try
  {
    writer->Update();
  }
  catch (const ExceptionObject & error)
  {
    CradlThrowImageWriteFailure(temporary, fileName, errno, error.GetDescription());
  }
  const int         errorOfWriter = errno;
  const std::string problem = CradlWrittenImageProblem(temporary);
  if (!problem.empty())
    CradlThrowImageWriteFailure(temporary, fileName, errorOfWriter, "the written file: " + problem);
  const auto reader = ImageFileReader<TImage>::New();
  reader->SetFileName(temporary);
  try
  {
    reader->Update();
  }
  catch (const ExceptionObject &)
  {
    CradlThrowImageWriteFailure(temporary, fileName, errorOfWriter, "it does not read back");
  }
  const auto * written = reader->GetOutput();
  const auto   region = image->GetLargestPossibleRegion();
  bool         same = written->GetLargestPossibleRegion().GetSize() == region.GetSize();
  if (same && image->GetBufferedRegion() == region)
  {
    const auto bytes = region.GetNumberOfPixels() * sizeof(typename TImage::PixelType);
    same = std::memcmp(written->GetBufferPointer(), image->GetBufferPointer(), bytes) == 0;
  }
  if (!same)
    CradlThrowImageWriteFailure(temporary, fileName, errorOfWriter, "the file read back differs from the image");
  CradlCommitTemporaryFile(temporary, fileName);
}

} // namespace itk

#endif
