// Evaluation: anomaly maps against the labels of a manifest, beside the
// |z-scored intensity| baseline, with a label-free threshold taken from
// healthy validation slices.
//
//   CradlEvaluateMaps test.csv test-maps/ [val.csv val-maps/]
//
// A map folder holds <scan name>_anomaly.nii.gz per row (`cradl score`'s maps/).
#include "itkAnomalyMapEvaluator.h"
#include "itkCradlManifest.h"
#include "itkLabelFreeThresholdCalculator.h"

#include <cstdlib>
#include <iostream>
#include <string>

namespace
{
itk::CradlManifest::ScanImageType::Pointer
mapOf(const std::string & folder, const std::string & image)
{
  std::string name = image.substr(image.find_last_of('/') + 1);
  name = name.substr(0, name.find('.'));
  return itk::CradlManifest::ReadScanImage(folder + "/" + name + "_anomaly.nii.gz");
}

void
print(const char * what, const itk::CradlRankingMetrics & m)
{
  std::cout << what << ": AUROC " << m.AUROC << " AUPRC " << m.AUPRC << " best Dice " << m.BestDice << std::endl;
}
} // namespace

int
main(int argc, char * argv[])
{
  if (argc != 3 && argc != 5)
  {
    std::cerr << "usage: " << argv[0] << " test.csv test-maps/ [val.csv val-maps/]\n";
    return EXIT_FAILURE;
  }
  try
  {
    auto evaluator = itk::AnomalyMapEvaluator::New();
    if (argc == 5)
    {
      auto validation = itk::CradlManifest::New();
      validation->Read(argv[3]);
      auto threshold = itk::LabelFreeThresholdCalculator::New();
      for (std::size_t row = 0; row < validation->GetNumberOfEntries(); ++row)
      {
        const auto scan = validation->LoadScan(row);
        threshold->AddScores(mapOf(argv[4], validation->GetEntry(row).Image), scan.Mask, scan.Label);
      }
      evaluator->SetThreshold(threshold->Compute());
    }
    auto test = itk::CradlManifest::New();
    test->Read(argv[1]);
    for (std::size_t row = 0; row < test->GetNumberOfEntries(); ++row)
    {
      const auto scan = test->LoadScan(row);
      evaluator->AddScan(test->GetEntry(row).Image, scan.Image, scan.Mask, scan.Label,
                         mapOf(argv[2], test->GetEntry(row).Image), {});
    }
    evaluator->Compute();
    const auto & m = evaluator->GetMetrics();
    print("map, all pixels", m.Pixels);
    print("map, brain only", m.PixelsInBrain);
    print("|z| baseline, all pixels", m.BaselinePixels);
    print("|z| baseline, brain only", m.BaselinePixelsInBrain);
    if (m.Thresholded)
      std::cout << "label-free threshold " << m.Threshold << ": Dice " << m.Dice << std::endl;
  }
  catch (const itk::ExceptionObject & error)
  {
    std::cerr << "error: " << error.GetDescription() << std::endl;
    return EXIT_FAILURE;
  }
  return EXIT_SUCCESS;
}
