// Stage 2: fits Gaussian mixtures of several sizes to the encoder's
// representations of healthy scans, then keeps the one whose anomaly maps
// find the labelled anomalies of the validation scans best, scored with the
// same settings that scoring will use.
//
//   CradlFitMixture encoder.pt train.csv val.csv mixture.pt [K,K,...] [sigma]
#include "itkCradlManifest.h"
#include "itkGaussianMixtureFitter.h"
#include "itkMixtureModelSelector.h"

#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>

int
main(int argc, char * argv[])
{
  if (argc < 5)
  {
    std::cerr << "usage: " << argv[0] << " encoder.pt train.csv val.csv mixture.pt [K,K,...] [sigma]\n";
    return EXIT_FAILURE;
  }
  try
  {
    const auto encoder = itk::ContrastiveEncoderModel::Load(argv[1]);
    auto       training = itk::CradlManifest::New();
    training->Read(argv[2]);
    auto validation = itk::CradlManifest::New();
    validation->Read(argv[3]);
    std::vector<unsigned int> candidates{ 1, 2, 4 };
    if (argc > 5)
    {
      candidates.clear();
      std::istringstream list(argv[5]);
      for (std::string k; std::getline(list, k, ',');)
        candidates.push_back(std::stoul(k));
    }
    itk::CradlScoringSettings scoring; // the defaults of RepresentationNLLGradient- and MedianGaussianPostprocessImageFilter
    if (argc > 6)
      scoring.GaussianSigma = std::stod(argv[6]);

    auto fitter = itk::GaussianMixtureFitter::New();
    fitter->SetEncoder(encoder);
    for (std::size_t row = 0; row < training->GetNumberOfEntries(); ++row)
    {
      const auto scan = training->LoadScan(row);
      fitter->AddScan(scan.Image, scan.Mask);
    }
    fitter->SetComponentCandidates(candidates);
    fitter->Update();

    auto selector = itk::MixtureModelSelector::New();
    selector->SetEncoder(encoder);
    selector->SetScoringSettings(scoring);
    for (unsigned int c = 0; c < candidates.size(); ++c)
      selector->AddCandidate(fitter->GetCandidateModel(c));
    std::vector<itk::CradlManifest::Scan> scans; // kept alive for the selector
    for (std::size_t row = 0; row < validation->GetNumberOfEntries(); ++row)
    {
      scans.push_back(validation->LoadScan(row));
      if (scans.back().Label)
        selector->AddValidationScan(scans.back().Image, scans.back().Mask, scans.back().Label);
    }
    selector->Update();
    for (const auto & candidate : selector->GetCandidates())
      std::cout << "K=" << candidate.NumberOfComponents << " BIC " << candidate.BIC << " validation AUPRC "
                << candidate.ValidationAUPRC << std::endl;
    selector->GetOutput()->Save(argv[4]);
    std::cout << "kept K=" << selector->GetOutput()->GetNumberOfComponents() << " by "
              << selector->GetSelectionCriterion() << " -> " << argv[4] << std::endl;
  }
  catch (const itk::ExceptionObject & error)
  {
    std::cerr << "error: " << error.GetDescription() << std::endl;
    return EXIT_FAILURE;
  }
  return EXIT_SUCCESS;
}
