"""Cradl in Python: anomaly maps for medical images from a contrastive encoder
and a Gaussian mixture (CRADL), on the module's C++ core.

Images go in as `itk.Image` (PyPI's `itk`, 2D or 3D, any scalar pixel type)
or NumPy arrays (z, y, x) with spacing, origin and direction; what comes out
has the input's kind and geometry: an `itk.Image`, or a `cradl.ImageArray`
(a NumPy array that carries its geometry). Pixels cross as buffers, never as
C++ ITK objects: PyPI's ITK and the module's are separate libraries.

Two spellings, as ITK Python's:

    out = cradl.MedianGaussianPostprocessImageFilter.New(image, mask=mask, gaussian_sigma=3)
    out.Update(); result = out.GetOutput()
    result = cradl.median_gaussian_postprocess_image_filter(image, mask=mask, sigma=3)

Errors from the module arrive as `cradl.Error` (a RuntimeError) with its
message; wrong argument types and shapes as ValueError or TypeError.
"""
import sys as _sys


def _refuse_foreign_torch():
    # The extension links Debian's LibTorch 1.13. A process that already holds
    # another LibTorch (PyPI's torch 2.x) would bind the extension to it by
    # soname and fail in obscure ways: say so instead.
    torch = _sys.modules.get("torch")
    version = str(getattr(torch, "__version__", "")) if torch is not None else ""
    if torch is not None and not version.startswith("1.13"):
        raise ImportError(
            f"cradl runs on Debian's LibTorch 1.13, but this process already loaded torch {version} "
            f"from {getattr(torch, '__file__', '?')}: two LibTorch versions cannot share a process. "
            "Use Debian's python3-torch with cradl, or import cradl in a process without this torch.")


_refuse_foreign_torch()

from . import _cradl  # noqa: E402
from ._cradl import Error, ScoringSettings  # noqa: E402
from ._images import ImageArray  # noqa: E402
from ._filters import (  # noqa: E402
    AnomalyMapFusionImageFilter,
    anomaly_map_fusion_image_filter,
    evaluate,
    label_free_threshold,
    write_dataset,
    ContrastiveEncoderModel,
    CradlPreprocessImageFilter,
    GaussianMixtureModel,
    IntensityZScoreImageFilter,
    MedianGaussianPostprocessImageFilter,
    RepresentationNLLGradientImageFilter,
    RepresentationPatchDensityImageFilter,
    SliceMapToScanImageFilter,
    anomaly_kind_names,
    cradl_preprocess_image_filter,
    intensity_z_score_image_filter,
    make_subject,
    median_gaussian_postprocess_image_filter,
    pixel_metrics,
    representation_nll_gradient_image_filter,
    representation_patch_density_image_filter,
    score_scan,
    slice_map_to_scan_image_filter,
)
from ._stages import (  # noqa: E402
    ContrastiveEncoderTrainer,
    GaussianMixtureFitter,
    MixtureModelSelector,
    fit_mixture,
    run,
    select_mixture,
    settings,
    train_encoder,
)

__all__ = [name for name in dir() if not name.startswith("_")]
