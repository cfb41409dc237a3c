#include "cradlModelFile.h"
#include "cradlErrorText.h"

#include "cradlNpy.h"

#include <torch/serialize.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

namespace cradl
{

ValueDict
makeValueDict()
{
  return ValueDict(c10::StringType::get(), c10::AnyType::get());
}

void
saveDict(const ValueDict & dict, const std::string & path)
{
  const std::vector<char> bytes = torch::pickle_save(dict);
  writeFileAtomically(path, std::string(bytes.begin(), bytes.end()));
}

ValueDict
loadDict(const std::string & path, const std::string & expectedFormat, int64_t newestVersion)
{
  std::ifstream file(path, std::ios::binary);
  if (!file)
  {
    throw std::runtime_error("cannot open '" + path + "': check the path");
  }
  std::vector<char> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  c10::IValue       value;
  try
  {
    value = torch::pickle_load(bytes);
  }
  catch (const std::exception & error)
  {
    throw std::runtime_error("'" + path + "' is not a readable Cradl " + expectedFormat +
                             " file (truncated, damaged, or another kind of file): " +
                             messageOf(error).substr(0, 200));
  }
  if (!value.isGenericDict() || !value.toGenericDict().contains("format"))
  {
    throw std::runtime_error("'" + path + "' is a torch file but not a Cradl file (it has no \"format\" entry); expected a " +
                             expectedFormat);
  }
  ValueDict         dict = value.toGenericDict();
  const std::string format = dict.at("format").toStringRef();
  if (format != expectedFormat)
  {
    throw std::runtime_error("'" + path + "' holds a " + format + ", not a " + expectedFormat);
  }
  const int64_t version = dict.at("format_version").toInt();
  if (version > newestVersion)
  {
    throw std::runtime_error("'" + path + "' has format version " + std::to_string(version) + "; this Cradl reads up to " +
                             std::to_string(newestVersion) + ": update Cradl");
  }
  return dict;
}

ValueDict
stateDict(const torch::nn::Module & module)
{
  ValueDict state = makeValueDict();
  for (const auto & item : module.named_parameters(true))
  {
    state.insert(item.key(), item.value().detach().to(at::kCPU).contiguous().clone());
  }
  for (const auto & item : module.named_buffers(true))
  {
    state.insert(item.key(), item.value().detach().to(at::kCPU).contiguous().clone());
  }
  return state;
}

void
loadStateDict(torch::nn::Module & module, const ValueDict & state, const std::string & what)
{
  torch::NoGradGuard noGrad;
  std::size_t        expected = 0;
  const auto         copyInto = [&](const std::string & name, at::Tensor & target) {
    ++expected;
    if (!state.contains(name))
    {
      throw std::runtime_error(what + ": '" + name + "' is missing (a model of another architecture?)");
    }
    const at::Tensor source = state.at(name).toTensor();
    if (source.sizes() != target.sizes())
    {
      std::ostringstream message;
      message << what << ": '" << name << "' has shape " << source.sizes() << ", the network expects "
              << target.sizes();
      throw std::runtime_error(message.str());
    }
    target.copy_(source);
  };
  for (auto & item : module.named_parameters(true))
  {
    copyInto(item.key(), item.value());
  }
  for (auto & item : module.named_buffers(true))
  {
    copyInto(item.key(), item.value());
  }
  if (state.size() != expected)
  {
    throw std::runtime_error(what + ": the file holds " + std::to_string(state.size()) + " tensors, the network has " +
                             std::to_string(expected));
  }
}

} // namespace cradl
