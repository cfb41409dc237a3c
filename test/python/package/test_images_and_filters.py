"""Images in and out (itk.Image and NumPy), both spellings, against closed
forms and SciPy."""
import sys
import threading

import itk
import numpy as np
import pytest
from scipy import ndimage

import cradl


def itk_image(array, spacing, origin, direction):
    image = itk.image_from_array(np.ascontiguousarray(array))
    image.SetSpacing(list(spacing))
    image.SetOrigin(list(origin))
    image.SetDirection(itk.matrix_from_array(np.asarray(direction, dtype=float)))
    return image


def test_geometry_and_values_survive_the_round_trip(brain_scan):
    scan, mask, geometry = brain_scan
    native = cradl._cradl.Image(scan, list(geometry["spacing"]), list(geometry["origin"]),
                                np.asarray(geometry["direction"]).tolist())
    assert np.array_equal(np.asarray(native), scan)  # a copy of every value, (z, y, x)
    assert native.spacing == pytest.approx(geometry["spacing"], abs=0)
    assert native.origin == pytest.approx(geometry["origin"], abs=0)
    assert np.array_equal(np.asarray(native.direction), geometry["direction"])
    # Through a filter: an itk.Image comes back as an itk.Image on the same grid.
    image = itk_image(scan, **geometry)
    out = cradl.intensity_z_score_image_filter(image, mask=itk_image(mask, **geometry))
    assert isinstance(out, type(image))
    assert tuple(out.GetSpacing()) == geometry["spacing"]
    assert tuple(out.GetOrigin()) == geometry["origin"]
    assert np.array_equal(itk.array_from_matrix(out.GetDirection()), geometry["direction"])


def test_intensity_zscore_is_its_closed_form_for_itk_and_numpy(brain_scan):
    scan, mask, geometry = brain_scan
    brain = scan[mask != 0].astype(np.float64)
    expected = np.where(mask != 0, np.abs(scan - brain.mean()) / brain.std(), 0.0)
    # float32 output of a float64 formula: one rounding, and the float32 input's.
    bound = 4 * np.finfo(np.float32).eps * expected.max()
    from_itk = itk.array_from_image(cradl.intensity_z_score_image_filter(itk_image(scan, **geometry),
                                                                         mask=itk_image(mask, **geometry)))
    from_numpy = cradl.intensity_z_score_image_filter(cradl.ImageArray(scan, **geometry), mask=mask)
    assert np.abs(from_itk - expected).max() <= bound
    assert isinstance(from_numpy, cradl.ImageArray) and from_numpy.spacing == geometry["spacing"]
    assert np.array_equal(np.asarray(from_numpy), from_itk)


def test_any_scalar_pixel_type_is_converted_to_float(brain_scan):
    scan, mask, geometry = brain_scan
    as_int = np.round(scan).astype(np.int16)
    out = cradl.intensity_z_score_image_filter(itk_image(as_int, **geometry), mask=itk_image(mask, **geometry))
    direct = cradl.intensity_z_score_image_filter(cradl.ImageArray(as_int.astype(np.float32), **geometry), mask=mask)
    assert np.array_equal(itk.array_from_image(out), np.asarray(direct))


# Radius 6 is past the vectorised median's window (it once overran a stack array).
@pytest.mark.parametrize("median_radius,sigma,radius", [(1, 1.0, 2), (2, 3.0, 3), (6, 2.0, 3)])
def test_postprocess_equals_scipy_in_both_spellings(brain_scan, median_radius, sigma, radius):
    scan, mask, geometry = brain_scan
    rng = np.random.default_rng(7)
    score = rng.random(scan.shape).astype(np.float32)
    # scipy: mask, median (2r+1, reflect), Gaussian (truncate r / sigma, reflect), in-plane only.
    expected = np.where(mask != 0, score, 0.0).astype(np.float64)
    expected = ndimage.median_filter(expected, size=(1, 2 * median_radius + 1, 2 * median_radius + 1), mode="reflect")
    expected = ndimage.gaussian_filter(expected, sigma=(0, sigma, sigma), truncate=radius / sigma, mode="reflect")
    functional = cradl.median_gaussian_postprocess_image_filter(itk_image(score, **geometry),
                                                                mask=itk_image(mask, **geometry),
                                                                median_radius=median_radius, sigma=sigma,
                                                                gaussian_radius=radius)
    obj = cradl.MedianGaussianPostprocessImageFilter.New(cradl.ImageArray(score, **geometry))
    obj.SetMaskImage(mask)
    obj.SetMedianRadius(median_radius)
    obj.SetGaussianSigma(sigma)
    obj.SetGaussianRadius(radius)
    assert obj.GetGaussianSigma() == sigma
    obj.Update()
    # A weighted sum of (2R+1)^2 float32 values: gamma_n of float32 (n = the taps), kernels normalised.
    n = (2 * radius + 1) * 2
    bound = 2 * n * np.finfo(np.float32).eps / 2 * np.abs(expected).max()
    assert np.abs(itk.array_from_image(functional) - expected).max() <= bound
    assert np.array_equal(np.asarray(obj.GetOutput()), itk.array_from_image(functional))


@pytest.mark.parametrize("name,value", [("MedianRadius", 16), ("GaussianRadius", 51), ("GaussianSigma", 0.0),
                                        ("GaussianSigma", float("nan"))])
def test_postprocess_refuses_settings_past_their_limits_when_set(brain_scan, name, value):
    scan, _, geometry = brain_scan
    obj = cradl.MedianGaussianPostprocessImageFilter.New(cradl.ImageArray(scan, **geometry))
    with pytest.raises(ValueError, match=f"{name} must be from"):
        getattr(obj, f"Set{name}")(value)
    assert getattr(obj, f"Get{name}")() == cradl.MedianGaussianPostprocessImageFilter._parameters[name]


def test_the_compiled_filter_refuses_what_python_would_not_pass():
    # Called directly, past the Python check, the C++ setter refuses: no crash.
    native = cradl._images.to_native(np.zeros((2, 8, 8), np.float32), "map")
    with pytest.raises(RuntimeError, match="MedianRadius must be from 0 to 15, got 16"):
        cradl._cradl.postprocess(native, None, 16, 3.0, 3)


def test_preprocess_and_its_inverse_keep_the_scan_in_place(brain_scan):
    scan, mask, geometry = brain_scan
    image = itk_image(scan, **geometry)
    pre = cradl.CradlPreprocessImageFilter.New(image, mask=itk_image(mask, **geometry), slice_size=32)
    slices, slice_mask = pre.GetOutput(), pre.GetMaskOutput()
    assert itk.size(slices) == itk.size(slice_mask) and tuple(itk.size(slices))[:2] == (32, 32)
    assert itk.size(slices)[2] == scan.shape[0]  # one slice per axial slice
    values = itk.array_from_image(slices)
    assert values.min() >= -1.5 and values.max() <= 1.5  # clipped
    assert np.array_equal(itk.array_from_matrix(slices.GetDirection()), geometry["direction"])
    # The slices' grid, mapped back onto the scan, lands on the scan's grid.
    back = cradl.slice_map_to_scan_image_filter(slices, reference=image, mask=itk_image(mask, **geometry))
    assert tuple(itk.size(back)) == tuple(itk.size(image))
    assert tuple(back.GetSpacing()) == geometry["spacing"] and tuple(back.GetOrigin()) == geometry["origin"]
    assert np.all(itk.array_from_image(back)[mask == 0] == 0)


def test_bad_input_gets_clear_errors(brain_scan):
    scan, mask, geometry = brain_scan
    with pytest.raises(ValueError, match="2D or 3D"):
        cradl.intensity_z_score_image_filter(np.zeros((2, 2, 2, 2), np.float32))
    with pytest.raises(ValueError, match="spacing"):
        cradl.intensity_z_score_image_filter(cradl.ImageArray(scan, spacing=(1, -1, 1)))
    with pytest.raises(cradl.Error, match="mask"):  # the module's own message: a mask on another grid
        cradl.intensity_z_score_image_filter(cradl.ImageArray(scan, **geometry), mask=cradl.ImageArray(mask))
    with pytest.raises(TypeError, match="has no input or parameter 'sigmaa'"):
        cradl.median_gaussian_postprocess_image_filter(scan, sigmaa=2)
    nan_scan = scan.copy()
    nan_scan[3, 10, 12] = np.nan
    with pytest.raises(cradl.Error, match="(?i)finite"):
        cradl.cradl_preprocess_image_filter(nan_scan, mask=mask)
    assert issubclass(cradl.Error, RuntimeError)


def test_long_calls_release_the_gil():
    # This thread counts while a worker thread is inside one long module call
    # (~0.4 s); the worker reads the count just before and just after. With a
    # switch interval of 0.1 ms, a call that held the GIL would leave this
    # thread at most ~0.1 ms of steps in between (measured: 0.95M steps at
    # the default 5 ms, 7.8M when released).
    native = cradl._cradl.Image(np.random.default_rng(1).random((40, 256, 256)).astype(np.float32),
                                [1.0, 1.0, 1.0], [0.0, 0.0, 0.0], np.eye(3).tolist())
    count, window, done = [0], [], threading.Event()

    def work():
        window.append(count[0])
        cradl._cradl.postprocess(native, None, 3, 3.0, 3)
        window.append(count[0])
        done.set()

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)
    try:
        worker = threading.Thread(target=work)
        worker.start()
        while not done.is_set():
            count[0] += 1
        worker.join()
    finally:
        sys.setswitchinterval(interval)
    assert window[1] - window[0] > 100000, f"{window[1] - window[0]} steps during the call: the GIL was held"
