#include "cradlCollectives.h"

#include <cstring>
#include <sstream>
#include <stdexcept>

namespace cradl
{

std::pair<int64_t, int64_t>
shardOf(int64_t count, int64_t rank, int64_t worldSize)
{
  return { count * rank / worldSize, count * (rank + 1) / worldSize };
}

at::Tensor
gatherShards(Collectives & collectives, const at::Tensor & local, int64_t total)
{
  const auto [begin, end] = shardOf(total, collectives.rank(), collectives.worldSize());
  if (local.size(0) != end - begin)
  {
    throw std::invalid_argument("gatherShards: rank " + std::to_string(collectives.rank()) + " holds " +
                                std::to_string(local.size(0)) + " rows, its shard of " + std::to_string(total) +
                                " is " + std::to_string(end - begin));
  }
  // The own rows in place, zeros elsewhere; the sum over processes fills the
  // rest exactly (x + 0 = x). `placed + (sum - placed)` has the sum's value
  // and lets the gradient through the own rows alone.
  const auto rows = [&](int64_t count) {
    std::vector<int64_t> shape = local.sizes().vec();
    shape[0] = count;
    return at::zeros(shape, local.options());
  };
  const at::Tensor placed = at::cat({ rows(begin), local, rows(total - end) }, 0);
  std::vector<at::Tensor> sum{ placed.detach().contiguous().clone() };
  collectives.allReduceSum(sum);
  return placed + (sum[0] - placed.detach());
}

std::string
broadcastBytes(Collectives & collectives, const std::string & bytes, int64_t root)
{
  std::vector<at::Tensor> size{ at::tensor({ static_cast<int64_t>(bytes.size()) }, at::kLong) };
  collectives.broadcast(size, root);
  const int64_t           count = size[0].item<int64_t>();
  std::vector<at::Tensor> data{ at::zeros({ count }, at::kByte) };
  if (collectives.rank() == root)
    std::memcpy(data[0].data_ptr<uint8_t>(), bytes.data(), bytes.size());
  if (count > 0)
    collectives.broadcast(data, root);
  return std::string(reinterpret_cast<const char *>(data[0].data_ptr<uint8_t>()), static_cast<std::size_t>(count));
}

std::vector<std::string>
gatherText(Collectives & collectives, const std::string & text)
{
  const int64_t           ranks = collectives.worldSize();
  std::vector<at::Tensor> sizes{ at::zeros({ ranks }, at::kLong) };
  sizes[0][collectives.rank()] = static_cast<int64_t>(text.size());
  collectives.allReduceSum(sizes);
  const at::Tensor offsets = at::cumsum(sizes[0], 0);
  const int64_t    total = offsets[ranks - 1].item<int64_t>();
  const int64_t    begin = total == 0 ? 0 : offsets[collectives.rank()].item<int64_t>() - static_cast<int64_t>(text.size());
  // Bytes as int32 so that the sum of one byte and zeros stays exact.
  std::vector<at::Tensor> characters{ at::zeros({ total }, at::kInt) };
  for (std::size_t i = 0; i < text.size(); ++i)
    characters[0][begin + static_cast<int64_t>(i)] = static_cast<int32_t>(static_cast<unsigned char>(text[i]));
  if (total > 0)
    collectives.allReduceSum(characters);
  std::vector<std::string> texts;
  const int32_t *          all = characters[0].data_ptr<int32_t>();
  int64_t                  at = 0;
  for (int64_t r = 0; r < ranks; ++r)
  {
    const int64_t size = sizes[0][r].item<int64_t>();
    std::string   one(static_cast<std::size_t>(size), '\0');
    for (int64_t i = 0; i < size; ++i)
      one[static_cast<std::size_t>(i)] = static_cast<char>(all[at + i]);
    at += size;
    texts.push_back(std::move(one));
  }
  return texts;
}

void
requireSameOnEveryProcess(Collectives &                                        collectives,
                          const std::vector<std::pair<std::string, double>> & values,
                          const std::string &                                  what)
{
  const int64_t ranks = collectives.worldSize();
  const int64_t count = static_cast<int64_t>(values.size());
  // How many values each process has first: a table of another shape could
  // not be summed.
  std::vector<at::Tensor> counts{ at::zeros({ ranks }, at::kLong) };
  counts[0][collectives.rank()] = count;
  collectives.allReduceSum(counts);
  for (int64_t r = 0; r < ranks; ++r)
  {
    if (counts[0][r].item<int64_t>() != count)
    {
      throw std::runtime_error(what + " differ between the processes: rank " + std::to_string(r) + " compares " +
                               std::to_string(counts[0][r].item<int64_t>()) + " values, this rank " +
                               std::to_string(count) + ": start every rank from the same Cradl build");
    }
  }
  // Every process's values, exactly: one row each.
  std::vector<at::Tensor> table{ at::zeros({ ranks, count }, at::kDouble) };
  for (int64_t i = 0; i < count; ++i)
    table[0][collectives.rank()][i] = values[static_cast<std::size_t>(i)].second;
  collectives.allReduceSum(table);
  const auto row = table[0].accessor<double, 2>();
  for (int64_t r = 1; r < ranks; ++r)
  {
    for (int64_t i = 0; i < count; ++i)
    {
      if (row[r][i] != row[0][i])
      {
        std::ostringstream message;
        message.precision(17);
        message << what << " differ between the processes: rank " << r << "'s "
                << values[static_cast<std::size_t>(i)].first << " is " << row[r][i] << ", rank 0's " << row[0][i]
                << ": give every rank the same settings and data";
        throw std::runtime_error(message.str());
      }
    }
  }
}

} // namespace cradl
