# The module's description is the first paragraph of README.md after its title.
get_filename_component(_cradl_dir "${CMAKE_CURRENT_LIST_FILE}" PATH)
file(READ "${_cradl_dir}/README.md" _cradl_readme)
string(REGEX MATCH "\n\n([^\n]+(\n[^\n]+)*)" _cradl_first_paragraph "${_cradl_readme}")
string(STRIP "${CMAKE_MATCH_1}" DOCUMENTATION)

# Keep in step with CRADL_ITK_COMPONENTS in CMake/CradlPlainBuild.cmake.
itk_module(Cradl
  DEPENDS
    ITKCommon
    ITKImageFilterBase
    ITKImageFunction
    ITKImageGrid
    ITKImageIntensity
    ITKIOImageBase
  PRIVATE_DEPENDS
    ITKDisplacementField
    ITKImageCompose
    ITKImageNoise
    ITKSmoothing
    ITKTransform
    ITKIONIFTI
    ITKIONRRD
    ITKIOMeta
    ITKIOPNG
    ITKZLIB
  TEST_DEPENDS
    ITKTestKernel
    ITKGoogleTest
  DESCRIPTION "${DOCUMENTATION}"
  EXCLUDE_FROM_DEFAULT
  ENABLE_SHARED
  )
