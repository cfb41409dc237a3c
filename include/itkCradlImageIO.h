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
#include "itkImageFileWriter.h"

#include <cstdio>
#include <string>

namespace itk
{

/** \brief Writes `bytes` (a manifest, a JSON record, a CSV table) to
 * `fileName` through a temporary "<fileName>.part" renamed into place: a
 * reader never sees half a file. Throws ExceptionObject saying what failed.
 * \ingroup Cradl
 */
Cradl_EXPORT void
CradlWriteFileAtomically(const std::string & fileName, const std::string & bytes);

/** The prefix CradlWriteImage gives an image while it is written (the
 * extension stays last, since ITK picks the format by it). */
constexpr const char * CradlPartialImagePrefix = "partial-";

/** Whether `fileName` (a name, no folder) is one of the temporaries the two
 * writers above use: an interrupted run's leftover, never an output. */
Cradl_EXPORT bool
CradlIsTemporaryFileName(const std::string & fileName);

/** \brief Writes an image (NIfTI by the name's extension, compressed) to a
 * temporary name in the same folder, then renames it into place: a reader
 * never sees half a file, and an interrupted run leaves no broken output.
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
  auto              writer = ImageFileWriter<TImage>::New();
  writer->SetInput(image);
  writer->SetFileName(temporary);
  writer->UseCompressionOn();
  writer->Update();
  if (std::rename(temporary.c_str(), fileName.c_str()) != 0)
  {
    std::remove(temporary.c_str());
    itkGenericExceptionMacro(<< "cannot rename '" << temporary << "' to '" << fileName << "'");
  }
}

} // namespace itk

#endif
