"""Writes model files that torch.load reads but Cradl must refuse: a valid
file with one part removed or one value poisoned, as a damaged export or a
hand edit would leave them.

    forge_model_files.py ENCODER.pt MIXTURE.pt OUT_FOLDER
"""
import copy
import sys

import torch

encoder_path, mixture_path, out = sys.argv[1:4]
encoder = torch.load(encoder_path)
for part in ("preprocessing", "training", "encoder"):
    forged = copy.deepcopy(encoder)
    del forged[part]
    torch.save(forged, f"{out}/encoder-without-{part}.pt")
forged = copy.deepcopy(encoder)
forged["preprocessing"]["clip_minimum"] = "low"
torch.save(forged, f"{out}/encoder-text-clip.pt")

mixture = torch.load(mixture_path)
poisons = {
    "nan-mean": lambda m: m["means"].view(-1).__setitem__(0, float("nan")),
    "negative-weight": lambda m: m["weights"].__setitem__(0, -0.5),
    "zero-std": lambda m: m["feature_std"].__setitem__(0, 0.0),
    "scalar-weights": lambda m: m.__setitem__("weights", torch.tensor(1.0, dtype=torch.float64)),
    "integer-means": lambda m: m.__setitem__("means", m["means"].long()),
    "no-fit": lambda m: m.pop("fit"),
}
for name, poison in poisons.items():
    forged = copy.deepcopy(mixture)
    poison(forged)
    torch.save(forged, f"{out}/mixture-{name}.pt")
print("forged", len(poisons) + 4)
