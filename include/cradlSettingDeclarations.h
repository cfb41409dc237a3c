#ifndef cradlSettingDeclarations_h
#define cradlSettingDeclarations_h

// Every setting of the ITK stages (the trainer, the fitter, the scoring recipe), declared once: one row per setting with
//   X(kind, Name, type, key, default, constraint, help)
// kind: Number (unsigned int or double, constraint a SettingRange), Flag
// (bool), Text (std::string, constraint the allowed values or AnyText) or
// List (std::vector<unsigned int>, constraint a SettingList). Name is the ITK
// spelling (Set<Name>/Get<Name>), key the snake_case one (Python keywords,
// JSON). From these rows come the ITK classes' members, Set/Get methods and
// PrintSelf (itkCradlSettingMacros.h), the defaults (cradl::defaults::<stage>),
// the declaration tables (cradl::settingDeclarations), the Python keyword
// arguments and their defaults, and the `cradl` tool's settings table rows
// (help, range, default). Plain C++ without ITK or torch: every layer includes it.

#include "cradlDefaults.h"

#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace cradl
{

/** The numbers a setting allows: [minimum, maximum], or (minimum, maximum]. */
struct SettingRange
{
  double minimum = -std::numeric_limits<double>::infinity();
  bool   minimumAllowed = true;
  double maximum = std::numeric_limits<double>::infinity();

  /** False for NaN. */
  constexpr bool
  contains(double value) const
  {
    return (minimumAllowed ? value >= minimum : value > minimum) && value <= maximum;
  }
};

constexpr SettingRange
Between(double minimum, double maximum)
{
  return { minimum, true, maximum };
}
constexpr SettingRange
AtLeast(double minimum)
{
  return { minimum, true, std::numeric_limits<double>::infinity() };
}
constexpr SettingRange
Positive()
{
  return { 0.0, false, std::numeric_limits<double>::infinity() };
}
constexpr SettingRange
AnyNumber()
{
  return {};
}
constexpr SettingRange
Fraction()
{
  return Between(0.0, 1.0);
}

/** A list setting's items, and whether it may be empty. */
struct SettingList
{
  SettingRange items;
  bool         mayBeEmpty = false;
};

/** A text setting's allowed values (none listed: any text). */
struct SettingChoices
{
  std::vector<std::string> values;
};
inline SettingChoices
AnyText()
{
  return {};
}
template <typename... Values>
SettingChoices
OneOf(Values... values)
{
  return { { std::string(values)... } };
}
/** Flags allow true and false. */
struct NoConstraint
{};

enum class SettingType
{
  Integer,
  Number,
  Boolean,
  Text,
  Integers
};

/** One row as data: what `cradl settings`, Python and the tool read. */
struct SettingDeclaration
{
  const char *             name; // ITK spelling
  const char *             key;  // snake_case
  SettingType              type;
  double                   defaultNumber = 0.0; // Integer, Number, Boolean (0 or 1)
  std::string              defaultText;         // Text
  std::vector<double>      defaultList;         // Integers
  SettingRange             range;               // Integer, Number; Integers: each item
  bool                     mayBeEmpty = false;  // Integers
  std::vector<std::string> choices;             // Text (empty: any)
  const char *             help;
  const char *             owner = ""; // the class whose setting it is: ContrastiveEncoderTrainer, ...
};

namespace detail
{
// Numbers: unsigned int settings are integers, double ones real numbers.
template <typename T, typename = std::enable_if_t<std::is_same_v<T, unsigned int> || std::is_same_v<T, double>>>
SettingDeclaration
declare(const char * name, const char * key, T value, SettingRange range, const char * help)
{
  SettingDeclaration row{ name, key, std::is_same_v<T, double> ? SettingType::Number : SettingType::Integer };
  row.defaultNumber = static_cast<double>(value);
  row.range = range;
  row.help = help;
  return row;
}
inline SettingDeclaration
declare(const char * name, const char * key, bool value, NoConstraint, const char * help)
{
  SettingDeclaration row{ name, key, SettingType::Boolean };
  row.defaultNumber = value ? 1.0 : 0.0;
  row.help = help;
  return row;
}
inline SettingDeclaration
declare(const char * name, const char * key, const std::string & value, SettingChoices choices, const char * help)
{
  SettingDeclaration row{ name, key, SettingType::Text };
  row.defaultText = value;
  row.choices = std::move(choices.values);
  row.help = help;
  return row;
}
inline SettingDeclaration
declare(const char * name, const char * key, const std::vector<unsigned int> & value, SettingList list,
        const char * help)
{
  SettingDeclaration row{ name, key, SettingType::Integers };
  row.defaultList.assign(value.begin(), value.end());
  row.range = list.items;
  row.mayBeEmpty = list.mayBeEmpty;
  row.help = help;
  return row;
}
inline std::vector<SettingDeclaration>
ownedBy(const char * owner, std::vector<SettingDeclaration> rows)
{
  for (auto & row : rows)
    row.owner = owner;
  return rows;
}
} // namespace detail
} // namespace cradl

// A list default is written in parentheses, e.g. (std::vector<unsigned int>{ 1, 2 }),
// so that its commas do not split the row.

/** ContrastiveEncoderTrainer (stage 1). */
#define CRADL_TRAINER_SETTINGS(X)                                                                                     \
  X(Number, SliceSize, unsigned int, "slice_size", cradl::defaults::SliceSize, cradl::Between(64, 256),               \
    "slice side: 64, 128 or 256")                                                                                     \
  X(Number, NumberOfFilters, unsigned int, "nf", 64u, cradl::Between(1, cradl::limits::MaximumNumberOfFilters),       \
    "encoder base channels")                                                                                          \
  X(Number, RepresentationSize, unsigned int, "nz", 512u,                                                             \
    cradl::Between(1, cradl::limits::MaximumRepresentationSize), "representation size")                               \
  X(Number, ClipMinimum, double, "clip_minimum", cradl::defaults::ClipMinimum, cradl::AnyNumber(),                    \
    "z-scores below are clipped")                                                                                     \
  X(Number, ClipMaximum, double, "clip_maximum", cradl::defaults::ClipMaximum, cradl::AnyNumber(),                    \
    "z-scores above are clipped")                                                                                     \
  X(Flag, PreserveAspectRatio, bool, "preserve_aspect_ratio", true, cradl::NoConstraint{},                            \
    "resize slices keeping their aspect ratio (pad to a square)")                                                     \
  X(Number, MinimumBrainFraction, double, "minimum_brain_fraction", cradl::defaults::MinimumBrainFraction,             \
    cradl::Fraction(), "slices whose brain covers less of the slice are skipped")                                     \
  X(Number, SliceMargin, unsigned int, "slice_margin", 0u, cradl::AtLeast(0),                                         \
    "slices dropped at each end of a scan's brain")                                                                   \
  X(Number, NumberOfEpochs, unsigned int, "epochs", 100u, cradl::Between(1, cradl::limits::MaximumEpochs),            \
    "training epochs")                                                                                                \
  X(Number, BatchSize, unsigned int, "batch_size", 64u, cradl::Between(2, cradl::limits::MaximumBatchSize),           \
    "slices per step (each gives two views)")                                                                         \
  X(Number, LearningRate, double, "learning_rate", 1e-4, cradl::Positive(), "Adam learning rate")                     \
  X(Number, WeightDecay, double, "weight_decay", 1e-6, cradl::AtLeast(0), "Adam weight decay (weights only)")         \
  X(Number, WarmupEpochs, unsigned int, "warmup_epochs", 10u, cradl::Between(0, cradl::limits::MaximumEpochs),        \
    "linear warm-up, then cosine decay")                                                                              \
  X(Number, Temperature, double, "temperature", 0.5, cradl::Positive(), "NT-Xent temperature")                        \
  X(Number, Seed, unsigned int, "seed", 0u, cradl::AtLeast(0), "seed of the network, batches and augmentations")      \
  X(Flag, Augment, bool, "augment", true, cradl::NoConstraint{}, "augment the two views (off: identical views)")      \
  X(Number, MaximumRotation, double, "maximum_rotation", 0.1, cradl::AtLeast(0), "rotation in [-r, r] radians")       \
  X(Number, ScaleMinimum, double, "scale_minimum", 0.9, cradl::Positive(), "sampling grid scale, lowest")             \
  X(Number, ScaleMaximum, double, "scale_maximum", 1.2, cradl::Positive(), "sampling grid scale, highest")            \
  X(Number, MirrorProbability, double, "mirror_probability", 0.5, cradl::Fraction(), "left-right mirroring")          \
  X(Number, BrightnessMinimum, double, "brightness_minimum", 0.95, cradl::AtLeast(0), "brightness factor, lowest")    \
  X(Number, BrightnessMaximum, double, "brightness_maximum", 1.1, cradl::AtLeast(0), "brightness factor, highest")    \
  X(Number, MaximumNoiseStandardDeviation, double, "maximum_noise_standard_deviation",                                \
    cradl::defaults::MaximumNoiseStandardDeviation, cradl::AtLeast(0), "Gaussian noise, highest standard deviation")   \
  X(Text, Device, std::string, "device", std::string("cpu"), cradl::AnyText(), "cpu, cuda or cuda:N")                 \
  X(Number, NumberOfThreads, unsigned int, "threads", 0u, cradl::AtLeast(0), "threads (0 = all cores)")               \
  X(Flag, MixedPrecision, bool, "mixed_precision", true, cradl::NoConstraint{},                                       \
    "bf16 training where the CPU or GPU supports it")                                                                 \
  X(Flag, Distributed, bool, "distributed", true, cradl::NoConstraint{},                                              \
    "join the processes torchrun, srun or cradl --nproc started")                                                     \
  X(Text, CheckpointFileName, std::string, "checkpoint", std::string(), cradl::AnyText(),                             \
    "training state written after every epoch (empty: none)")                                                         \
  X(Flag, Resume, bool, "resume", false, cradl::NoConstraint{}, "continue from the checkpoint if it exists")

/** GaussianMixtureFitter (stage 2). */
#define CRADL_FITTER_SETTINGS(X)                                                                                      \
  X(List, ComponentCandidates, std::vector<unsigned int>, "components", (std::vector<unsigned int>{ 1 }),             \
    (cradl::SettingList{ cradl::Between(1, cradl::limits::MaximumComponents), false }),                               \
    "mixture sizes to fit, e.g. 1,2,4,8 (the selection keeps one)")                                                   \
  X(Number, Tolerance, double, "tolerance", 1e-2, cradl::AtLeast(0), "EM tolerance")                                  \
  X(Number, MaximumNumberOfIterations, unsigned int, "max_iterations", 100u, cradl::AtLeast(1), "EM iterations, most") \
  X(Number, CovarianceRegularization, double, "regularization", 1e-5, cradl::Positive(),                              \
    "covariance regularization (added to the diagonal)")                                                              \
  X(Text, Initialization, std::string, "initialization", std::string("kmeans++"), cradl::OneOf("kmeans++", "random"),  \
    "EM start: kmeans++ or random")                                                                                   \
  X(Number, Seed, unsigned int, "seed", 0u, cradl::AtLeast(0), "seed of EM's initialisation")                         \
  X(Flag, StandardizeFeatures, bool, "standardize", true, cradl::NoConstraint{},                                      \
    "fit to standardised representations (per feature)")                                                             \
  X(Flag, Float32Compute, bool, "float32", false, cradl::NoConstraint{}, "EM in float32 (faster, less exact)")        \
  X(Number, MinimumBrainFraction, double, "minimum_brain_fraction", cradl::defaults::MinimumBrainFraction,             \
    cradl::Fraction(), "slices whose brain covers less of the slice are skipped")                                     \
  X(Number, SliceMargin, unsigned int, "slice_margin", 0u, cradl::AtLeast(0),                                         \
    "slices dropped at each end of a scan's brain")                                                                   \
  X(Number, BatchSize, unsigned int, "batch_size", cradl::defaults::ScoringBatchSize,                                 \
    cradl::Between(1, cradl::limits::MaximumBatchSize), "slices per forward pass")                                    \
  X(List, PatchDensityLayers, std::vector<unsigned int>, "patch_layers", (std::vector<unsigned int>{ 1, 2 }),         \
    (cradl::SettingList{ cradl::Between(0, 16), true }),                                                              \
    "encoder layers (ReLU index: 0 = 1/2 of the slice size, 1 = 1/4, ...) whose feature maps get a patch density")    \
  X(Number, PatchPositionGrid, unsigned int, "patch_grid", 8u,                                                        \
    cradl::Between(0, cradl::limits::MaximumPatchPositionGrid),                                                       \
    "patch density per position: G x G in-plane cells over the brain's bounding box (0 = one location-agnostic "     \
    "Gaussian)")                                                                                                      \
  X(Number, PatchDepthBins, unsigned int, "patch_depth_bins", 4u, cradl::Between(1, cradl::limits::MaximumPatchDepthBins), \
    "patch density per position: bins of slice depth")                                                                \
  X(Number, PatchPriorWeight, double, "patch_prior_weight", 0.25, cradl::Positive(),                                  \
    "pseudo-positions (x channels) of the pooled fit in each cell's Gaussian: larger shrinks sparse cells more")      \
  X(Text, Device, std::string, "device", std::string("cpu"), cradl::AnyText(), "cpu, cuda or cuda:N")                 \
  X(Flag, Distributed, bool, "distributed", true, cradl::NoConstraint{},                                              \
    "join the processes torchrun, srun or cradl --nproc started")                                                     \
  X(Number, NumberOfThreads, unsigned int, "threads", 0u, cradl::AtLeast(0), "threads (0 = all cores)")

/** CradlScoringSettings: the map and its post-processing (select, score, the Python scoring). */
#define CRADL_SCORING_SETTINGS(X)                                                                                     \
  X(Text, Mode, std::string, "mode", std::string(cradl::defaults::ScoringMode),                                        \
    cradl::OneOf("gradient", "patch", "fused"),                                                                       \
    "the map: gradient (the paper's), patch (feature density, forward only) or fused (both and the intensity "       \
    "deviation, each standardised on the scan's brain)")                                                              \
  X(Text, Device, std::string, "device", std::string("cpu"), cradl::AnyText(), "cpu, cuda or cuda:N")                 \
  X(Number, BatchSize, unsigned int, "batch_size", cradl::defaults::ScoringBatchSize,                                 \
    cradl::Between(1, cradl::limits::MaximumBatchSize), "slices per pass")                                            \
  X(Flag, MixedPrecision, bool, "mixed_precision", cradl::defaults::ScoringMixedPrecision, cradl::NoConstraint{},      \
    "bf16 scoring")                                                                                                   \
  X(Number, MedianRadius, unsigned int, "median_radius", cradl::defaults::MedianRadius,                               \
    cradl::Between(0, cradl::limits::MaximumMedianRadius), "post-processing median radius")                           \
  X(Number, GaussianSigma, double, "gaussian_sigma", cradl::defaults::GaussianSigma,                                  \
    cradl::Between(cradl::limits::MinimumGaussianSigma, cradl::limits::MaximumGaussianSigma),                        \
    "post-processing Gaussian sigma (pixels)")                                                                        \
  X(Number, GaussianRadius, unsigned int, "gaussian_radius", cradl::defaults::GaussianRadius,                         \
    cradl::Between(0, cradl::limits::MaximumGaussianRadius), "Gaussian kernel radius")

namespace cradl
{
namespace defaults
{
#define CRADL_DEFAULT_VALUE(kind, Name, Type, key, value, constraint, help) inline const Type Name = value;
/** The defaults, by the ITK classes' names: cradl::defaults::trainer::LearningRate. */
namespace trainer
{
CRADL_TRAINER_SETTINGS(CRADL_DEFAULT_VALUE)
}
namespace fitter
{
CRADL_FITTER_SETTINGS(CRADL_DEFAULT_VALUE)
}
#undef CRADL_DEFAULT_VALUE
} // namespace defaults

#define CRADL_DECLARATION_ROW(kind, Name, Type, key, value, constraint, help)                                        \
  detail::declare(#Name, key, static_cast<Type>(value), constraint, help),
/** The rows as data, in declaration order. */
inline const std::vector<SettingDeclaration> &
trainerSettingDeclarations()
{
  static const std::vector<SettingDeclaration> rows = detail::ownedBy("ContrastiveEncoderTrainer", { CRADL_TRAINER_SETTINGS(CRADL_DECLARATION_ROW) });
  return rows;
}
inline const std::vector<SettingDeclaration> &
fitterSettingDeclarations()
{
  static const std::vector<SettingDeclaration> rows = detail::ownedBy("GaussianMixtureFitter", { CRADL_FITTER_SETTINGS(CRADL_DECLARATION_ROW) });
  return rows;
}
inline const std::vector<SettingDeclaration> &
scoringSettingDeclarations()
{
  static const std::vector<SettingDeclaration> rows = detail::ownedBy("CradlScoringSettings", { CRADL_SCORING_SETTINGS(CRADL_DECLARATION_ROW) });
  return rows;
}
#undef CRADL_DECLARATION_ROW

/** The row named `name` (ITK spelling) of `rows`; throws std::out_of_range if none. */
inline const SettingDeclaration &
declarationNamed(const std::vector<SettingDeclaration> & rows, const std::string & name)
{
  for (const auto & row : rows)
    if (name == row.name)
      return row;
  throw std::out_of_range("no setting named " + name);
}

} // namespace cradl

#endif
