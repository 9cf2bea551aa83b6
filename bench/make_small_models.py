#!/usr/bin/python3
"""Models for bench/small_models_bench.sh (random weights, traced TorchScript):
  small_cnn.pt + index_to_name.json + small.png   a ~0.3 ms CNN for 224x224 input,
                                                   a 32x32 PNG request body
  mlp.pt + mlp.json                                16 -> 64 -> 4 MLP, a JSON body
Usage: make_small_models.py OUT_DIR"""
import json
import os
import sys

import numpy as np
import torch
from PIL import Image
from torch import nn


class SmallCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 5, stride=4, padding=2), nn.BatchNorm2d(16), nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1))
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.features(x), 1))


def main():
    out = os.path.abspath(sys.argv[1])
    os.chdir(out)
    torch.manual_seed(0)
    torch.jit.trace(SmallCnn().eval(), torch.randn(1, 3, 224, 224)).save("small_cnn.pt")
    json.dump({str(i): ["n%08d" % i, "class_%d" % i] for i in range(10)}, open("index_to_name.json", "w"))
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)).save("small.png")
    mlp = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 4)).eval()
    torch.jit.trace(mlp, torch.randn(1, 16)).save("mlp.pt")
    with open("mlp.json", "w") as f:
        json.dump([round(float(v), 3) for v in rng.normal(size=16)], f)


if __name__ == "__main__":
    main()
