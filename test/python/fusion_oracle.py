#!/usr/bin/python3
"""Oracle for AnomalyMapFusionImageFilter: its formula in NumPy.

usage: fusion_oracle.py folder maps
folder holds map_<i>.npy (float32 values, as the maps hold them) and
mask.npy; writes fused.npy: the mean over maps of (x - median) / IQR, with
NumPy's percentile on the brain pixels, and outside the brain the smallest
value inside.
"""
import sys

import numpy as np

folder, count = sys.argv[1], int(sys.argv[2])
brain = np.load(folder + "/mask.npy") != 0
fused = np.zeros(brain.shape)
for i in range(count):
    x = np.load(folder + f"/map_{i}.npy").astype(np.float64)
    q25, q50, q75 = np.percentile(x[brain], [25, 50, 75])
    iqr = q75 - q25 if q75 > q25 else 1.0
    fused += (x - q50) / iqr
fused /= count
fused[~brain] = fused[brain].min()
np.save(folder + "/fused.npy", fused)
