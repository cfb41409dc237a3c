"""README's Python example runs as written, on the CradlExamples models and
the first test scan of their data set, in a folder of its own."""
import os
import pathlib
import re

import itk
import numpy as np

README = pathlib.Path(__file__).parents[3] / "README.md"


def test_the_readme_python_example_runs_as_written(models, tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert len(blocks) == 1, "README shows one Python example"
    data = models / "data"
    for name, source in {"scan.nii.gz": data / "images" / "test_000.nii.gz",
                         "brain.nii.gz": data / "masks" / "test_000_brain.nii.gz",
                         "encoder.pt": models / "encoder.pt", "mixture.pt": models / "mixture.pt"}.items():
        (tmp_path / name).symlink_to(source)
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        names = {}
        exec(compile(blocks[0], "README.md", "exec"), names)
    finally:
        os.chdir(here)
    written = itk.array_from_image(itk.imread(str(tmp_path / "anomaly.nii.gz")))
    scan = itk.array_from_image(itk.imread(str(tmp_path / "scan.nii.gz")))
    assert written.shape == scan.shape and np.isfinite(written).all() and written.max() > 0
    assert np.array_equal(itk.array_from_image(names["post"].GetOutput()), itk.array_from_image(names["same"]))
