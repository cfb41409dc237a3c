#!/usr/bin/python3
"""Oracle for the patch density: NumPy's covariance and Mahalanobis distance,
PyTorch's bilinear upsampling, on the encoder features the C++ side saved.

usage: patch_density_oracle.py folder layers regularization size
folder holds features_<l>.npy [N, C, h, w] and masks.npy [N, 1, S, S]; writes
mean_<l>.npy, covariance_<l>.npy, distance_<l>.npy ([N, 1, S, S]), map.npy and
prints healthy_mean_<l>, healthy_std_<l>.
"""
import sys

import numpy as np
import torch

folder, layers, reg, size = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
masks = np.load(folder + "/masks.npy") != 0
standardised = []
for l in range(layers):
    f = np.load(folder + f"/features_{l}.npy").astype(np.float64)  # float32 sums would be the error here
    n, c, h, w = f.shape
    # Brain at the feature resolution: the mask's mean over each block >= 1/2.
    block = masks.reshape(n, 1, h, size // h, w, size // w).mean(axis=(3, 5)) >= 0.5
    rows = f.transpose(0, 2, 3, 1).reshape(-1, c)[block.reshape(-1)]
    mean = rows.mean(axis=0)
    covariance = np.cov(rows, rowvar=False) + reg * np.eye(c)
    centred = f.transpose(0, 2, 3, 1).reshape(-1, c) - mean
    distance = np.sqrt(np.einsum("ij,ij->i", centred, np.linalg.solve(covariance, centred.T).T)).reshape(n, 1, h, w)
    up = torch.nn.functional.interpolate(torch.from_numpy(distance.astype(np.float32)), size=(size, size),
                                         mode="bilinear", align_corners=False).numpy()
    healthy = up[masks].astype(np.float64)
    np.save(folder + f"/mean_{l}.npy", mean)
    np.save(folder + f"/covariance_{l}.npy", covariance)
    np.save(folder + f"/distance_{l}.npy", up.astype(np.float64))
    print("healthy_mean_%d %.17g" % (l, healthy.mean()))
    print("healthy_std_%d %.17g" % (l, healthy.std()))
    standardised.append((up - healthy.mean()) / healthy.std())
np.save(folder + "/map.npy", np.mean(standardised, axis=0).astype(np.float64))
