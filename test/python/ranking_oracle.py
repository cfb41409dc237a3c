#!/usr/bin/python3
"""Oracle for AUPRCMetric: scikit-learn's metrics on the same scores and labels.

usage: ranking_oracle.py scores.npy labels.npy
Prints one 'name value' line per metric, values with 17 significant digits.
AUPRC, AUROC and the FPR at 95% TPR come from sklearn; the best Dice is
computed here from cumulative counts over distinct thresholds (highest first),
the highest threshold winning ties.
"""
import sys

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve

scores = np.load(sys.argv[1]).astype(np.float64)
labels = np.load(sys.argv[2]).astype(bool)

print("auprc %.17g" % average_precision_score(labels, scores))
print("auroc %.17g" % roc_auc_score(labels, scores))
fpr, tpr, _ = roc_curve(labels, scores, drop_intermediate=False)
print("fpr95 %.17g" % fpr[np.argmax(tpr >= 0.95)])

order = np.argsort(-scores, kind="stable")
sorted_scores = scores[order]
sorted_labels = labels[order]
last_of_run = np.r_[np.flatnonzero(np.diff(sorted_scores)), sorted_scores.size - 1]
tp = np.cumsum(sorted_labels)[last_of_run].astype(np.float64)
fp = np.cumsum(~sorted_labels)[last_of_run].astype(np.float64)
dice = 2 * tp / (tp + fp + labels.sum())
best = int(np.argmax(dice))
print("best_dice %.17g" % dice[best])
print("best_dice_threshold %.17g" % sorted_scores[last_of_run][best])
print("positives %d" % labels.sum())
print("negatives %d" % (~labels).sum())
