"""Models, scoring and metrics from Python against the `cradl` tool and
scikit-learn; the package beside other libraries."""
import csv
import os
import pathlib
import subprocess
import sys

import itk
import nibabel
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

import cradl


def first_test_scan(models):
    with open(models / "data" / "test.csv") as f:
        row = next(csv.DictReader(f))
    return {key: models / "data" / row[key] for key in ("image", "mask", "label", "kinds")}


def test_a_map_from_python_equals_the_tools_map(models):
    files = first_test_scan(models)
    encoder = cradl.ContrastiveEncoderModel.load(models / "encoder.pt")
    mixture = cradl.GaussianMixtureModel.load(models / "mixture.pt")
    assert encoder.nz == mixture.dimension and mixture.selected_scoring_mode in ("gradient", "patch", "fused")
    scan = itk.imread(str(files["image"]), itk.F)
    mask = itk.imread(str(files["mask"]), itk.UC)
    result = cradl.score_scan(scan, mask, encoder=encoder, mixture=mixture)
    tool = nibabel.load(str(models / "tool" / "maps" / "test_000_anomaly.nii.gz"))
    # nibabel's array is (x, y, z); ITK's view (z, y, x).
    assert np.array_equal(itk.array_from_image(result["anomaly_map"]), np.asarray(tool.dataobj).T)
    assert np.allclose(np.asarray(result["anomaly_map"].GetSpacing()), tool.header.get_zooms(), rtol=1e-6)
    assert len(result["slice_nll"]) == itk.size(scan)[2]


def test_every_scoring_mode_and_both_filter_spellings(models):
    files = first_test_scan(models)
    encoder = cradl.ContrastiveEncoderModel.load(models / "encoder.pt")
    mixture = cradl.GaussianMixtureModel.load(models / "mixture.pt")
    scan = itk.imread(str(files["image"]), itk.F)
    mask = itk.imread(str(files["mask"]), itk.UC)
    gradient = cradl.score_scan(scan, mask, encoder=encoder, mixture=mixture, mode="gradient", sigma=1.0)
    raw = cradl.representation_nll_gradient_image_filter(scan, mask=mask, encoder=encoder, mixture=mixture)
    assert np.array_equal(itk.array_from_image(raw), itk.array_from_image(gradient["raw_map"]))
    # The post-processed map is the raw map through the post-processing filter.
    post = cradl.median_gaussian_postprocess_image_filter(raw, mask=mask, sigma=1.0)
    assert np.array_equal(itk.array_from_image(post), itk.array_from_image(gradient["anomaly_map"]))
    patch = cradl.RepresentationPatchDensityImageFilter.New(scan, mask=mask, encoder=encoder, mixture=mixture)
    patch.Update()
    assert np.all(np.isfinite(itk.array_from_image(patch.GetOutput())))
    assert np.allclose(patch.GetSliceNLL(), gradient["slice_nll"], rtol=1e-6)  # -log p of the same f(x)
    fused = cradl.score_scan(scan, mask, encoder=encoder, mixture=mixture, mode="fused")
    assert set(fused["components"]) == {"gradient", "patch", "intensity"}


def test_pixel_metrics_equal_sklearn(models):
    files = first_test_scan(models)
    label = itk.imread(str(files["label"]), itk.UC)
    mask = itk.imread(str(files["mask"]), itk.UC)
    scan = itk.imread(str(files["image"]), itk.F)
    zscore = cradl.intensity_z_score_image_filter(scan, mask=mask)
    metrics = cradl.pixel_metrics([zscore], [label], [mask], restrict_to_mask=True)
    brain = itk.array_from_image(mask) != 0
    y = itk.array_from_image(label)[brain] != 0
    s = itk.array_from_image(zscore)[brain].astype(np.float64)
    # Sums of N terms in float64: 2 gamma_N.
    bound = 2 * y.size * np.finfo(np.float64).eps
    assert metrics["auroc"] == pytest.approx(roc_auc_score(y, s), abs=max(bound, 1e-12))


def test_model_files_errors_and_the_torch_module(models, tmp_path):
    cut = tmp_path / "cut.pt"
    cut.write_bytes((models / "encoder.pt").read_bytes()[:1000])
    with pytest.raises(cradl.Error, match="cut.pt"):
        cradl.ContrastiveEncoderModel.load(cut)
    with pytest.raises(cradl.Error):
        cradl.GaussianMixtureModel.load(models / "encoder.pt")  # an encoder is not a mixture
    # The encoder as a torch.nn.Module (Debian's python3-torch) gives the module's representation.
    import torch

    module = cradl.ContrastiveEncoderModel.load(models / "encoder.pt").torch_module(models / "encoder.pt")
    assert isinstance(module, torch.nn.Module) and not module.training


def test_the_data_set_builder_from_python():
    subject = cradl.make_subject(0, with_anomalies=True, seed=2, spacing=4.0)
    kinds = np.asarray(subject["kinds"])
    assert np.array_equal(kinds != 0, np.asarray(subject["label"]) != 0)
    assert set(np.unique(kinds)) - {0} <= set(range(1, len(cradl.anomaly_kind_names()) + 1))
    assert subject["image"].spacing == (4.0, 4.0, 4.0)
    assert np.all(np.asarray(subject["image"])[np.asarray(subject["mask"]) == 0] == 0)


def run_python(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})


@pytest.mark.parametrize("order", ["import itk, nibabel, numpy, cradl", "import cradl, itk, nibabel, numpy",
                                   "import torch, cradl", "import cradl, torch"])
def test_imports_live_together(order):
    # PyPI's ITK 5.4 and the module's ITK 5.2 are separate libraries; Debian's
    # python3-torch shares the module's LibTorch.
    code = order + "\nimport numpy as np\n" + (
        "out = cradl.median_gaussian_postprocess_image_filter(np.ones((3, 8, 8), np.float32), sigma=1.0)\n"
        "assert float(np.asarray(out).max()) == 1.0\nprint('ok')")
    result = run_python(code)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_another_torch_in_the_process_is_refused_with_a_clear_error():
    code = ("import sys, types\nsys.modules['torch'] = types.SimpleNamespace(__version__='2.7.1+cu126', "
            "__file__='/venv/torch/__init__.py')\nimport cradl")
    result = run_python(code)
    assert result.returncode != 0
    assert "cradl runs on Debian's LibTorch 1.13, but this process already loaded torch 2.7.1+cu126" in result.stderr


def test_the_readme_example_runs_as_written(models, tmp_path):
    example = pathlib.Path(__file__).parents[3] / "examples" / "python" / "score_scan.py"
    output = tmp_path / "anomaly.nii.gz"
    result = subprocess.run([sys.executable, str(example), str(models / "encoder.pt"), str(models / "mixture.pt"),
                             str(models / "data" / "test.csv"), str(output)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "AUROC 0." in result.stdout
    # The map it wrote is the tool's map of that scan.
    written = itk.array_from_image(itk.imread(str(output), itk.F))
    tool = itk.array_from_image(itk.imread(str(models / "tool" / "maps" / "test_000_anomaly.nii.gz"), itk.F))
    assert np.array_equal(written, tool)


def test_fusion_threshold_and_evaluation_equal_numpy_and_sklearn(models, tmp_path):
    files = first_test_scan(models)
    scan = itk.imread(str(files["image"]), itk.F)
    mask = itk.imread(str(files["mask"]), itk.UC)
    label = itk.imread(str(files["label"]), itk.UC)
    encoder = cradl.ContrastiveEncoderModel.load(models / "encoder.pt")
    mixture = cradl.GaussianMixtureModel.load(models / "mixture.pt")
    maps = cradl.score_scan(scan, mask, encoder=encoder, mixture=mixture, mode="fused")
    parts = [maps["components"][name] for name in ("gradient", "patch", "intensity")]
    # Fusion: the mean of (x - median) / IQR over the brain, the brain's minimum outside (NumPy's percentile).
    fused = cradl.anomaly_map_fusion_image_filter(*parts, mask=mask)
    brain = itk.array_from_image(mask) != 0
    expected = np.zeros(brain.shape)
    for part in parts:
        x = itk.array_from_image(part).astype(np.float64)
        q25, q50, q75 = np.percentile(x[brain], [25, 50, 75])
        expected += (x - q50) / (q75 - q25 if q75 > q25 else 1.0)
    expected /= len(parts)
    expected[~brain] = expected[brain].min()
    got = itk.array_from_image(fused)
    # float32 results of float64 formulas: a few roundings of |values| / IQR.
    assert np.abs(got - expected).max() <= 8 * np.finfo(np.float32).eps * np.abs(expected).max()
    # The label-free threshold: the sample of rank floor(q (n - 1)) of the brain pixels of slices without label.
    anomaly = maps["anomaly_map"]
    healthy_slices = ~(itk.array_from_image(label) != 0).any(axis=(1, 2))
    healthy = np.sort(itk.array_from_image(anomaly)[brain & healthy_slices[:, None, None]])
    threshold = cradl.label_free_threshold([anomaly], [mask], [label], quantile=0.9)
    assert threshold == healthy[int(np.floor(0.9 * (healthy.size - 1)))]
    # Evaluation: inside the brain against sklearn; the segmentation's Dice by hand.
    kinds = itk.imread(str(files["kinds"]), itk.UC)
    report = cradl.evaluate([dict(name="test_000", scan=scan, mask=mask, label=label, anomaly_map=anomaly,
                                  slice_scores=maps["slice_nll"], kinds=kinds)], threshold=threshold)
    y = itk.array_from_image(label)[brain] != 0
    s = itk.array_from_image(anomaly)[brain].astype(np.float64)
    assert report["cradl_brain_only"]["auroc"] == pytest.approx(roc_auc_score(y, s), abs=1e-9)
    segmented = (itk.array_from_image(anomaly) >= threshold) & brain
    truth = itk.array_from_image(label) != 0
    assert report["label_free_threshold"]["value"] == threshold
    dice = 2 * (segmented & truth).sum() / (segmented.sum() + truth.sum())
    assert report["label_free_threshold"]["dice"] == pytest.approx(dice, abs=1e-12)
    present = {name for name, entry in report["per_kind"].items() if entry["cradl_brain_only"]["positives"] > 0}
    codes = set(np.unique(itk.array_from_image(kinds))) - {0}
    assert present == {cradl.anomaly_kind_names()[c - 1] for c in codes}


def test_the_data_set_is_written_with_its_manifests(tmp_path):
    cradl.write_dataset(tmp_path / "data", train=2, validation=1, test=1, spacing=4.0, seed=5)
    for split, count in (("train", 2), ("val", 1), ("test", 1)):
        with open(tmp_path / "data" / f"{split}.csv") as f:
            rows = list(csv.DictReader(f))
        assert len(rows) == count and all((tmp_path / "data" / row["image"]).is_file() for row in rows)
    with pytest.raises(cradl.Error, match="held-out kind"):
        cradl.write_dataset(tmp_path / "bad", train=1, validation=1, test=1, held_out_kind="no such kind")


def test_a_2d_slice_scores_as_a_one_slice_volume(models):
    files = first_test_scan(models)
    encoder = cradl.ContrastiveEncoderModel.load(models / "encoder.pt")
    mixture = cradl.GaussianMixtureModel.load(models / "mixture.pt")  # patch density by position cell
    volume = itk.array_from_image(itk.imread(str(files["image"]), itk.F))
    brain = itk.array_from_image(itk.imread(str(files["mask"]), itk.UC))
    middle = volume.shape[0] // 2
    slice_2d = cradl.ImageArray(volume[middle], spacing=(4.0, 4.0), origin=(1.0, -2.0))
    one_slice = cradl.ImageArray(volume[middle:middle + 1], spacing=(4.0, 4.0, 4.0), origin=(1.0, -2.0, 0.0))
    score = dict(encoder=encoder, mixture=mixture)
    flat = cradl.representation_nll_gradient_image_filter(slice_2d, mask=brain[middle], **score)
    stacked = cradl.representation_nll_gradient_image_filter(one_slice, mask=brain[middle:middle + 1], **score)
    assert flat.ndim == 2 and flat.spacing == (4.0, 4.0)
    assert np.array_equal(np.asarray(flat), np.asarray(stacked)[0])
    # A 2D slice's depth is unknown: its patch map is the pooled Gaussian's, as
    # from a mixture fitted without cells (same pooled fit, same healthy statistics).
    train = [(itk.imread(str(models / "data" / row["image"]), itk.F), itk.imread(str(models / "data" / row["mask"]),
                                                                                  itk.UC))
             for row in csv.DictReader(open(models / "data" / "train.csv"))]
    pooled = cradl.fit_mixture(encoder, train, components=[mixture.components], patch_grid=0)["model"]
    by_cell = cradl.representation_patch_density_image_filter(slice_2d, mask=brain[middle], **score)
    without = cradl.representation_patch_density_image_filter(slice_2d, mask=brain[middle], encoder=encoder,
                                                               mixture=pooled)
    assert np.array_equal(np.asarray(by_cell), np.asarray(without))
    stacked = cradl.representation_patch_density_image_filter(one_slice, mask=brain[middle:middle + 1],
                                                              encoder=encoder, mixture=pooled)
    assert np.array_equal(np.asarray(without), np.asarray(stacked)[0])
