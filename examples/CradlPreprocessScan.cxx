// Preprocesses a scan for CRADL and maps the result back onto the scan's grid:
//
//   CradlPreprocessScan scan.nii.gz mask.nii.gz|- slices.nii.gz [back.nii.gz] [size]
//
// slices.nii.gz: z-scored, resampled, clipped slices (size x size, default 128);
// back.nii.gz:   those slices brought back onto the scan's grid (a check that
//                maps computed on the slices overlay on the scan).
#include "itkCradlManifest.h"
#include "itkCradlPreprocessImageFilter.h"
#include "itkImageFileReader.h"
#include "itkImageFileWriter.h"
#include "itkSliceMapToScanImageFilter.h"

#include <cstdlib>
#include <iostream>
#include <string>

int
main(int argc, char * argv[])
{
  if (argc < 4)
  {
    std::cerr << "usage: " << argv[0] << " scan mask|- slices.nii.gz [back.nii.gz] [size]\n";
    return EXIT_FAILURE;
  }
  using ScanType = itk::CradlManifest::ScanImageType;
  using MaskType = itk::CradlManifest::MaskImageType;
  try
  {
    itk::CradlManifest::RegisterImageIOFactories();
    const auto scan = itk::CradlManifest::ReadScanImage(argv[1]);
    auto       preprocess = itk::CradlPreprocessImageFilter<ScanType, MaskType>::New();
    preprocess->SetInput(scan);
    MaskType::Pointer mask;
    if (std::string(argv[2]) != "-")
    {
      auto reader = itk::ImageFileReader<MaskType>::New();
      reader->SetFileName(argv[2]);
      reader->Update();
      mask = reader->GetOutput();
      preprocess->SetMaskImage(mask);
    }
    if (argc > 5)
    {
      const auto size = static_cast<itk::SizeValueType>(std::stoul(argv[5]));
      preprocess->SetSliceSize({ { size, size } });
    }
    itk::WriteImage(preprocess->GetOutput(), argv[3], true);
    std::cout << "brain mean " << preprocess->GetBrainMean() << ", std " << preprocess->GetBrainStandardDeviation()
              << " over " << preprocess->GetBrainVoxelCount() << " voxels\n";

    if (argc > 4)
    {
      auto back = itk::SliceMapToScanImageFilter<ScanType, ScanType, MaskType>::New();
      back->SetInput(preprocess->GetOutput());
      back->SetReferenceImage(scan);
      if (mask)
      {
        back->SetMaskImage(mask);
      }
      itk::WriteImage(back->GetOutput(), argv[4], true);
    }
  }
  catch (const itk::ExceptionObject & error)
  {
    std::cerr << "error: " << error.GetDescription() << std::endl;
    return EXIT_FAILURE;
  }
  return EXIT_SUCCESS;
}
