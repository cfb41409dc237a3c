#include "cradlAutocast.h"
#include "cradlContrastiveTraining.h"
#include "cradlNTXent.h"
#include "cradlRoundingModel.h"
#include "cradlTinyTraining.h"
#include "cradlModelFile.h"
#include "cradlNpy.h"
#include "../cradlPythonOracle.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/cuda.h>
#include <torch/serialize.h>

#include <filesystem>
#include <fstream>
#include <optional>

namespace
{
namespace fs = std::filesystem;

using cradl_test::blobSlices;
using cradl_test::tinyEncoder;
using cradl_test::tinyTraining;

class ContrastiveTrainingTest : public ::testing::Test
{
protected:
  void
  SetUp() override
  {
    m_Threads = at::get_num_threads();
    at::set_num_threads(1); // bit-exact comparisons below
    m_Folder = cradl_test::scratchFolder(::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void
  TearDown() override
  {
    at::set_num_threads(m_Threads);
    fs::remove_all(m_Folder);
  }
  cradl::ContrastiveTraining
  training(const cradl::TrainingOptions & options, const c10::Device & device = c10::kCPU)
  {
    return cradl::ContrastiveTraining(tinyEncoder(), {}, options, device, blobSlices(32, 1), blobSlices(12, 2));
  }
  int      m_Threads = 1;
  fs::path m_Folder;
};
} // namespace

TEST(LearningRate, WarmUpThenCosine)
{
  // 10 warm-up steps of 100, base 1e-4.
  EXPECT_DOUBLE_EQ(cradl::warmupCosineLearningRate(0, 100, 10, 1e-4), 1e-5);
  EXPECT_DOUBLE_EQ(cradl::warmupCosineLearningRate(9, 100, 10, 1e-4), 1e-4);
  EXPECT_DOUBLE_EQ(cradl::warmupCosineLearningRate(10, 100, 10, 1e-4), 1e-4);
  EXPECT_NEAR(cradl::warmupCosineLearningRate(55, 100, 10, 1e-4), 0.5e-4, 1e-12);
  EXPECT_NEAR(cradl::warmupCosineLearningRate(100, 100, 10, 1e-4), 0.0, 1e-12);
  EXPECT_DOUBLE_EQ(cradl::warmupCosineLearningRate(0, 100, 0, 1e-4), 1e-4);
}

TEST_F(ContrastiveTrainingTest, LossFallsAndTheBestEpochIsKept)
{
  auto              run = training(tinyTraining(4));
  std::vector<double> rates;
  run.setStepCallback([&](const cradl::StepReport & step) {
    rates.push_back(step.learningRate);
    EXPECT_EQ(step.stepsPerEpoch, 4);
    EXPECT_GT(step.viewsPerSecond, 0.0);
  });
  while (!run.finished())
  {
    run.trainEpoch();
  }
  const auto & history = run.history();
  ASSERT_EQ(history.size(), 4u);
  EXPECT_LT(history.back().trainingLoss, history.front().trainingLoss);
  // Per-step schedule: 4 warm-up steps rising to 1e-3, then cosine down.
  ASSERT_EQ(rates.size(), 16u);
  EXPECT_DOUBLE_EQ(rates[0], 0.25e-3);
  EXPECT_DOUBLE_EQ(rates[3], 1e-3);
  EXPECT_LT(rates[15], rates[4]);

  // The kept model is the epoch of lowest validation loss.
  std::size_t best = 0;
  for (std::size_t e = 1; e < history.size(); ++e)
    if (history[e].validationLoss < history[best].validationLoss)
      best = e;
  cradl::ValueDict preprocessing = cradl::makeValueDict();
  preprocessing.insert("slice_size", int64_t{ 64 });
  const auto model = run.bestModel(preprocessing);
  EXPECT_EQ(model.at("training").toGenericDict().at("best_epoch").toInt(), history[best].epoch);
  EXPECT_DOUBLE_EQ(model.at("training").toGenericDict().at("best_validation_loss").toDouble(),
                   history[best].validationLoss);
}

TEST_F(ContrastiveTrainingTest, ValidationLossIsTheNTXentOfTwoEqualViewsOfEachBatch)
{
  // Validation encodes each batch once and takes it as both views; the
  // reference encodes [x; x] with the trained weights in eval mode, the
  // network in float64 (NT-Xent is float32 by design), and in float32 as
  // validation did before (its distance from float64 measures the float32
  // forward's error at these weights; gamma_64 u32 of the loss at least).
  auto run = training(tinyTraining(1));
  run.trainEpoch();
  const double             loss = run.validationLoss();
  const cradl::ValueDict   weights = run.currentWeights();
  const auto               reference = [&](at::ScalarType type) {
    cradl::ContrastiveEncoder encoder(tinyEncoder());
    cradl::ProjectionHead     head(tinyEncoder());
    cradl::loadStateDict(*encoder, weights.at("encoder").toGenericDict(), "encoder");
    cradl::loadStateDict(*head, weights.at("head").toGenericDict(), "head");
    encoder->to(type);
    head->to(type);
    encoder->eval();
    head->eval();
    torch::NoGradGuard noGrad;
    const at::Tensor   validation = blobSlices(12, 2).to(type);
    double             total = 0.0;
    int                batches = 0;
    for (int64_t start = 0; start + 1 < validation.size(0); start += tinyTraining().batchSize)
    {
      const at::Tensor x = validation.slice(0, start, std::min<int64_t>(validation.size(0), start + 8));
      const at::Tensor z = head->forward(encoder->forward(at::cat({ x, x })));
      total += cradl::ntXentLoss(z.slice(0, 0, x.size(0)), z.slice(0, x.size(0)), tinyTraining().temperature)
                 .item<double>();
      ++batches;
    }
    return total / batches;
  };
  const double exact = reference(at::kDouble);
  const double twoViews32 = reference(at::kFloat);
  const double float32Error =
    std::max(std::abs(twoViews32 - exact), cradl_test::gamma(64, cradl_test::Float32UnitRoundoff) * exact);
  EXPECT_LE(std::abs(loss - exact), cradl_test::DrawSafetyFactor * float32Error)
    << "validation " << loss << " float64 " << exact << " float32 with two views " << twoViews32;
  EXPECT_EQ(run.history().back().validationLoss, loss);
}

TEST_F(ContrastiveTrainingTest, ResumingGivesTheSameNextEpoch)
{
  const fs::path checkpoint = m_Folder / "checkpoint.pt";
  auto           uninterrupted = training(tinyTraining(3));
  uninterrupted.trainEpoch();
  uninterrupted.trainEpoch();
  uninterrupted.saveCheckpoint(checkpoint.string());
  const auto third = uninterrupted.trainEpoch();

  auto resumed = training(tinyTraining(3)); // a new process would start like this
  resumed.loadCheckpoint(checkpoint.string());
  EXPECT_EQ(resumed.completedEpochs(), 2);
  ASSERT_EQ(resumed.history().size(), 2u);
  const auto again = resumed.trainEpoch();
  EXPECT_EQ(again.epoch, 3);
  EXPECT_DOUBLE_EQ(again.trainingLoss, third.trainingLoss);
  EXPECT_DOUBLE_EQ(again.validationLoss, third.validationLoss);
  EXPECT_TRUE(resumed.finished());
}

TEST_F(ContrastiveTrainingTest, ModelFileRoundTripsAndPythonReadsIt)
{
  auto run = training(tinyTraining(1));
  run.trainEpoch();
  cradl::ValueDict preprocessing = cradl::makeValueDict();
  preprocessing.insert("slice_size", int64_t{ 64 });
  const fs::path modelPath = m_Folder / "encoder.pt";
  cradl::saveDict(run.bestModel(preprocessing), modelPath.string());
  EXPECT_FALSE(fs::exists(modelPath.string() + ".part"));

  cradl::ValueDict contents = cradl::makeValueDict();
  auto             loaded = cradl::loadEncoder(modelPath.string(), &contents);
  const at::Tensor input = blobSlices(5, 9);
  torch::NoGradGuard noGrad;
  const at::Tensor expected = run.bestEncoder()->forward(input);
  EXPECT_TRUE(at::equal(loaded->forward(input), expected)); // the same weights, kernels and threads
  EXPECT_EQ(contents.at("preprocessing").toGenericDict().at("slice_size").toInt(), 64);

  // Python PyTorch, with only python/cradl/torch_model.py, gets the same representation.
  cradl::writeNpy((m_Folder / "slices.npy").string(), "<f4", { 5, 1, 64, 64 }, input.contiguous().data_ptr<float>());
  const auto oracle = cradl_test::runPythonOracle(
    "encoder_oracle.py",
    { modelPath.string(), (m_Folder / "slices.npy").string(), (m_Folder / "representation.npy").string() });
  EXPECT_EQ(oracle.at("format_version"), 1.0);
  EXPECT_EQ(oracle.at("nz"), 16.0);
  EXPECT_EQ(oracle.at("best_epoch"), 1.0);
  const auto fromPython = cradl::readNpy((m_Folder / "representation.npy").string()).asFloats();
  const at::Tensor python = at::tensor(fromPython).view({ 5, 16 });
  // Python's torch may run other blockings (its own thread count): both are
  // float32 roundings of the exact representation, within the rounding model
  // at u32 sqrt(longest sum: 4 x 4 x 32) each.
  auto   exact = cradl_test::float64Copy(run.bestEncoder(), cradl::ContrastiveEncoder(tinyEncoder()));
  double model = 0.0;
  const at::Tensor reference = exact->forward(input.to(at::kDouble));
  for (uint64_t draw = 0; draw < 4; ++draw)
  {
    cradl_test::RoundingPerturbation perturb(cradl_test::Float32UnitRoundoff * std::sqrt(512.0), 300 + draw);
    auto                             encoder = cradl_test::float64Copy(run.bestEncoder(), cradl::ContrastiveEncoder(tinyEncoder()));
    perturb.perturbWeights(*encoder);
    model = std::max(model, (perturb.forward(encoder->layers, input.to(at::kDouble)).flatten(1) - reference).abs().max().item<double>());
  }
  EXPECT_LT((python - expected).abs().max().item<double>(), 2 * cradl_test::DrawSafetyFactor * model);
}

TEST(ModelFile, EveryCutAndEveryForgedOffsetIsRefusedBeforeLibTorchReadsIt)
{
  // LibTorch's pickle_load follows the archive's own offsets past its buffer
  // (AddressSanitizer: heap-buffer-overflow), so the structure is checked first.
  cradl::ValueDict dict = cradl::makeValueDict();
  dict.insert("format", std::string("cradl.test"));
  dict.insert("weights", at::arange(6, at::kFloat));
  const std::vector<char> bytes = torch::pickle_save(dict);
  ASSERT_EQ(cradl::zipStructureProblem(bytes), "");
  for (std::size_t length = 0; length < bytes.size(); ++length)
  {
    EXPECT_NE(cradl::zipStructureProblem(std::vector<char>(bytes.begin(), bytes.begin() + length)), "") << length;
  }
  // Every 4-byte field that could be an offset or a size, set far out of range.
  std::size_t refused = 0;
  for (std::size_t at = 0; at + 4 <= bytes.size(); ++at)
  {
    std::vector<char> forged = bytes;
    for (int i = 0; i < 4; ++i)
      forged[at + i] = static_cast<char>(0x7f);
    if (!cradl::zipStructureProblem(forged).empty())
    {
      ++refused;
    }
    else if (at % 8 == 0) // a sample of what passes: LibTorch reads it (or refuses it) within bounds
    {
      try
      {
        (void)torch::pickle_load(forged);
      }
      catch (const std::exception &)
      {
      }
    }
  }
  EXPECT_GT(refused, 0u);
}

TEST_F(ContrastiveTrainingTest, BadModelFilesAreClearErrors)
{
  auto run = training(tinyTraining(1));
  const fs::path modelPath = m_Folder / "encoder.pt";
  cradl::saveDict(run.bestModel(cradl::makeValueDict()), modelPath.string());
  const auto messageOf = [](const std::string & path) {
    try
    {
      cradl::loadEncoder(path);
    }
    catch (const std::runtime_error & error)
    {
      return std::string(error.what());
    }
    return std::string("no exception");
  };

  fs::copy_file(modelPath, m_Folder / "cut.pt");
  fs::resize_file(m_Folder / "cut.pt", fs::file_size(modelPath) / 2);
  EXPECT_NE(messageOf((m_Folder / "cut.pt").string()).find("truncated, damaged"), std::string::npos);

  std::ofstream(m_Folder / "text.pt") << "hello";
  EXPECT_NE(messageOf((m_Folder / "text.pt").string()).find("not a readable Cradl"), std::string::npos);

  cradl::ValueDict foreign = cradl::makeValueDict();
  foreign.insert("weights", at::ones({ 2 }));
  cradl::saveDict(foreign, (m_Folder / "foreign.pt").string());
  EXPECT_NE(messageOf((m_Folder / "foreign.pt").string()).find("not a Cradl file"), std::string::npos);

  run.saveCheckpoint((m_Folder / "checkpoint.pt").string());
  EXPECT_NE(messageOf((m_Folder / "checkpoint.pt").string()).find("holds a cradl.contrastive-training-checkpoint"),
            std::string::npos);

  cradl::ValueDict newer = run.bestModel(cradl::makeValueDict());
  newer.insert_or_assign("format_version", int64_t{ 99 });
  cradl::saveDict(newer, (m_Folder / "newer.pt").string());
  EXPECT_NE(messageOf((m_Folder / "newer.pt").string()).find("update Cradl"), std::string::npos);

  EXPECT_NE(messageOf((m_Folder / "missing.pt").string()).find("cannot open"), std::string::npos);
}

TEST_F(ContrastiveTrainingTest, NonFiniteLossStopsWithAClearError)
{
  auto       options = tinyTraining(1);
  at::Tensor poisoned = blobSlices(32, 1);
  poisoned[3][0][10][10] = std::numeric_limits<float>::quiet_NaN();
  cradl::ContrastiveTraining run(tinyEncoder(), {}, options, c10::kCPU, poisoned, blobSlices(12, 2));
  try
  {
    run.trainEpoch();
    FAIL() << "trained on NaN";
  }
  catch (const std::runtime_error & error)
  {
    EXPECT_NE(std::string(error.what()).find("the contrastive loss became nan"), std::string::npos) << error.what();
  }
  EXPECT_EQ(run.completedEpochs(), 0);
}

TEST_F(ContrastiveTrainingTest, MixedPrecisionLossStaysWithinTheRoundingModel)
{
  // The SimCLR loss of fixed weights and views, in float32, under bfloat16
  // autocast, and in float64 under the rounding model with u = 2^-8.
  torch::manual_seed(3);
  cradl::ContrastiveEncoder encoder(tinyEncoder());
  cradl::ProjectionHead     head(tinyEncoder());
  encoder->eval();
  head->eval();
  const at::Tensor   first = blobSlices(8, 5);
  const at::Tensor   second = blobSlices(8, 6);
  torch::NoGradGuard noGrad;
  const auto lossOf = [&](const c10::Device & device, bool bfloat16, at::ScalarType * representationDtype) {
    cradl::AutocastScope autocast(device, bfloat16);
    const at::Tensor     representations = encoder->forward(at::cat({ first, second }, 0));
    *representationDtype = representations.scalar_type();
    const at::Tensor projections = head->forward(representations);
    return cradl::ntXentLoss(projections.slice(0, 0, 8), projections.slice(0, 8), 0.5).item<double>();
  };
  at::ScalarType seen = at::kFloat;
  const double   exact = lossOf(c10::kCPU, false, &seen);
  const double   fast = lossOf(c10::kCPU, true, &seen);
  EXPECT_EQ(seen, at::kBFloat16);
  double modelDeviation = 0.0;
  for (uint64_t draw = 0; draw < 4; ++draw)
  {
    cradl_test::RoundingPerturbation perturb(cradl_test::Bfloat16UnitRoundoff, 200 + draw);
    auto                             encoder64 = cradl_test::float64Copy(encoder, cradl::ContrastiveEncoder(tinyEncoder()));
    auto                             head64 = cradl_test::float64Copy(head, cradl::ProjectionHead(tinyEncoder()));
    perturb.perturbWeights(*encoder64);
    perturb.perturbWeights(*head64);
    const at::Tensor representations =
      perturb.forward(encoder64->layers, at::cat({ first, second }, 0).to(at::kDouble)).flatten(1);
    const at::Tensor projections = perturb.forward(head64->layers, representations);
    const double     loss = cradl::ntXentLoss(projections.slice(0, 0, 8), projections.slice(0, 8), 0.5).item<double>();
    modelDeviation = std::max(modelDeviation, std::abs(loss - exact));
  }
  EXPECT_NEAR(fast, exact, cradl_test::DrawSafetyFactor * modelDeviation) << "model " << modelDeviation;
  EXPECT_GT(modelDeviation, 0.0);
}

TEST_F(ContrastiveTrainingTest, MixedPrecisionFollowsTheFloat32LossCurve)
{
  // After the first step the bfloat16 run follows its own trajectory. Its
  // model: an Adam step moves each weight by about lr, |m/sqrt(v)| <= 1 for
  // gradients that do not flip sign sparsely (Kingma & Ba 2015, sec. 2.1),
  // whatever rounding did to the gradient; so after s steps the two runs'
  // weights differ by at most 2 x (sum of the s learning rates) each, with
  // signs that owe nothing to the loss's gradient g: the loss moves by about
  // |g|_2 times that (first order; g measured at the common start, doubled for
  // its change on the way).
  constexpr int epochs = 3;
  const auto    options = tinyTraining(epochs);
  auto          fp32 = training(options);
  auto          bfloat16Options = options;
  bfloat16Options.mixedPrecision = true;
  auto bf16 = training(bfloat16Options);

  torch::manual_seed(options.seed); // the runs' common start, made as ContrastiveTraining makes it
  cradl::ContrastiveEncoder encoder(tinyEncoder());
  cradl::ProjectionHead     head(tinyEncoder());
  const auto gradientL2 = [&](const at::Tensor & slices, bool trainMode) {
    encoder->train(trainMode);
    head->train(trainMode);
    encoder->zero_grad();
    head->zero_grad();
    const at::Tensor projections = head->forward(encoder->forward(at::cat({ slices, slices }, 0)));
    const int64_t    n = slices.size(0);
    cradl::ntXentLoss(projections.slice(0, 0, n), projections.slice(0, n), options.temperature).backward();
    double norm = 0.0;
    for (const auto * module : { static_cast<torch::nn::Module *>(encoder.get()), static_cast<torch::nn::Module *>(head.get()) })
      for (const auto & parameter : module->parameters())
        norm += parameter.grad().pow(2).sum().item<double>();
    return std::sqrt(norm);
  };
  const double gradientNorm = std::max(gradientL2(blobSlices(8, 1), true), gradientL2(blobSlices(12, 2), false));

  const int64_t steps = fp32.stepsPerEpoch();
  double        learningRates = 0.0;
  for (int epoch = 0; epoch < epochs; ++epoch)
  {
    const auto a = fp32.trainEpoch();
    const auto b = bf16.trainEpoch();
    EXPECT_EQ(a.representationDtype, at::kFloat);
    EXPECT_EQ(b.representationDtype, at::kBFloat16); // the fast path ran
    // The epoch's training loss is a mean over its steps, the last taken after
    // all but one of them; validation follows the last step.
    for (int64_t step = epoch * steps; step < (epoch + 1) * steps; ++step)
      learningRates += cradl::warmupCosineLearningRate(step, epochs * steps, options.warmupEpochs * steps,
                                                       options.learningRate);
    const auto bound = [&](double rates) {
      return cradl_test::DrawSafetyFactor * gradientNorm * 2 * rates;
    };
    EXPECT_NEAR(b.trainingLoss, a.trainingLoss, bound(learningRates)) << "epoch " << epoch + 1;
    EXPECT_NEAR(b.validationLoss, a.validationLoss, bound(learningRates)) << "epoch " << epoch + 1;
  }
}

TEST_F(ContrastiveTrainingTest, WrongSlicesAreRefused)
{
  EXPECT_THROW(cradl::ContrastiveTraining(tinyEncoder(), {}, tinyTraining(), c10::kCPU, at::zeros({ 8, 1, 32, 32 }),
                                          blobSlices(4, 2)),
               std::invalid_argument);
  EXPECT_THROW(cradl::ContrastiveTraining(tinyEncoder(), {}, tinyTraining(), c10::kCPU, blobSlices(1, 1),
                                          blobSlices(4, 2)),
               std::invalid_argument);
}

TEST_F(ContrastiveTrainingTest, TrainsOnCuda)
{
  if (!torch::cuda::is_available())
  {
    GTEST_SKIP() << "no CUDA GPU";
  }
  auto       run = training(tinyTraining(2), c10::Device(c10::kCUDA, 0));
  const auto first = run.trainEpoch();
  const auto second = run.trainEpoch();
  EXPECT_TRUE(std::isfinite(first.trainingLoss));
  EXPECT_LT(second.trainingLoss, first.trainingLoss * 1.5);
  EXPECT_TRUE(at::allclose(run.bestEncoder()->forward(blobSlices(2, 3)), run.bestEncoder()->forward(blobSlices(2, 3))));
}

TEST(Bfloat16Support, FollowsTheCpuFlagUnlessOneDnnIsHeldBelowIt)
{
  // What /proc/cpuinfo says, read here on its own.
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string   line;
  bool          flag = false;
  while (std::getline(cpuinfo, line))
    if (line.rfind("flags", 0) == 0)
    {
      flag = (line + " ").find(" avx512_bf16 ") != std::string::npos;
      break;
    }
  std::vector<std::pair<std::string, std::optional<std::string>>> given;
  for (const char * variable : { "DNNL_MAX_CPU_ISA", "ONEDNN_MAX_CPU_ISA" })
  {
    const char * value = std::getenv(variable);
    given.emplace_back(variable, value != nullptr ? std::optional<std::string>(value) : std::nullopt);
    unsetenv(variable);
  }
  EXPECT_EQ(cradl::bfloat16Supported(c10::kCPU), flag);
  // oneDNN held at AVX2 has no bfloat16 convolutions (its primitives fail to
  // build), in any spelling; held at AVX512_CORE_BF16 the CPU decides.
  for (const char * isa : { "AVX2", "avx512_core", "AVX512_CORE_VNNI" })
  {
    setenv("DNNL_MAX_CPU_ISA", isa, 1);
    EXPECT_FALSE(cradl::bfloat16Supported(c10::kCPU)) << isa;
  }
  setenv("DNNL_MAX_CPU_ISA", "avx512_core_bf16", 1);
  EXPECT_EQ(cradl::bfloat16Supported(c10::kCPU), flag);
  for (const auto & [variable, value] : given)
    value ? setenv(variable.c_str(), value->c_str(), 1) : unsetenv(variable.c_str());
}
