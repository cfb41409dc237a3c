#!/usr/bin/python3
"""The wrapped Cradl filters through `import itk` from an ITK build with
ITK_WRAP_PYTHON=ON and Module_Cradl=ON (scripts/wrapping-check.sh): the
post-processing filter against SciPy, the intensity baseline against its
closed form, and the encoder model's loader's error on a missing file."""
import numpy as np
from scipy import ndimage

import itk

rng = np.random.default_rng(4)
scores = rng.random((5, 24, 20)).astype(np.float32)
mask = np.zeros(scores.shape, np.uint8)
mask[:, 4:20, 3:17] = 1

image = itk.image_from_array(scores)
brain = itk.image_from_array(mask)
post = itk.MedianGaussianPostprocessImageFilter[itk.Image[itk.F, 3], itk.Image[itk.UC, 3]].New(image)
post.SetMaskImage(brain)
post.SetMedianRadius(1)
post.SetGaussianSigma(1.5)
post.SetGaussianRadius(3)
post.Update()
expected = ndimage.median_filter(np.where(mask != 0, scores, 0.0).astype(np.float64), size=(1, 3, 3), mode="reflect")
expected = ndimage.gaussian_filter(expected, sigma=(0, 1.5, 1.5), truncate=3 / 1.5, mode="reflect")
error = np.abs(itk.array_from_image(post.GetOutput()) - expected).max()
assert error <= 14 * np.finfo(np.float32).eps * np.abs(expected).max(), error

zscore = itk.IntensityZScoreImageFilter[itk.Image[itk.F, 3], itk.Image[itk.UC, 3]].New(image, MaskImage=brain)
zscore.Update()
inside = scores[mask != 0].astype(np.float64)
closed = np.where(mask != 0, np.abs(scores - inside.mean()) / inside.std(), 0.0)
assert np.abs(itk.array_from_image(zscore.GetOutput()) - closed).max() <= 4 * np.finfo(np.float32).eps * closed.max()

try:
    itk.ContrastiveEncoderModel.Load("/nonexistent/encoder.pt")
    raise AssertionError("loading a missing file did not fail")
except RuntimeError as error:
    assert "encoder.pt" in str(error), error
print("wrapped Cradl filters: post-processing equals SciPy, the intensity baseline its closed form, errors arrive")
