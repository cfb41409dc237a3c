#!/usr/bin/python3
"""Oracle for fitEm: scikit-learn's GaussianMixture from the same start.

usage: gmm_oracle.py folder tol max_iter reg_covar
folder holds X.npy, weights.npy, means.npy, precisions.npy (float64); writes
score_samples.npy (log p(x) under the start), fitted_score_samples.npy,
fitted_weights.npy, fitted_means.npy, fitted_covariances.npy there, and
prints lower_bound, n_iter, converged.
"""
import sys
import warnings

import numpy as np
from sklearn.mixture import GaussianMixture

folder, tol, max_iter, reg = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
X = np.load(folder + "/X.npy")
weights, means, precisions = (np.load(folder + f"/{name}.npy") for name in ("weights", "means", "precisions"))

start = GaussianMixture(len(weights), covariance_type="full", reg_covar=reg, weights_init=weights,
                        means_init=means, precisions_init=precisions, max_iter=1)
start._initialize_parameters(X, np.random.RandomState(0))  # the start itself, no EM step
np.save(folder + "/score_samples.npy", start.score_samples(X))

model = GaussianMixture(len(weights), covariance_type="full", tol=tol, max_iter=max_iter, reg_covar=reg,
                        weights_init=weights, means_init=means, precisions_init=precisions)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    model.fit(X)
np.save(folder + "/fitted_score_samples.npy", model.score_samples(X))
np.save(folder + "/fitted_weights.npy", model.weights_)
np.save(folder + "/fitted_means.npy", model.means_)
np.save(folder + "/fitted_covariances.npy", model.covariances_)
print("lower_bound %.17g" % model.lower_bound_)
print("n_iter %d" % model.n_iter_)
print("converged %d" % model.converged_)
