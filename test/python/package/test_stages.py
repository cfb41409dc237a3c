"""Training, fitting and selection from Python: the same models as the
`cradl` tool's stages, a progress callback that sees every step and can stop
training, and exceptions that come through."""
import csv
import json
import os
import pathlib

import itk
import numpy as np
import pytest

import cradl


def manifest(models, split):
    with open(models / "data" / f"{split}.csv") as f:
        rows = list(csv.DictReader(f))
    read = lambda key, row, pixel: itk.imread(str(models / "data" / row[key]), pixel)  # noqa: E731
    return [{key: read(key, row, itk.F if key == "image" else itk.UC) for key in row if row[key]} for row in rows]


TINY = dict(slice_size=64, nf=4, nz=16, epochs=2, batch_size=16, seed=3, augment=True, threads=2)


def scans(models, split):
    return [(s["image"], s["mask"]) for s in manifest(models, split)]


def test_training_reports_progress_and_is_reproducible(models, tmp_path):
    reports = []
    first = cradl.train_encoder(scans(models, "train"), scans(models, "val"), progress=reports.append, **TINY)
    assert first.nz == 16 and first.completed_epochs == 2
    steps = [r for r in reports if r["step"] > 0]
    assert steps and all(np.isfinite(r["loss"]) for r in steps)
    assert max(r["epoch"] for r in reports) == 2 and reports[-1]["progress"] == pytest.approx(1.0)
    # Same seed, same settings: the same weights (read back with PyTorch).
    again = cradl.train_encoder(scans(models, "train"), scans(models, "val"), **TINY)
    first.save(tmp_path / "first.pt")
    again.save(tmp_path / "again.pt")
    from cradl.torch_model import load_encoder

    a, b = (load_encoder(str(tmp_path / name))[0].state_dict() for name in ("first.pt", "again.pt"))
    assert a.keys() == b.keys() and all(bool((a[k] == b[k]).all()) for k in a)


def test_a_callback_can_stop_training_and_its_exception_comes_through(models, tmp_path):
    train, val = scans(models, "train"), scans(models, "val")
    with pytest.raises(cradl.Error, match="aborted"):
        cradl.train_encoder(train, val, progress=lambda report: report["step"] < 1,
                            checkpoint=str(tmp_path / "checkpoint.pt"), **TINY)

    class Stop(Exception):
        pass

    def fail(report):
        raise Stop("from the callback")

    with pytest.raises(Stop, match="from the callback"):
        cradl.train_encoder(train, val, progress=fail, **TINY)
    with pytest.raises(ValueError, match="has no setting 'epoch'"):
        cradl.train_encoder(train, epoch=3)


def test_fit_and_select_choose_as_the_tool_does(models):
    encoder = cradl.ContrastiveEncoderModel.load(models / "encoder.pt")
    fitted = cradl.fit_mixture(encoder, scans(models, "train"), components=[1, 2], seed=0)
    assert [row["components"] for row in fitted["candidates"]] == [1, 2]
    bics = [row["bic"] for row in fitted["candidates"]]
    assert fitted["model"].bic == min(bics)  # without validation: lowest BIC
    assert fitted["model"].has_patch_density
    val = [(s["image"], s["mask"], s["label"]) for s in manifest(models, "val")]
    chosen = cradl.select_mixture(encoder, [row["model"] for row in fitted["candidates"]], val,
                                  modes=["gradient", "patch"], sigmas=[1.0, 3.0])
    rows = chosen["rows"]
    assert len(rows) == 2 * 2 * 2  # K x mode x sigma
    best = rows[chosen["selected_index"]]
    assert best["validation_auprc"] == max(row["validation_auprc"] for row in rows)
    assert chosen["model"].selected_scoring_mode == best["scoring_mode"]
    assert chosen["model"].selected_gaussian_sigma == best["gaussian_sigma"]


def test_the_one_call_pipeline_is_the_tools(models, tmp_path):
    data = models / "data"
    settings = dict(train=str(data / "train.csv"), val=str(data / "val.csv"), test=str(data / "test.csv"),
                    out=str(tmp_path / "run"), slice_size=64, nf=4, nz=16, epochs=1, batch=16, components=[1],
                    threads=2, select_sigmas=[1.0])
    metrics = cradl.run(**settings)
    written = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics == written and 0.0 <= metrics["cradl_brain_only"]["auroc"] <= 1.0
    assert (tmp_path / "run" / "maps" / "test_000_anomaly.nii.gz").is_file()
    recorded = json.loads((tmp_path / "run" / "config.json").read_text())
    assert recorded["nf"] == 4 and recorded["components"] == [1]
    # The tool, on the same folder, finds every stage finished.
    import subprocess

    tool = pathlib.Path(os.environ["CRADL_TEST_MODELS"]).parents[0].parent / "apps" / "cradl"
    if tool.is_file():
        done = subprocess.run([str(tool), "run", "--config", str(tmp_path / "run" / "config.json")],
                              capture_output=True, text=True)
        assert done.returncode == 0 and done.stderr.count("up to date, skipped") == 4, done.stderr
        again = json.loads((tmp_path / "run" / "metrics.json").read_text())
        again["stage_seconds"].pop("evaluate"), metrics["stage_seconds"].pop("evaluate")  # its own time
        assert again == metrics  # evaluate reruns: the same; the skipped stages keep their times
    with pytest.raises(cradl.Error, match="nff"):
        cradl.run(nff=3, out=str(tmp_path / "bad"))


def test_the_stages_in_itks_object_spelling_equal_the_functions(models, tmp_path):
    trainer = cradl.ContrastiveEncoderTrainer.New(**TINY)
    for scan, mask in scans(models, "train"):
        trainer.AddTrainingScan(scan, mask)
    for scan, mask in scans(models, "val"):
        trainer.AddValidationScan(scan, mask)
    seen = []
    trainer.SetProgressCallback(seen.append)
    trainer.SetEpochs(1)
    assert trainer.GetEpochs() == 1 and trainer.GetNf() == 4
    encoder = trainer.GetOutput()
    assert encoder.completed_epochs == 1 and seen
    direct = cradl.train_encoder(scans(models, "train"), scans(models, "val"), **{**TINY, "epochs": 1})
    encoder.save(tmp_path / "object.pt")
    direct.save(tmp_path / "function.pt")
    from cradl.torch_model import load_encoder

    a, b = (load_encoder(str(tmp_path / name))[0].state_dict() for name in ("object.pt", "function.pt"))
    assert all(bool((a[k] == b[k]).all()) for k in a)

    fitter = cradl.GaussianMixtureFitter.New(components=[1, 2])
    fitter.SetEncoder(encoder)
    for scan, mask in scans(models, "train"):
        fitter.AddScan(scan, mask)
    fitter.SetPatchGrid(2)
    assert [row["components"] for row in fitter.GetCandidates()] == [1, 2]
    selector = cradl.MixtureModelSelector.New(modes=["gradient"], sigmas=[1.0])
    selector.SetEncoder(encoder)
    for row in fitter.GetCandidates():
        selector.AddCandidate(row["model"])
    for entry in manifest(models, "val"):
        selector.AddValidationScan(entry["image"], entry["mask"], entry["label"])
    rows = selector.GetCandidates()
    assert len(rows) == 2 and selector.GetOutput().selected_scoring_mode == "gradient"
    with pytest.raises(TypeError, match="has no setting 'epoch'"):
        cradl.ContrastiveEncoderTrainer.New(epoch=3)


def test_each_setting_is_declared_once_for_every_front_end(models):
    stages = ("trainer", "fitter", "scoring")
    declared = {stage: {row["name"]: row for row in cradl.settings(stage)} for stage in stages}
    by_owner = {f"{row['owner']}::{row['name']}": row for stage in stages for row in cradl.settings(stage)}
    # The tool's rows for a stage's settings carry that setting's default and range.
    run_rows = [row for row in cradl.settings("run") if "declared_by" in row]
    assert {row["declared_by"] for row in run_rows} >= {
        "ContrastiveEncoderTrainer::LearningRate", "ContrastiveEncoderTrainer::MixedPrecision",
        "GaussianMixtureFitter::PatchPriorWeight", "CradlScoringSettings::GaussianSigma",
        "CradlScoringSettings::MixedPrecision"}
    for row in run_rows:
        origin = by_owner[row["declared_by"]]
        assert row["default"] == origin["default"], row["key"]
        if "minimum" in row:
            assert (row["minimum"], row["minimum_allowed"]) == (origin["minimum"], origin["minimum_allowed"]), row["key"]
    # The scoring recipe's fields, and the Python filters' defaults, are the declared ones.
    scoring = cradl.ScoringSettings()
    assert {key: getattr(scoring, key) for key in (r["key"] for r in cradl.settings("scoring"))} == \
        {r["key"]: r["default"] for r in cradl.settings("scoring")}
    postprocess = cradl.MedianGaussianPostprocessImageFilter.New()
    assert postprocess.GetGaussianSigma() == declared["scoring"]["GaussianSigma"]["default"]
    # The Python stages take the declared keywords and the C++ names, and start at the declared defaults.
    trainer = cradl.ContrastiveEncoderTrainer.New(nf=8)
    assert trainer.GetNumberOfFilters() == 8 and trainer.GetNf() == 8
    assert trainer.GetLearningRate() == declared["trainer"]["LearningRate"]["default"] == 1e-4
    trainer.SetWarmupEpochs(2)
    assert trainer._values == {"nf": 8, "warmup_epochs": 2}
    assert "learning_rate = 0.0001: Adam learning rate" in cradl.train_encoder.__doc__
    with pytest.raises(TypeError, match="no setting 'LearningRat'"):
        trainer.New(LearningRat=1)
    # A value the declaration refuses is refused by the C++ setter, by name.
    with pytest.raises(cradl.Error, match="PatchPriorWeight must be > 0, got 0"):
        cradl.fit_mixture(cradl.ContrastiveEncoderModel.load(models / "encoder.pt"), [], patch_prior_weight=0.0)
