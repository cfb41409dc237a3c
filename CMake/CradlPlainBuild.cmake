# Build against an installed ITK that has no module macros (Debian's ITK 5.2):
# the same library, tests and tools as the remote-module path.

# Keep in step with itk-module.cmake.
set(CRADL_ITK_COMPONENTS
  ITKCommon
  ITKImageFilterBase
  ITKImageFunction
  ITKImageGrid
  ITKImageIntensity
  ITKIOImageBase
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
  )
# The command-line report (examples/) draws with these.
set(CRADL_ITK_TOOL_COMPONENTS ITKColormap ITKImageLabel)
set(CRADL_ITK_TEST_COMPONENTS ITKTestKernel)
find_package(ITK 5.2 REQUIRED COMPONENTS ${CRADL_ITK_COMPONENTS} ${CRADL_ITK_TOOL_COMPONENTS} ${CRADL_ITK_TEST_COMPONENTS})
include(${PROJECT_SOURCE_DIR}/itk-module-init.cmake)

set(CRADL_PLAIN_BUILD ON)
set(Cradl_SOURCE_DIR ${PROJECT_SOURCE_DIR})
set(Cradl_BINARY_DIR ${PROJECT_BINARY_DIR})
# Mirror ITK's module builds: a shared library that exports only what it marks.
set(CMAKE_CXX_VISIBILITY_PRESET hidden)
set(CMAKE_VISIBILITY_INLINES_HIDDEN ON)

include(CTest)
add_subdirectory(src)
# The pipeline library (the stages the tool and Python share): with the tools,
# which the remote-module build does not make.
add_subdirectory(src/pipeline)
if(BUILD_TESTING)
  add_subdirectory(test)
endif()
add_subdirectory(examples)
add_subdirectory(apps)
option(CRADL_PYTHON "Build the cradl Python package (pybind11; Debian's pybind11-dev)" ON)
if(CRADL_PYTHON)
  add_subdirectory(python)
  if(BUILD_TESTING)
    # pytest in the venv of scripts/python-env.sh (PyPI's itk, Debian's torch/sklearn/scipy).
    set(CRADL_VENV_PYTHON ${CMAKE_BINARY_DIR}/venv/bin/python CACHE FILEPATH
      "Python of the venv the package's tests run in (scripts/python-env.sh makes it)")
    add_test(NAME CradlPythonPackage
      COMMAND ${CRADL_VENV_PYTHON} -m pytest -q -p no:cacheprovider ${PROJECT_SOURCE_DIR}/test/python/package)
    set_tests_properties(CradlPythonPackage PROPERTIES
      FIXTURES_REQUIRED CradlExampleModels
      ENVIRONMENT "PYTHONPATH=${CMAKE_BINARY_DIR}/python;CRADL_TEST_MODELS=${CRADL_EXAMPLE_MODELS};PYTHONDONTWRITEBYTECODE=1")
  endif()
endif()
