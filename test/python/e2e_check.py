#!/usr/bin/python3
"""End-to-end check of `cradl run`: every output exists, the NIfTI maps share
their scans' geometry, and metrics.json equals scikit-learn on those maps.

usage: e2e_check.py test.csv OUT
"""
import csv
import gzip
import json
import os
import struct
import sys

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score


def nifti(path):
    raw = gzip.open(path).read() if path.endswith(".gz") else open(path, "rb").read()
    header = raw[:348]
    dims = struct.unpack("<8h", header[40:56])
    pixdim = struct.unpack("<8f", header[76:108])
    quatern = struct.unpack("<6f", header[256:280])  # b, c, d, qoffset x, y, z
    srow = struct.unpack("<12f", header[280:328])
    datatype = struct.unpack("<h", header[70:72])[0]
    offset = int(struct.unpack("<f", header[108:112])[0])
    dtype = {2: np.uint8, 4: np.int16, 16: np.float32, 64: np.float64}[datatype]
    count = int(np.prod(dims[1:dims[0] + 1]))
    data = np.frombuffer(raw[offset:offset + count * np.dtype(dtype).itemsize], dtype=dtype)
    return {"dims": dims[:dims[0] + 1], "pixdim": pixdim[1:dims[0] + 1], "quatern": quatern, "srow": srow}, data


manifest, out = sys.argv[1], sys.argv[2]
folder = os.path.dirname(os.path.abspath(manifest))
for name in ("encoder.pt", "mixture.pt", "mixture.npz", "config.json", "scores.csv", "metrics.json",
             "report/index.html", "report/report.json", "report/colorbar.png"):
    assert os.path.isfile(os.path.join(out, name)), f"missing {name}"
scores, labels, segmented, brains = [], [], [], []
rows = list(csv.DictReader(open(manifest)))
for row in rows:
    stem = os.path.basename(row["image"])[: -len(".nii.gz")]
    scan_header, _ = nifti(os.path.join(folder, row["image"]))
    for kind in ("maps/%s_anomaly.nii.gz", "maps/%s_raw.nii.gz", "slices/%s_slices.nii.gz",
                 "report/%s_most_anomalous.png", "report/%s_least_anomalous.png", "report/%s_axial.png",
                 "report/%s_coronal.png", "report/%s_sagittal.png"):
        assert os.path.isfile(os.path.join(out, kind % stem)), f"missing {kind % stem}"
    for kind in ("maps/%s_anomaly.nii.gz", "maps/%s_raw.nii.gz"):
        map_header, _ = nifti(os.path.join(out, kind % stem))
        for field in ("dims", "pixdim", "quatern", "srow"):
            assert np.allclose(map_header[field], scan_header[field], atol=1e-5), (kind % stem, field)
    _, values = nifti(os.path.join(out, "maps/%s_anomaly.nii.gz" % stem))
    _, label = nifti(os.path.join(folder, row["label"]))
    assert np.isfinite(values).all()
    segmentation = os.path.join(out, "segmentations/%s_segmentation.nii.gz" % stem)
    seg_header, seg = nifti(segmentation)
    for field in ("dims", "pixdim", "quatern", "srow"):
        assert np.allclose(seg_header[field], scan_header[field], atol=1e-5), (segmentation, field)
    segmented.append(seg != 0)
    brains.append(nifti(os.path.join(folder, row["mask"]))[1] != 0)
    scores.append(values.astype(np.float64))
    labels.append(label != 0)
scores, labels = np.concatenate(scores), np.concatenate(labels)
metrics = json.load(open(os.path.join(out, "metrics.json")))
ap, auc = average_precision_score(labels, scores), roc_auc_score(labels, scores)
assert abs(metrics["cradl"]["auprc"] - ap) < 1e-9, (metrics["cradl"]["auprc"], ap)
assert abs(metrics["cradl"]["auroc"] - auc) < 1e-9, (metrics["cradl"]["auroc"], auc)
assert metrics["config"]["epochs"] >= 1
segmented = np.concatenate(segmented)
threshold = metrics["label_free_threshold"]
# The segmentation is exactly the brain voxels at or above the threshold.
brains = np.concatenate(brains)
assert np.array_equal(segmented, (scores.astype(np.float32) >= np.float32(threshold["value"])) & brains)
dice = 2 * (segmented & labels).sum() / max(1, segmented.sum() + labels.sum())
assert abs(threshold["dice"] - dice) < 1e-12, (threshold["dice"], dice)
# Every mode's maps (--score-mode auto) and every anomaly kind, inside the
# brain, equal scikit-learn on the written maps; 1e-9: both sum in float64.
kinds = np.concatenate([nifti(os.path.join(folder, row["kinds"]))[1] for row in rows])
names = ["hyperintense", "hypointense", "foreign", "foci", "mass", "texture", "ring", "subtle"]
def brain_metrics(values):
    return average_precision_score(labels[brains], values[brains]), roc_auc_score(labels[brains], values[brains])
for name, entry in metrics["per_kind"].items():
    counted = brains & (~labels | (kinds == names.index(name) + 1))
    kind_ap = average_precision_score(kinds[counted] != 0, scores[counted])
    assert abs(entry["cradl_brain_only"]["auprc"] - kind_ap) < 1e-9, (name, entry, kind_ap)
assert metrics["per_kind"], "no per-kind metrics"
for mode, entry in metrics["modes"].items():
    values = np.concatenate([nifti(os.path.join(out, "maps/modes/%s/%s_anomaly.nii.gz"
                                                % (mode, os.path.basename(row["image"])[: -len(".nii.gz")])))[1]
                             for row in rows]).astype(np.float64)
    mode_ap, mode_auc = brain_metrics(values)
    assert abs(entry["brain_only"]["auprc"] - mode_ap) < 1e-9, (mode, entry["brain_only"], mode_ap)
    assert abs(entry["brain_only"]["auroc"] - mode_auc) < 1e-9, (mode, entry["brain_only"], mode_auc)
assert set(metrics["modes"]) == {"gradient", "patch", "fused"}, metrics["modes"].keys()
print("end-to-end outputs, geometry and metrics (AUPRC %.6f, AUROC %.6f; %d kinds, %d maps) check out"
      % (ap, auc, len(metrics["per_kind"]), len(metrics["modes"])))
