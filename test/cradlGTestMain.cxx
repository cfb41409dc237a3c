#include "itkCradlManifest.h"

#include <gtest/gtest.h>

int
main(int argc, char ** argv)
{
  ::testing::InitGoogleTest(&argc, argv);
  itk::CradlManifest::RegisterImageIOFactories();
  return RUN_ALL_TESTS();
}
