"""Shared by the cradl package's tests. Run by CTest (CradlPythonPackage) in
the venv of scripts/python-env.sh with PYTHONPATH=<build>/python."""
import os
import pathlib

import numpy as np
import pytest


@pytest.fixture(scope="session")
def models():
    """The CradlExamples run's folder: data/, encoder.pt, mixture.pt and the tool's maps (tool/maps)."""
    folder = os.environ.get("CRADL_TEST_MODELS")
    if not folder or not (pathlib.Path(folder) / "tool" / "maps").is_dir():
        pytest.fail("CRADL_TEST_MODELS must name CradlExamples' finished run folder (run through CTest)")
    return pathlib.Path(folder)


def rotation(degrees):
    """A 3D direction: rotated about z, and the z axis flipped."""
    t = np.deg2rad(degrees)
    return np.array([[np.cos(t), -np.sin(t), 0.0], [np.sin(t), np.cos(t), 0.0], [0.0, 0.0, -1.0]])


@pytest.fixture
def brain_scan():
    """A 3D float32 scan with a textured ellipsoid of brain, its mask, and odd geometry."""
    rng = np.random.default_rng(3)
    z, y, x = np.mgrid[0:6, 0:20, 0:24]
    mask = (((x - 11.5) / 9) ** 2 + ((y - 9.5) / 7) ** 2 + ((z - 2.5) / 4) ** 2 < 1).astype(np.uint8)
    scan = (mask * (100 + 20 * np.sin(x / 2.0) + rng.normal(0, 5, mask.shape))).astype(np.float32)
    return scan, mask, dict(spacing=(0.9, 1.1, 2.5), origin=(-10.0, 4.5, 30.0), direction=rotation(30))
