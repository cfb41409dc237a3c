#include "cradlModelFile.h"

#include "cradlErrorText.h"
#include "cradlAtomicFile.h"
#include "cradlText.h"

#include <torch/serialize.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <stdexcept>

namespace cradl
{

namespace
{
uint64_t
littleEndian(const std::vector<char> & bytes, uint64_t at, int width)
{
  uint64_t value = 0;
  for (int i = width - 1; i >= 0; --i)
    value = (value << 8) | static_cast<unsigned char>(bytes[at + static_cast<uint64_t>(i)]);
  return value;
}

// What a pickle opcode takes and does to the stack, for the opcodes
// protocol-2 writers emit (none for the others).
struct OpcodeEffect
{
  int  pops = 0;
  int  pushes = 0;
  bool toMark = false; // pops everything above the top mark
  bool pairs = false;  // ... which must come in key/value pairs
  int  below = 0;      // items it needs under the mark (the container it fills)
};
struct OpcodeShape
{
  uint64_t     fixed = 0;  // argument bytes
  int          prefix = 0; // width of a length prefix, then that many bytes
  int          lines = 0;  // newline-terminated arguments
  bool         mark = false;
  OpcodeEffect effect;
};
std::optional<OpcodeShape>
shapeOf(unsigned char opcode)
{
  OpcodeShape shape;
  switch (opcode)
  {
    case 0x80: shape.fixed = 1; break;                                         // PROTO
    case 0x95: shape.fixed = 8; break;                                         // FRAME
    case '(': shape.mark = true; break;                                        // MARK
    case '.': shape.effect.pops = 1; break;                                    // STOP
    case '0': shape.effect.pops = 1; break;                                    // POP
    case '1': shape.effect.toMark = true; break;                               // POP_MARK
    case '2': shape.effect.pops = 1; shape.effect.pushes = 2; break;                 // DUP
    case 'N': case '}': case ']': case ')': case 0x88: case 0x89: case 0x8f: shape.effect.pushes = 1; break;
    case 'K': case 0x82: shape.fixed = 1; shape.effect.pushes = 1; break;            // BININT1, EXT1
    case 'M': case 0x83: shape.fixed = 2; shape.effect.pushes = 1; break;            // BININT2, EXT2
    case 'J': case 0x84: shape.fixed = 4; shape.effect.pushes = 1; break;            // BININT, EXT4
    case 'G': shape.fixed = 8; shape.effect.pushes = 1; break;                       // BINFLOAT
    case 'U': case 'C': case 0x8a: case 0x8c: shape.prefix = 1; shape.effect.pushes = 1; break;
    case 'T': case 'X': case 'B': case 0x8b: shape.prefix = 4; shape.effect.pushes = 1; break;
    case 0x8d: case 0x8e: case 0x96: shape.prefix = 8; shape.effect.pushes = 1; break;
    case 'c': shape.lines = 2; shape.effect.pushes = 1; break;                       // GLOBAL
    case 'h': case 'q': shape.fixed = 1; break;                                // BINGET, BINPUT
    case 'j': case 'r': shape.fixed = 4; break;                                // LONG_BINGET, LONG_BINPUT
    case 0x94: break;                                                    // MEMOIZE
    case 'Q': shape.effect.pops = 1; shape.effect.pushes = 1; break;                 // BINPERSID
    case 'R': case 'b': case 0x81: case 0x93: shape.effect.pops = 2; shape.effect.pushes = 1; break;
    case 0x92: shape.effect.pops = 3; shape.effect.pushes = 1; break;                // NEWOBJ_EX
    case 'a': shape.effect.pops = 2; shape.effect.pushes = 1; break;                 // APPEND
    case 's': shape.effect.pops = 3; shape.effect.pushes = 1; break;                 // SETITEM
    case 'e': case 0x90: shape.effect.toMark = true; shape.effect.below = 1; break;  // APPENDS, ADDITEMS
    case 'u': shape.effect.toMark = true; shape.effect.pairs = true; shape.effect.below = 1; break; // SETITEMS
    case 't': case 'l': case 0x91: shape.effect.toMark = true; shape.effect.pushes = 1; break;
    case 'd': shape.effect.toMark = true; shape.effect.pairs = true; shape.effect.pushes = 1; break;
    case 0x85: shape.effect.pops = 1; shape.effect.pushes = 1; break;                // TUPLE1
    case 0x86: shape.effect.pops = 2; shape.effect.pushes = 1; break;                // TUPLE2
    case 0x87: shape.effect.pops = 3; shape.effect.pushes = 1; break;                // TUPLE3
    default:
      return std::nullopt;
  }
  return shape;
}

// Walks a pickle's opcodes (those protocol-2 writers such as torch.save and
// LibTorch emit) without running them, as pickletools would: every argument
// lies inside the stream, every memo index is below the stream's length and
// was stored before it is fetched, and every opcode finds the stack items and
// marks it pops. LibTorch's unpickler trusts all three: one forged
// LONG_BINPUT asked for 8 GB, and a forged string length that left BUILD
// popping an empty stack freed a pointer it never allocated (libFuzzer).
std::string
pickleProblem(const std::vector<char> & bytes, uint64_t begin, uint64_t length)
{
  const uint64_t        end = begin + length;
  uint64_t              at = begin;
  uint64_t              depth = 0;
  std::vector<uint64_t> marks;
  std::vector<bool>     stored(length, false);
  uint64_t              memoized = 0;
  const auto            available = [&] { return depth - (marks.empty() ? 0 : marks.back()); };
  const auto            need = [&](uint64_t count) { return count <= end - at; };
  while (at < end)
  {
    const auto opcode = static_cast<unsigned char>(bytes[at++]);
    const auto shape = shapeOf(opcode);
    if (!shape)
      return "an opcode " + std::to_string(opcode) + " that protocol-2 writers do not emit";
    if (shape->mark)
    {
      marks.push_back(depth);
      continue;
    }
    const uint64_t fixed = shape->fixed;
    const int      prefix = shape->prefix;
    OpcodeEffect   effect = shape->effect;
    if (!need(fixed + static_cast<uint64_t>(prefix)))
      return "an argument past its end";
    if (opcode == 'h' || opcode == 'j' || opcode == 'q' || opcode == 'r' || opcode == 0x94)
    {
      const uint64_t index = opcode == 0x94 ? memoized++ : littleEndian(bytes, at, static_cast<int>(fixed));
      if (index >= length)
        return "a memo index beyond its length";
      if (opcode == 'h' || opcode == 'j')
      {
        if (!stored[index])
          return "a memo fetch before its store";
        effect.pushes = 1;
      }
      else
      {
        if (available() < 1)
          return "a memo store from an empty stack";
        stored[index] = true;
      }
    }
    if (prefix > 0)
    {
      const uint64_t count = littleEndian(bytes, at, prefix);
      at += static_cast<uint64_t>(prefix);
      if (!need(count))
        return "an argument past its end";
      at += count;
    }
    at += fixed;
    for (int i = 0; i < shape->lines; ++i)
    {
      while (at < end && bytes[at] != '\n')
        ++at;
      if (at == end)
        return "an unterminated argument";
      ++at;
    }
    if (effect.toMark)
    {
      if (marks.empty())
        return "an opcode that needs a mark without one";
      if (effect.pairs && available() % 2 != 0)
        return "a key without its value";
      depth = marks.back();
      marks.pop_back();
      if (available() < static_cast<uint64_t>(effect.below))
        return "an opcode that pops an empty stack";
    }
    if (available() < static_cast<uint64_t>(effect.pops))
      return "an opcode that pops an empty stack";
    depth = depth - static_cast<uint64_t>(effect.pops) + static_cast<uint64_t>(effect.pushes);
    if (opcode == '.')
      return depth == 0 && marks.empty() ? std::string() : "items left on its stack at STOP";
  }
  return "no STOP opcode";
}
// LibTorch rebuilds a pickled tensor from its sizes, strides and offset
// without checking them against the bytes stored for it: a forged file gave
// a tensor over a null storage, read by the first operation (libFuzzer,
// SEGV). Every tensor anywhere in the loaded value must lie inside its data.
std::string
tensorOutsideItsData(const c10::IValue & value)
{
  if (value.isTensor())
  {
    const at::Tensor & tensor = value.toTensor();
    if (!tensor.defined() || tensor.numel() == 0)
      return {};
    if (!tensor.has_storage() || tensor.storage().data() == nullptr)
      return "a tensor without stored data";
    uint64_t last = static_cast<uint64_t>(tensor.storage_offset());
    for (int64_t axis = 0; axis < tensor.dim(); ++axis)
    {
      if (tensor.stride(axis) < 0 || tensor.size(axis) < 0)
        return "a tensor with negative strides or sizes";
      const uint64_t step = static_cast<uint64_t>(tensor.size(axis) - 1);
      const uint64_t stride = static_cast<uint64_t>(tensor.stride(axis));
      if (stride != 0 && step > (UINT64_MAX / 4 - last) / stride)
        return "a tensor larger than its stored data";
      last += step * stride;
    }
    const uint64_t itemSize = tensor.dtype().itemsize();
    if (tensor.storage_offset() < 0 || last >= tensor.storage().nbytes() / itemSize)
      return "a tensor larger than its stored data";
    return {};
  }
  if (value.isGenericDict())
  {
    for (const auto & item : value.toGenericDict())
    {
      std::string problem = tensorOutsideItsData(item.key());
      if (problem.empty())
        problem = tensorOutsideItsData(item.value());
      if (!problem.empty())
        return problem;
    }
  }
  if (value.isList())
  {
    for (const c10::IValue & item : value.toListRef())
    {
      const std::string problem = tensorOutsideItsData(item);
      if (!problem.empty())
        return problem;
    }
  }
  if (value.isTuple())
  {
    for (const c10::IValue & item : value.toTupleRef().elements())
    {
      const std::string problem = tensorOutsideItsData(item);
      if (!problem.empty())
        return problem;
    }
  }
  return {};
}

// Whether [at, at + length) lies inside the file, and holds `signature` at `at`.
bool
within(const std::vector<char> & bytes, uint64_t at, uint64_t length)
{
  return at <= bytes.size() && length <= bytes.size() - at;
}
bool
signatureAt(const std::vector<char> & bytes, uint64_t at, uint32_t signature)
{
  return within(bytes, at, 4) && littleEndian(bytes, at, 4) == signature;
}

struct CentralDirectory
{
  uint64_t entries = 0;
  uint64_t size = 0;
  uint64_t offset = 0;
};

// The end-of-central-directory record (and the zip64 one where its locator
// is): where the central directory lies, checked to lie in the file.
std::string
centralDirectoryProblem(const std::vector<char> & bytes, CentralDirectory & directory)
{
  const uint64_t size = bytes.size();
  constexpr uint64_t EndRecordSize = 22;
  if (size < EndRecordSize)
    return "too short for a torch file (" + std::to_string(size) + " bytes)";
  // The end-of-central-directory record: the last 22 bytes plus a comment of up to 64 KiB.
  uint64_t end = size - EndRecordSize + 1;
  const uint64_t lowest = size > EndRecordSize + 0xFFFF ? size - EndRecordSize - 0xFFFF : 0;
  do
  {
    --end;
  } while (end > lowest && !signatureAt(bytes, end, 0x06054b50));
  if (!signatureAt(bytes, end, 0x06054b50))
    return "no zip end record (cut short, or not a torch file)";
  // One disk, the record's comment reaching exactly to the end of the file:
  // what every writer produces, and what leaves miniz no other end to find.
  if (littleEndian(bytes, end + 4, 2) != 0 || littleEndian(bytes, end + 6, 2) != 0 ||
      littleEndian(bytes, end + 8, 2) != littleEndian(bytes, end + 10, 2) ||
      end + EndRecordSize + littleEndian(bytes, end + 20, 2) != size)
    return "a damaged zip end record";
  uint64_t entries = littleEndian(bytes, end + 10, 2);
  uint64_t directorySize = littleEndian(bytes, end + 12, 4);
  uint64_t directoryOffset = littleEndian(bytes, end + 16, 4);
  // miniz takes the zip64 end record's values whenever its locator is there,
  // saturated 32-bit fields or not (a forged zip64 directory offset of
  // 2^64 - 174 read before the buffer: libFuzzer), so both must agree.
  const bool zip64 = end >= 20 && signatureAt(bytes, end - 20, 0x07064b50);
  if (zip64)
  {
    const uint64_t record = littleEndian(bytes, end - 20 + 8, 8);
    if (!within(bytes, record, 56) || record + 56 > end - 20 || !signatureAt(bytes, record, 0x06064b50))
      return "a zip64 end record outside the file";
    if (littleEndian(bytes, record + 16, 4) != 0 || littleEndian(bytes, record + 20, 4) != 0 ||
        littleEndian(bytes, record + 24, 8) != littleEndian(bytes, record + 32, 8))
      return "a damaged zip64 end record";
    const uint64_t entries64 = littleEndian(bytes, record + 32, 8);
    const uint64_t size64 = littleEndian(bytes, record + 40, 8);
    const uint64_t offset64 = littleEndian(bytes, record + 48, 8);
    if ((entries != 0xFFFF && entries != entries64) || (directorySize != 0xFFFFFFFF && directorySize != size64) ||
        (directoryOffset != 0xFFFFFFFF && directoryOffset != offset64))
      return "zip and zip64 end records that disagree";
    entries = entries64;
    directorySize = size64;
    directoryOffset = offset64;
  }
  else if (entries == 0xFFFF || directorySize == 0xFFFFFFFF || directoryOffset == 0xFFFFFFFF)
  {
    return "a zip64 archive without its locator";
  }
  if (!within(bytes, directoryOffset, directorySize) || directoryOffset + directorySize > end)
    return "a central directory outside the file";
  directory = { entries, directorySize, directoryOffset };
  return {};
}

// One central directory entry at `at`: its data inside the file and stored,
// and a data.pkl's pickle well formed (`pickled` set); `next`: the next entry.
std::string
entryProblem(const std::vector<char> & bytes, uint64_t at, const CentralDirectory & directory, uint64_t & next,
             bool & pickled)
{
  if (!within(bytes, at, 46) || !signatureAt(bytes, at, 0x02014b50) || at + 46 > directory.offset + directory.size)
    return "a damaged central directory";
  uint64_t       compressed = littleEndian(bytes, at + 20, 4);
  uint64_t       uncompressed = littleEndian(bytes, at + 24, 4);
  const uint64_t nameLength = littleEndian(bytes, at + 28, 2);
  const uint64_t extraLength = littleEndian(bytes, at + 30, 2);
  const uint64_t commentLength = littleEndian(bytes, at + 32, 2);
  uint64_t       local = littleEndian(bytes, at + 42, 4);
  next = at + 46 + nameLength + extraLength + commentLength;
  if (next > directory.offset + directory.size)
    return "a damaged central directory";
  // Zip64 extra field: the 8-byte values replace those saturated above, in this order.
  for (uint64_t field = at + 46 + nameLength; field + 4 <= at + 46 + nameLength + extraLength;)
  {
    const uint64_t id = littleEndian(bytes, field, 2);
    const uint64_t length = littleEndian(bytes, field + 2, 2);
    if (field + 4 + length > at + 46 + nameLength + extraLength)
      return "a damaged central directory";
    if (id == 0x0001)
    {
      uint64_t value = field + 4;
      for (uint64_t * saturated : { &uncompressed, &compressed, &local })
      {
        if (*saturated == 0xFFFFFFFF)
        {
          if (value + 8 > field + 4 + length)
            return "a damaged zip64 field";
          *saturated = littleEndian(bytes, value, 8);
          value += 8;
        }
      }
    }
    field += 4 + length;
  }
  if (!within(bytes, local, 30) || !signatureAt(bytes, local, 0x04034b50))
    return "an entry whose data lies outside the file";
  const uint64_t data = local + 30 + littleEndian(bytes, local + 26, 2) + littleEndian(bytes, local + 28, 2);
  if (!within(bytes, data, compressed) || data + compressed > directory.offset)
    return "an entry whose data lies outside the file";
  if (littleEndian(bytes, local + 8, 2) != 0 || compressed != uncompressed)
    return "a compressed entry (torch files store theirs)";
  const std::string name(bytes.data() + at + 46, nameLength);
  if (endsWith(name, "data.pkl"))
  {
    const std::string problem = pickleProblem(bytes, data, compressed);
    if (!problem.empty())
      return "its pickle has " + problem;
    pickled = true;
  }
  return {};
}
} // namespace

std::string
zipStructureProblem(const std::vector<char> & bytes)
{
  // LibTorch 1.13's pickle_load reads wherever the archive's own offsets
  // point, past the end of its buffer for a cut or forged file (found by
  // AddressSanitizer): every offset is checked here first.
  CentralDirectory  directory;
  const std::string problem = centralDirectoryProblem(bytes, directory);
  if (!problem.empty())
    return problem;
  uint64_t at = directory.offset;
  bool     pickled = false;
  for (uint64_t entry = 0; entry < directory.entries; ++entry)
  {
    uint64_t          next = 0;
    const std::string entryFault = entryProblem(bytes, at, directory, next, pickled);
    if (!entryFault.empty())
      return entryFault;
    at = next;
  }
  if (at != directory.offset + directory.size)
    return "a damaged central directory";
  if (!pickled)
    return "no data.pkl entry (not a torch file)";
  return {};
}

ValueDict
makeValueDict()
{
  return ValueDict(c10::StringType::get(), c10::AnyType::get());
}

std::vector<char>
dictBytes(const ValueDict & dict)
{
  return torch::pickle_save(dict);
}

void
saveDict(const ValueDict & dict, const std::string & path)
{
  const std::vector<char> bytes = dictBytes(dict);
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
  const std::vector<char> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  return loadDictFromBytes(bytes, path, expectedFormat, newestVersion);
}

ValueDict
loadDictFromBytes(const std::vector<char> & bytes,
                  const std::string &       path,
                  const std::string &       expectedFormat,
                  int64_t                   newestVersion)
{
  c10::IValue value;
  try
  {
    const std::string problem = zipStructureProblem(bytes);
    if (!problem.empty())
      throw std::runtime_error(problem);
    value = torch::pickle_load(bytes);
    const std::string outside = tensorOutsideItsData(value);
    if (!outside.empty())
      throw std::runtime_error(outside);
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
