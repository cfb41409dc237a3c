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
// The builder's own defaults, so that they are written once.
struct Options
{
  std::string  out;
  std::string  templateFile;
  std::string  templateMask;
  unsigned int train;
  unsigned int validation;
  unsigned int test;
  double       spacing;
  unsigned int seed;
  unsigned int lesions;
  double       minimumRadius;
  double       maximumRadius;
  std::string  heldOutKind;
  unsigned int threads = 0;

  Options()
  {
    const auto defaults = itk::CradlDatasetBuilder::New();
    train = defaults->GetNumberOfTrainingSubjects();
    validation = defaults->GetNumberOfValidationSubjects();
    test = defaults->GetNumberOfTestSubjects();
    spacing = defaults->GetOutputSpacing();
    seed = defaults->GetSeed();
    lesions = defaults->GetMaximumLesions();
    minimumRadius = defaults->GetMinimumLesionRadius();
    maximumRadius = defaults->GetMaximumLesionRadius();
    heldOutKind = defaults->GetHeldOutKind();
  }
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
  builder->SetHeldOutKind(options.heldOutKind == "none" ? "" : options.heldOutKind);
  cradl_pipeline::ProgressLine progress("make-dataset", options.train + options.validation + options.test);
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
  std::vector<std::string> kinds = itk::CradlDatasetBuilder::GetAnomalyKindNames();
  kinds.push_back("none");
  command->add_option("--held-out-kind", options->heldOutKind, "the anomaly kind validation never gets (none: none)")
    ->check(CLI::IsMember(kinds))
    ->capture_default_str();
  command->add_option("--threads", options->threads, "threads (0 = all cores)")->capture_default_str();
  command->callback([options] { run(*options); });
}

} // namespace cradl_cli
