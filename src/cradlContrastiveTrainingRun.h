#ifndef cradlContrastiveTrainingRun_h
#define cradlContrastiveTrainingRun_h

// Private: the seam between ContrastiveEncoderTrainer's ITK side (reading,
// preprocessing, slice selection) and its torch side (training), with no
// torch types, so that neither translation unit compiles the other's headers.

#include "cradlOptions.h"
#include "cradlSliceSet.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace itk
{
namespace detail
{
struct ContrastiveEncoderModelImpl;
}
} // namespace itk

namespace cradl
{

struct TrainingRun
{
  EncoderOptions      encoder;
  AugmentationOptions augmentation;
  TrainingOptions     training; // mixedPrecision: used where bfloat16Supported()
  std::string         device = "cpu";
  bool                distributed = true; // join the environment's run of several processes, if any
  std::string         checkpointFile; // empty: no checkpoints (several processes: rank 0 writes)
  bool                resume = false;  // continue from checkpointFile when it exists
  SliceCollectionSettings slices; // how slices were made: recorded in the model file
};

struct TrainingProgress
{
  int64_t epoch = 0; // 1-based, the epoch running or just finished
  int64_t epochs = 0;
  int64_t step = 0; // 1-based within the epoch; 0 at an epoch's end
  int64_t stepsPerEpoch = 0;
  double  loss = 0.0;
  double  learningRate = 0.0;
  double  viewsPerSecond = 0.0;
  double  validationLoss = 0.0; // at an epoch's end
  bool    epochFinished = false;
  bool    mixedPrecision = false;
};

/** Trains (or resumes and finishes) and returns the kept model. `report` is
 *  called after every step and every epoch; it may throw to stop training
 *  (the last checkpoint stays). Throws std::exception with a clear message. */
std::shared_ptr<itk::detail::ContrastiveEncoderModelImpl>
runContrastiveTraining(const SliceSet &                                     training,
                       const SliceSet &                                     validation,
                       const TrainingRun &                                  run,
                       const std::function<void(const TrainingProgress &)> & report);

} // namespace cradl

#endif
