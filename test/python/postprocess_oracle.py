#!/usr/bin/python3
"""Oracle for MedianGaussianPostprocessImageFilter: scipy.ndimage on each slice.

usage: postprocess_oracle.py map.npy mask.npy out.npy median_radius sigma gaussian_radius
Arrays are [slices, rows, columns]; mask applied first (0 outside), then
median_filter (size 2r+1, mode reflect) and gaussian_filter (sigma, truncate
= radius / sigma, mode reflect) in the slice plane only.
"""
import sys

import numpy as np
from scipy import ndimage

volume = np.load(sys.argv[1]).astype(np.float64)
mask = np.load(sys.argv[2])
median_radius, sigma, gaussian_radius = int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
volume = np.where(mask != 0, volume, 0.0)
size = 2 * median_radius + 1
volume = ndimage.median_filter(volume, size=(1, size, size), mode="reflect")
volume = ndimage.gaussian_filter(volume, sigma=(0, sigma, sigma), truncate=gaussian_radius / sigma, mode="reflect")
np.save(sys.argv[3], volume.astype(np.float32))
