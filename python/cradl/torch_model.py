"""Cradl's model files from Python, with PyTorch alone (no Cradl needed).

A Cradl encoder file is what torch.save writes: a dict with "format"
("cradl.contrastive-encoder"), "format_version", "architecture", "preprocessing",
"training", and the state dicts "encoder" and "head" of the networks below.

    from cradl.torch_model import load_encoder   # or this file alone, beside your code
    encoder, model = load_encoder("encoder.pt")
    representation = encoder(slices)          # slices: [N, 1, S, S] float32
"""
import torch
from torch import nn


class Encoder(nn.Module):
    """DCGAN-style encoder f: conv 4x4 s2 p1 1->nf; [BN, ReLU, conv 4x4 s2 p1]
    doubling channels down to 4x4; BN, ReLU, conv 4x4 s1 p0 -> nz."""

    def __init__(self, image_size=128, nf=64, nz=512, conv_bias=True, **_):
        super().__init__()
        downsampling, size = 0, image_size
        while size > 4:
            size //= 2
            downsampling += 1
        layers = [nn.Conv2d(1, nf, 4, 2, 1, bias=conv_bias)]
        channels = nf
        for _ in range(1, downsampling):
            layers += [nn.BatchNorm2d(channels), nn.ReLU(), nn.Conv2d(channels, 2 * channels, 4, 2, 1, bias=conv_bias)]
            channels *= 2
        layers += [nn.BatchNorm2d(channels), nn.ReLU(), nn.Conv2d(channels, nz, 4, 1, 0, bias=conv_bias)]
        self.layers = nn.Sequential(*layers)

    def forward(self, slices):
        return self.layers(slices).flatten(1)


class ProjectionHead(nn.Module):
    """g: Linear nz->hidden, ReLU, Linear hidden->output."""

    def __init__(self, nz=512, head_hidden=512, head_output=256, **_):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(nz, head_hidden), nn.ReLU(), nn.Linear(head_hidden, head_output))

    def forward(self, representation):
        return self.layers(representation)


def load_encoder(path):
    """The encoder (eval mode) and the whole file's dict."""
    model = torch.load(path, map_location="cpu")
    if not isinstance(model, dict) or model.get("format") != "cradl.contrastive-encoder":
        raise ValueError(f"{path} is not a Cradl encoder file")
    encoder = Encoder(**model["architecture"])
    encoder.load_state_dict(model["encoder"])
    encoder.eval()
    return encoder, model
