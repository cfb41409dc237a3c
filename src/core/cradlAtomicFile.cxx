#include "cradlAtomicFile.h"

#include <cstdio>
#include <fstream>
#include <stdexcept>

namespace cradl
{

std::string
temporaryNameOf(const std::string & path)
{
  return path + ".part";
}

void
writeFileAtomically(const std::string & path, const std::string & bytes)
{
  const std::string temporary = temporaryNameOf(path);
  {
    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
    file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    file.flush();
    if (!file)
    {
      std::remove(temporary.c_str());
      throw std::runtime_error("cannot write '" + temporary + "' (folder missing, no permission, or disk full)");
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0)
  {
    std::remove(temporary.c_str());
    throw std::runtime_error("cannot rename '" + temporary + "' to '" + path + "'");
  }
}

} // namespace cradl
