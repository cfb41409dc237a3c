#include "itkCradlImageIO.h"

#include "cradlAtomicFile.h"
#include "cradlErrorText.h"

namespace itk
{

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
