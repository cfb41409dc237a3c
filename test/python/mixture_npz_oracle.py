#!/usr/bin/python3
"""Oracle for GaussianMixtureModel.ExportNpz and LogLikelihood: numpy.load
and scipy.stats on the exported arrays only.

usage: mixture_npz_oracle.py mixture.npz X.npy out.npy
"""
import sys

import numpy as np
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

mixture = np.load(sys.argv[1])
X = np.load(sys.argv[2])
Z = (X - mixture["feature_mean"]) / mixture["feature_std"]
per_component = np.stack([np.log(w) + multivariate_normal(m, c).logpdf(Z)
                          for w, m, c in zip(mixture["weights"], mixture["means"], mixture["covariances"])], axis=1)
np.save(sys.argv[3], logsumexp(per_component, axis=1))
print("components %d" % len(mixture["weights"]))
