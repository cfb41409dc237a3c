"""Score the first scan of a manifest with a trained encoder and mixture, from
Python, and compare the map with the scan's label.

    PYTHONPATH=build/python build/venv/bin/python examples/python/score_scan.py \\
        demo/run/encoder.pt demo/run/mixture.pt demo/data/test.csv anomaly.nii.gz
"""
import csv
import pathlib
import sys

import itk
import numpy as np

import cradl

encoder_file, mixture_file, manifest, output = sys.argv[1:5]
with open(manifest) as f:
    row = next(csv.DictReader(f))
folder = pathlib.Path(manifest).parent
scan = itk.imread(str(folder / row["image"]), itk.F)
mask = itk.imread(str(folder / row["mask"]), itk.UC)

encoder = cradl.ContrastiveEncoderModel.load(encoder_file)
mixture = cradl.GaussianMixtureModel.load(mixture_file)
# The map the mixture's selection chose (mode and sigma), as `cradl score` makes it.
result = cradl.score_scan(scan, mask, encoder=encoder, mixture=mixture)
itk.imwrite(result["anomaly_map"], output)  # on the scan's grid: overlays in any viewer

label = itk.imread(str(folder / row["label"]), itk.UC)
metrics = cradl.pixel_metrics([result["anomaly_map"]], [label], [mask], restrict_to_mask=True)
print(f"{row['image']}: {mixture.selected_scoring_mode} map, inside the brain "
      f"AUROC {metrics['auroc']:.4f} AUPRC {metrics['auprc']:.4f}; "
      f"most anomalous slice {int(np.argmax(result['slice_nll']))}")
