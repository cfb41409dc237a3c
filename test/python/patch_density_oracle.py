#!/usr/bin/python3
"""Oracle for the patch density: NumPy's covariance and Mahalanobis distance,
PyTorch's bilinear upsampling, on the encoder features the C++ side saved.

usage: patch_density_oracle.py folder layers regularization size [grid depth_bins prior_weight]
folder holds features_<l>.npy [N, C, h, w] and masks.npy [N, 1, S, S]; writes
mean_<l>.npy, covariance_<l>.npy, distance_<l>.npy ([N, 1, S, S]), map.npy and
prints healthy_mean_<l>, healthy_std_<l>. With a grid, folder also holds
frames.npy [N, 5] (x0, x1, y0, y1, depth) and the same is done per position
cell, each cell's Gaussian the normal-inverse-Wishart posterior mean about the
pooled fit (rounded to float32, as stored): cell_distance_<l>.npy,
cell_map.npy, healthy_cell_mean_<l>, healthy_cell_std_<l>.
"""
import sys

import numpy as np
import torch

folder, layers, reg, size = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
grid = int(sys.argv[5]) if len(sys.argv) > 5 else 0
if grid:
    bins, prior = int(sys.argv[6]), float(sys.argv[7])
    frames = np.load(folder + "/frames.npy").astype(np.float64)
masks = np.load(folder + "/masks.npy") != 0


def cells_of(n, h, w):
    """Cell of every position [n, h, w]: its centre's place in the brain box, and the depth bin."""
    def along(count, start):
        centres = (np.arange(count) + 0.5) / count
        lo, hi = frames[:, start:start + 1], frames[:, start + 1:start + 2]
        return np.clip(np.floor((centres[None, :] - lo) / (hi - lo) * grid), 0, grid - 1).astype(np.int64)
    depth = np.clip(np.floor(frames[:, 4] * bins), 0, bins - 1).astype(np.int64)
    return (depth[:, None, None] * grid + along(h, 2)[:, :, None]) * grid + along(w, 0)[:, None, :]


def distances(positions, means, covariances, which):
    """Mahalanobis distance of each row under the Gaussian `which[i]`."""
    out = np.empty(len(positions))
    for k in np.unique(which):
        sel = which == k
        centred = positions[sel] - means[k]
        out[sel] = np.sqrt(np.einsum("ij,ij->i", centred, np.linalg.solve(covariances[k], centred.T).T))
    return out


def upsample(distance):
    return torch.nn.functional.interpolate(torch.from_numpy(distance.astype(np.float32)), size=(size, size),
                                           mode="bilinear", align_corners=False).numpy()


standardised, cell_standardised = [], []
for l in range(layers):
    f = np.load(folder + f"/features_{l}.npy").astype(np.float64)  # float32 sums would be the error here
    n, c, h, w = f.shape
    # Brain at the feature resolution: the mask's mean over each block >= 1/2.
    block = (masks.reshape(n, 1, h, size // h, w, size // w).mean(axis=(3, 5)) >= 0.5).reshape(-1)
    positions = f.transpose(0, 2, 3, 1).reshape(-1, c)
    rows = positions[block]
    mean = rows.mean(axis=0)
    scatter_covariance = np.cov(rows, rowvar=False)
    covariance = scatter_covariance + reg * np.eye(c)
    up = upsample(distances(positions, mean[None], covariance[None], np.zeros(len(positions), int)).reshape(n, 1, h, w))
    healthy = up[masks].astype(np.float64)
    np.save(folder + f"/mean_{l}.npy", mean)
    np.save(folder + f"/covariance_{l}.npy", covariance)
    np.save(folder + f"/distance_{l}.npy", up.astype(np.float64))
    print("healthy_mean_%d %.17g" % (l, healthy.mean()))
    print("healthy_std_%d %.17g" % (l, healthy.std()))
    standardised.append((up - healthy.mean()) / healthy.std())
    if not grid:
        continue
    cell = cells_of(n, h, w).reshape(-1)
    tau = prior * c
    count = grid * grid * bins
    means, covariances = np.empty((count, c)), np.empty((count, c, c))
    for k in range(count):
        own = rows[cell[block] == k]
        m = len(own)
        centre = own.mean(axis=0) if m else mean
        scatter = (own - centre).T @ (own - centre)
        offset = (centre - mean)[:, None]
        means[k] = (m * centre + tau * mean) / (m + tau)
        covariances[k] = (tau * scatter_covariance + scatter + tau * m / (tau + m) * offset @ offset.T) / (tau + m) \
            + reg * np.eye(c)
    means, covariances = means.astype(np.float32).astype(np.float64), covariances.astype(np.float32).astype(np.float64)
    up = upsample(distances(positions, means, covariances, cell).reshape(n, 1, h, w))
    healthy = up[masks].astype(np.float64)
    np.save(folder + f"/cell_distance_{l}.npy", up.astype(np.float64))
    print("healthy_cell_mean_%d %.17g" % (l, healthy.mean()))
    print("healthy_cell_std_%d %.17g" % (l, healthy.std()))
    cell_standardised.append((up - healthy.mean()) / healthy.std())
np.save(folder + "/map.npy", np.mean(standardised, axis=0).astype(np.float64))
if grid:
    np.save(folder + "/cell_map.npy", np.mean(cell_standardised, axis=0).astype(np.float64))
