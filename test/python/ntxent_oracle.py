#!/usr/bin/python3
"""Oracle for ntXentLoss: the NT-Xent formula written out row by row with torch.

usage: ntxent_oracle.py z1.npy z2.npy temperature
"""
import sys

import numpy as np
import torch

z1 = torch.from_numpy(np.load(sys.argv[1])).double()
z2 = torch.from_numpy(np.load(sys.argv[2])).double()
t = float(sys.argv[3])
z = torch.cat([z1, z2])
z = z / z.norm(dim=1, keepdim=True)
n = z1.shape[0]
losses = []
for i in range(2 * n):
    p = (i + n) % (2 * n)
    denominator = sum(torch.exp(z[i] @ z[j] / t) for j in range(2 * n) if j != i)
    losses.append(-(z[i] @ z[p] / t) + torch.log(denominator))
print("loss %.17g" % torch.stack(losses).mean().item())
