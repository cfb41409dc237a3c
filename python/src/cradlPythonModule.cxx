// The `cradl` Python package's compiled part (`cradl._cradl`): the module's
// public C++ API over images that cross as buffers (cradlPyImage.h). Long
// calls release the GIL; itk::ExceptionObject arrives as cradl.Error with the
// module's message.

// The files: images (cradlPyImage), image filters (cradlPyImageFilters),
// models and stages (cradlPyStages), metrics and evaluation (cradlPyEvaluation).
#include "cradlPyShared.h"

#include "itkCradlRuntime.h"
#include "itkMacro.h"
#include "itkVersion.h"

#include "cradlDefaults.h"

using namespace cradl_python;

PYBIND11_MODULE(_cradl, m)
{
  m.doc() = "Cradl's compiled core: images cross as buffers; see the `cradl` package.";
  static py::exception<itk::ExceptionObject> error(m, "Error", PyExc_RuntimeError);
  py::register_exception_translator([](std::exception_ptr thrown) {
    try
    {
      if (thrown)
        std::rethrow_exception(thrown);
    }
    catch (const itk::ExceptionObject & e)
    {
      error(e.GetDescription());
    }
    catch (const std::runtime_error & e) // the pipeline's settings and files: the tool's messages
    {
      error(e.what());
    }
  });
  m.attr("itk_version") = itk::Version::GetITKVersion();

  py::class_<PyImage>(m, "Image", py::buffer_protocol())
    .def(py::init(&PyImage::FromBuffer), py::arg("pixels"), py::arg("spacing"), py::arg("origin"),
         py::arg("direction"), "A copy of float32 or uint8 pixels (z, y, x) with ITK's (x, y, z) geometry.")
    .def_buffer(&PyImage::Buffer)
    .def_property_readonly("dimension", &PyImage::Dimension)
    .def_property_readonly("spacing", &PyImage::Spacing)
    .def_property_readonly("origin", &PyImage::Origin)
    .def_property_readonly("direction", &PyImage::Direction);

  bindImageFilters(m);
  bindStages(m);
  bindEvaluation(m);
  m.def("cuda_available", &itk::CradlRuntime::IsCudaAvailable);
  m.def("set_number_of_threads", &itk::CradlRuntime::SetNumberOfThreads, py::arg("threads"));
}
