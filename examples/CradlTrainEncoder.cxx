// Stage 1: trains CRADL's encoder with SimCLR on healthy scans and saves it.
//
//   CradlTrainEncoder train.csv val.csv encoder.pt [epochs] [slice size] [nf] [nz]
//
// The manifests list image,mask[,label] per row (what `cradl make-dataset`
// writes). Defaults are the paper's GPU configuration; on a CPU try
// 30 epochs, slice size 64, nf 32, nz 256.
#include "itkContrastiveEncoderTrainer.h"
#include "itkCradlManifest.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <string>

int
main(int argc, char * argv[])
{
  if (argc < 4)
  {
    std::cerr << "usage: " << argv[0] << " train.csv val.csv encoder.pt [epochs] [slice size] [nf] [nz]\n";
    return EXIT_FAILURE;
  }
  try
  {
    auto training = itk::CradlManifest::New();
    training->Read(argv[1]);
    auto validation = itk::CradlManifest::New();
    validation->Read(argv[2]);

    auto trainer = itk::ContrastiveEncoderTrainer::New();
    for (std::size_t row = 0; row < training->GetNumberOfEntries(); ++row)
    {
      const auto scan = training->LoadScan(row);
      trainer->AddTrainingScan(scan.Image, scan.Mask);
    }
    for (std::size_t row = 0; row < validation->GetNumberOfEntries(); ++row)
    {
      const auto scan = validation->LoadScan(row);
      trainer->AddValidationScan(scan.Image, scan.Mask);
    }
    if (argc > 4)
      trainer->SetNumberOfEpochs(std::stoul(argv[4]));
    if (argc > 5)
      trainer->SetSliceSize(std::stoul(argv[5]));
    if (argc > 6)
      trainer->SetNumberOfFilters(std::stoul(argv[6]));
    if (argc > 7)
      trainer->SetRepresentationSize(std::stoul(argv[7]));
    trainer->SetWarmupEpochs(std::min(3u, trainer->GetNumberOfEpochs() - 1));
    // Progress through ITK's events, as in any ITK pipeline.
    trainer->AddObserver(itk::IterationEvent(), [&](const itk::EventObject &) {
      if (trainer->GetCurrentStep() == 0)
        std::cout << "epoch " << trainer->GetCurrentEpoch() << " loss " << trainer->GetCurrentLoss() << " validation "
                  << trainer->GetLastValidationLoss() << std::endl;
    });
    trainer->Update();
    trainer->GetOutput()->Save(argv[3]);
    std::cout << "trained on " << trainer->GetNumberOfTrainingSlices() << " slices -> " << argv[3] << std::endl;
  }
  catch (const itk::ExceptionObject & error)
  {
    std::cerr << "error: " << error.GetDescription() << std::endl;
    return EXIT_FAILURE;
  }
  return EXIT_SUCCESS;
}
