// fit: representations of the training scans -> one mixture per K in OUT/candidates (GaussianMixtureFitter).
#include "cradlPipeline.h"
#include "cradlStageFrame.h"
#include "cradlProgressLine.h"

#include "itkCradlImageIO.h"
#include "itkGaussianMixtureFitter.h"

#include <iostream>

namespace cradl_pipeline
{

void
fitStage(const PipelineConfig & config)
{
  const Layout layout{ config.out };
  itk::CradlMakeFolder((layout.out / "candidates").string());
  StageRecord record(config.out, "fit");
  record.addSettings(config.settingsOf("fit"));
  record.addFile("encoder", layout.encoder());
  record.addManifest("training manifest", requireManifestPath(config.train, "training"));
  std::vector<std::string> outputs;
  for (const unsigned int components : config.components)
    outputs.push_back(layout.candidate(components));
  if (upToDate(record, outputs, config, "fit"))
    return;
  const auto encoder = itk::ContrastiveEncoderModel::Load(layout.encoder());
  const auto train = readManifest(config, config.train, "training");
  auto       fitter = itk::GaussianMixtureFitter::New();
  fitter->SetEncoder(encoder);
  for (std::size_t row = 0; row < train->GetNumberOfEntries(); ++row)
  {
    const auto scan = train->LoadScan(row);
    fitter->AddScan(scan.Image, scan.Mask);
  }
  {
    const auto values = config.valuesDeclaredBy(cradl::fitterSettingDeclarations());
    auto &     stage = *fitter;
    CRADL_FITTER_SETTINGS(cradlSetDeclaredValue)
  }
  fitter->SetSeed(config.seed);
  fitter->SetDevice(config.device);
  fitter->SetNumberOfThreads(config.threads);
  ProgressLine progress("fit", 100, 10);
  fitter->AddObserver(itk::ProgressEvent(), [&](const itk::EventObject &) {
    if (leader())
      progress.update(100.0 * fitter->GetProgress(), "of slices, representations, EM per K");
  });
  fitter->Update();
  for (unsigned int c = 0; c < fitter->GetCandidates().size() && leader(); ++c)
  {
    const auto & candidate = fitter->GetCandidates()[c];
    std::cerr << "cradl: fit: K=" << candidate.NumberOfComponents << " iterations " << candidate.Iterations
              << " mean log-likelihood " << candidate.MeanLogLikelihood << " BIC " << candidate.BIC << std::endl;
    fitter->GetCandidateModel(c)->Save(layout.candidate(candidate.NumberOfComponents));
  }
  if (leader())
    record.write(true, config.device);
  stageDoneOnEveryProcess();
}

} // namespace cradl_pipeline
