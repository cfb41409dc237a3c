#!/usr/bin/python3
"""Oracle for model files: Python PyTorch loads a Cradl encoder file with
python/cradl/torch_model.py alone (PyTorch only, not the cradl package) and encodes the given slices.

usage: encoder_oracle.py model.pt slices.npy representation.npy
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python", "cradl"))
from torch_model import load_encoder  # noqa: E402

encoder, model = load_encoder(sys.argv[1])
with torch.no_grad():
    representation = encoder(torch.from_numpy(np.load(sys.argv[2])))
np.save(sys.argv[3], representation.numpy())
print("format_version %d" % model["format_version"])
print("nz %d" % model["architecture"]["nz"])
print("slice_size %d" % model["preprocessing"]["slice_size"])
print("best_epoch %d" % model["training"]["best_epoch"])
