// cradl make-dataset: the default data set, built from the Colin27 brain of
// Debian's mricron-data (or --template), with CradlDatasetBuilder.
#include "cradlProgressLine.h"
#include "cradlCommands.h"

#include "itkCradlDatasetBuilder.h"
#include "itkCradlManifest.h"
#include "itkCradlRuntime.h"

#include <iostream>
#include <memory>

namespace cradl_cli
{

namespace
{
struct Options
{
  std::string  out;
  std::string  templateFile;
  std::string  templateMask;
  unsigned int train = 20;
  unsigned int validation = 4;
  unsigned int test = 6;
  double       spacing = 2.0;
  unsigned int seed = 0;
  unsigned int lesions = 3;
  double       minimumRadius = 5.0;
  double       maximumRadius = 14.0;
  unsigned int threads = 0;
};

void
run(const Options & options)
{
  itk::CradlRuntime::SetNumberOfThreads(options.threads);
  auto builder = itk::CradlDatasetBuilder::New();
  if (!options.templateFile.empty())
  {
    const auto scan = itk::CradlManifest::ReadScanImage(options.templateFile, "--template");
    itk::CradlManifest::MaskImageType::Pointer mask;
    if (!options.templateMask.empty())
    {
      mask = itk::CradlManifest::ReadMaskImage(options.templateMask, "--template-mask");
    }
    builder->SetTemplate(scan, mask);
  }
  builder->SetNumberOfTrainingSubjects(options.train);
  builder->SetNumberOfValidationSubjects(options.validation);
  builder->SetNumberOfTestSubjects(options.test);
  builder->SetOutputSpacing(options.spacing);
  builder->SetSeed(options.seed);
  builder->SetMaximumLesions(options.lesions);
  builder->SetMinimumLesionRadius(options.minimumRadius);
  builder->SetMaximumLesionRadius(options.maximumRadius);
  ProgressLine progress("make-dataset", options.train + options.validation + options.test);
  unsigned int done = 0;
  builder->AddObserver(itk::IterationEvent(), [&](const itk::EventObject &) { progress.update(++done, "subjects"); });
  builder->Write(options.out);
  std::cout << options.out << "/train.csv " << options.out << "/val.csv " << options.out << "/test.csv" << std::endl;
}
} // namespace

void
addMakeDataset(CLI::App & app)
{
  auto   options = std::make_shared<Options>();
  auto * command = app.add_subcommand("make-dataset", "build the default data set from the Colin27 brain (mricron-data)");
  command->add_option("--out", options->out, "output folder")->required();
  command->add_option("--template", options->templateFile, "a healthy skull-stripped scan instead of Colin27")
    ->check(CLI::ExistingFile);
  command->add_option("--template-mask", options->templateMask, "its brain mask (default: its non-zero voxels)")
    ->check(CLI::ExistingFile);
  command->add_option("--train", options->train, "healthy training subjects")->capture_default_str();
  command->add_option("--val", options->validation, "validation subjects (with anomalies)")->capture_default_str();
  command->add_option("--test", options->test, "test subjects (with anomalies)")->capture_default_str();
  command->add_option("--spacing", options->spacing, "isotropic output spacing in mm")->capture_default_str();
  command->add_option("--seed", options->seed, "seed of everything random")->capture_default_str();
  command->add_option("--lesions", options->lesions, "most anomalies per subject")->capture_default_str();
  command->add_option("--min-radius", options->minimumRadius, "smallest anomaly radius, mm")->capture_default_str();
  command->add_option("--max-radius", options->maximumRadius, "largest anomaly radius, mm")->capture_default_str();
  command->add_option("--threads", options->threads, "threads (0 = all cores)")->capture_default_str();
  command->callback([options] { run(*options); });
}

} // namespace cradl_cli
