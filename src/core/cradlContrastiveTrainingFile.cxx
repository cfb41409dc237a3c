// ContrastiveTraining's files: the best model, checkpoints and resuming,
// and loading an encoder from a model file.
#include "cradlContrastiveTrainingState.h"

#include <torch/serialize.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

namespace cradl
{

namespace
{
std::string
bytesOf(const torch::optim::Optimizer & optimizer)
{
  torch::serialize::OutputArchive archive;
  optimizer.save(archive);
  std::ostringstream stream;
  archive.save_to(stream);
  return stream.str();
}

at::Tensor
tensorOfBytes(const std::string & bytes)
{
  at::Tensor tensor = at::empty({ static_cast<int64_t>(bytes.size()) }, at::kByte);
  std::memcpy(tensor.data_ptr<uint8_t>(), bytes.data(), bytes.size());
  return tensor;
}

std::string
bytesOfTensor(const at::Tensor & tensor)
{
  const at::Tensor contiguous = tensor.contiguous();
  return std::string(reinterpret_cast<const char *>(contiguous.data_ptr<uint8_t>()),
                     static_cast<std::size_t>(contiguous.numel()));
}
} // namespace

ValueDict
ContrastiveTraining::bestModel(const ValueDict & preprocessing) const
{
  const State & s = *m_State;
  ValueDict     training = toDict(s.options);
  training.insert("best_epoch", s.bestEpoch);
  training.insert("best_validation_loss", s.bestValidationLoss);
  training.insert("completed_epochs", s.epoch);
  training.insert("training_slices", s.training.size(0));
  training.insert("validation_slices", s.validation.size(0));

  ValueDict model = makeValueDict();
  model.insert("format", std::string(ModelFormat));
  model.insert("format_version", FormatVersion);
  model.insert("architecture", toDict(s.encoderOptions));
  model.insert("preprocessing", preprocessing);
  model.insert("training", training);
  model.insert("encoder", s.bestEncoder);
  model.insert("head", s.bestHead);
  return model;
}

ContrastiveEncoder
ContrastiveTraining::bestEncoder() const
{
  ContrastiveEncoder encoder(m_State->encoderOptions);
  loadStateDict(*encoder, m_State->bestEncoder, "best encoder");
  encoder->eval();
  return encoder;
}

void
ContrastiveTraining::saveCheckpoint(const std::string & path) const
{
  const State & s = *m_State;
  ValueDict     checkpoint = makeValueDict();
  checkpoint.insert("format", std::string(CheckpointFormat));
  checkpoint.insert("format_version", FormatVersion);
  checkpoint.insert("architecture", toDict(s.encoderOptions));
  checkpoint.insert("training", toDict(s.options));
  checkpoint.insert("encoder", stateDict(*s.encoder));
  checkpoint.insert("head", stateDict(*s.head));
  checkpoint.insert("best_encoder", s.bestEncoder);
  checkpoint.insert("best_head", s.bestHead);
  checkpoint.insert("best_epoch", s.bestEpoch);
  checkpoint.insert("best_validation_loss", s.bestValidationLoss);
  checkpoint.insert("epoch", s.epoch);
  checkpoint.insert("global_step", s.globalStep);
  checkpoint.insert("optimizer", tensorOfBytes(bytesOf(*s.optimizer)));
  checkpoint.insert("generator", s.generator.get_state());
  std::vector<double> losses;
  for (const auto & report : s.history)
  {
    losses.insert(losses.end(), { static_cast<double>(report.epoch), report.trainingLoss, report.validationLoss });
  }
  checkpoint.insert("history", at::tensor(losses, at::kDouble).view({ -1, 3 }));
  if (!s.distributed() || s.collectives->rank() == 0) // every process holds the same state
    saveDict(checkpoint, path);
}

namespace
{
std::vector<char>
fileBytes(const std::string & path)
{
  std::ifstream file(path, std::ios::binary);
  if (!file)
    throw std::runtime_error("cannot open '" + path + "': check the path");
  return std::vector<char>((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
}
} // namespace

bool
ContrastiveTraining::resumeIfPresent(const std::string & path)
{
  State & s = *m_State;
  bool    present = std::filesystem::exists(path);
  if (s.distributed())
    present = broadcastBytes(*s.collectives, present ? "1" : "0") == "1"; // rank 0's file decides
  if (present)
    loadCheckpoint(path);
  return present;
}

void
ContrastiveTraining::loadCheckpoint(const std::string & path)
{
  State &           s = *m_State;
  std::vector<char> bytes;
  if (!s.distributed())
    bytes = fileBytes(path);
  else
  {
    // Rank 0 reads, every process restores the same bytes (or learns why not).
    std::string sent;
    if (s.collectives->rank() == 0)
    {
      try
      {
        const std::vector<char> read = fileBytes(path);
        sent = "D" + std::string(read.begin(), read.end());
      }
      catch (const std::exception & error)
      {
        sent = std::string("E") + error.what();
      }
    }
    sent = broadcastBytes(*s.collectives, sent);
    if (sent.empty() || sent[0] != 'D')
      throw std::runtime_error("rank 0 could not read the checkpoint: " + (sent.empty() ? std::string() : sent.substr(1)));
    bytes.assign(sent.begin() + 1, sent.end());
  }
  const ValueDict checkpoint = loadDictFromBytes(bytes, path, CheckpointFormat, FormatVersion);
  const auto      architecture = encoderOptionsFromDict(checkpoint.at("architecture").toGenericDict());
  if (!(architecture == s.encoderOptions))
  {
    throw std::runtime_error("checkpoint '" + path + "' was written for another encoder architecture");
  }
  loadStateDict(*s.encoder, checkpoint.at("encoder").toGenericDict(), "checkpoint encoder");
  loadStateDict(*s.head, checkpoint.at("head").toGenericDict(), "checkpoint head");
  s.bestEncoder = checkpoint.at("best_encoder").toGenericDict();
  s.bestHead = checkpoint.at("best_head").toGenericDict();
  s.bestEpoch = checkpoint.at("best_epoch").toInt();
  s.bestValidationLoss = checkpoint.at("best_validation_loss").toDouble();
  s.epoch = checkpoint.at("epoch").toInt();
  s.globalStep = checkpoint.at("global_step").toInt();
  {
    std::istringstream              stream(bytesOfTensor(checkpoint.at("optimizer").toTensor()));
    torch::serialize::InputArchive archive;
    archive.load_from(stream, s.device);
    s.optimizer->load(archive);
  }
  s.generator.set_state(checkpoint.at("generator").toTensor());
  s.history.clear();
  const at::Tensor history = checkpoint.at("history").toTensor();
  for (int64_t row = 0; row < history.size(0); ++row)
  {
    EpochReport report;
    report.epoch = static_cast<int64_t>(history[row][0].item<double>());
    report.trainingLoss = history[row][1].item<double>();
    report.validationLoss = history[row][2].item<double>();
    s.history.push_back(report);
  }
}

ContrastiveEncoder
loadEncoder(const std::string & path, ValueDict * contents)
{
  const ValueDict    model = loadDict(path, ContrastiveTraining::ModelFormat, ContrastiveTraining::FormatVersion);
  ContrastiveEncoder encoder(encoderOptionsFromDict(model.at("architecture").toGenericDict()));
  loadStateDict(*encoder, model.at("encoder").toGenericDict(), "model '" + path + "' encoder");
  encoder->eval();
  if (contents != nullptr)
  {
    *contents = model;
  }
  return encoder;
}

} // namespace cradl
