#include "itkCradlImageIO.h"

#include "cradlAtomicFile.h"
#include "cradlErrorText.h"
#include "cradlText.h"

namespace itk
{

bool
CradlIsTemporaryFileName(const std::string & fileName)
{
  const std::string suffix = cradl::temporaryNameOf("");
  const bool        partSuffix = fileName.size() > suffix.size() && cradl::endsWith(fileName, suffix);
  return partSuffix || fileName.rfind(CradlPartialImagePrefix, 0) == 0;
}

void
CradlWriteFileAtomically(const std::string & fileName, const std::string & bytes)
{
  try
  {
    cradl::writeFileAtomically(fileName, bytes);
  }
  catch (const std::exception & error)
  {
    itkGenericExceptionMacro(<< cradl::messageOf(error));
  }
}

} // namespace itk
