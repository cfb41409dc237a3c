// Scoring: the anomaly map of one scan, on the scan's own grid, so that it
// overlays on the scan in any viewer.
//
//   CradlScoreScan encoder.pt mixture.pt scan.nii.gz mask.nii.gz|- anomaly.nii.gz [raw.nii.gz]
//
// anomaly.nii.gz: |d(-log p(f(x)))/dx|, masked, median- and Gaussian-filtered;
// raw.nii.gz:     the gradient before post-processing. Prints -log p per slice.
#include "itkCradlImageIO.h"
#include "itkCradlManifest.h"
#include "itkCradlScanScorer.h"

#include <cstdlib>
#include <iostream>
#include <string>

int
main(int argc, char * argv[])
{
  if (argc < 6)
  {
    std::cerr << "usage: " << argv[0] << " encoder.pt mixture.pt scan mask|- anomaly.nii.gz [raw.nii.gz]\n";
    return EXIT_FAILURE;
  }
  try
  {
    const auto scan = itk::CradlManifest::ReadScanImage(argv[3]);
    const auto mask = std::string(argv[4]) == "-" ? nullptr : itk::CradlManifest::ReadMaskImage(argv[4]);

    auto scorer = itk::CradlScanScorer::New();
    scorer->SetEncoder(itk::ContrastiveEncoderModel::Load(argv[1]));
    scorer->SetMixture(itk::GaussianMixtureModel::Load(argv[2]));
    itk::CradlScoringSettings settings; // device, batch, precision, median and Gaussian post-processing
    scorer->SetSettings(settings);
    const auto scored = scorer->Score(scan, mask);

    itk::CradlWriteImage(scored.AnomalyMap.GetPointer(), argv[5]);
    if (argc > 6)
      itk::CradlWriteImage(scored.RawMap.GetPointer(), argv[6]);
    for (std::size_t slice = 0; slice < scored.SliceNLL.size(); ++slice)
      std::cout << slice << " " << scored.SliceNLL[slice] << "\n";
  }
  catch (const itk::ExceptionObject & error)
  {
    std::cerr << "error: " << error.GetDescription() << std::endl;
    return EXIT_FAILURE;
  }
  return EXIT_SUCCESS;
}
