#!/usr/bin/python3
"""Mean and spread over seeds of the metrics.json of scripts/quality-sweep.sh.

usage: quality_summary.py OUT CONFIG...  (runs in OUT/<config>-seed<N>/)
"""
import glob
import json
import sys

import numpy as np

out, configs = sys.argv[1], sys.argv[2:]


def spread(values):
    values = np.array(values, dtype=float)
    return "%.4f +- %.4f" % (values.mean(), values.std(ddof=1) if len(values) > 1 else 0.0)


for config in configs:
    runs = [json.load(open(path)) for path in sorted(glob.glob(f"{out}/{config}-seed*/metrics.json"))]
    if not runs:
        continue
    print(f"\n## {config}: {len(runs)} seeds; chosen maps: {', '.join(r.get('score_mode', '?') for r in runs)}")
    print("| map (inside the brain) | AUROC | AUPRC |")
    print("|---|---|---|")
    rows = [("chosen", lambda r: r["cradl_brain_only"])]
    rows += [(mode, lambda r, mode=mode: r["modes"][mode]["brain_only"]) for mode in ("fused", "gradient", "patch")]
    rows += [("\\|z\\| baseline", lambda r: r["baseline_brain_only"])]
    for name, get in rows:
        print(f"| {name} | {spread([get(r)['auroc'] for r in runs])} | {spread([get(r)['auprc'] for r in runs])} |")
    print("| label-free threshold Dice | | %s |" % spread([r["label_free_threshold"]["dice"] for r in runs]))
    print("\n| kind (inside the brain) | AUROC | AUPRC | baseline AUROC | baseline AUPRC | AUPRC / baseline |")
    print("|---|---|---|---|---|---|")
    for kind in runs[0]["per_kind"]:
        ours = [r["per_kind"][kind]["cradl_brain_only"] for r in runs]
        base = [r["per_kind"][kind]["baseline_brain_only"] for r in runs]
        held = "" if runs[0]["per_kind"][kind]["in_validation"] else " (never in validation)"
        ratio = [o["auprc"] / max(1e-12, b["auprc"]) for o, b in zip(ours, base)]
        print(f"| {kind}{held} | {spread([o['auroc'] for o in ours])} | {spread([o['auprc'] for o in ours])} | "
              f"{spread([b['auroc'] for b in base])} | {spread([b['auprc'] for b in base])} | {spread(ratio)} |")
