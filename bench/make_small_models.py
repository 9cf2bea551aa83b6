#!/usr/bin/python3
"""Models for bench/small_models_bench.sh (random weights, traced TorchScript):
  small_cnn.pt + .pth + index_to_name.json + small.png
                                                   bench/small_cnn.py traced, and its
                                                   state_dict; a 32x32 PNG request body
  mlp.pt + mlp.json                                16 -> 64 -> 4 MLP, a JSON body
Usage: make_small_models.py OUT_DIR"""
import json
import os
import sys

import numpy as np
import torch
from PIL import Image
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from small_cnn import SmallCnn  # noqa: E402


def main():
    out = os.path.abspath(sys.argv[1])
    os.chdir(out)
    torch.manual_seed(0)
    cnn = SmallCnn().eval()
    torch.save(cnn.state_dict(), "small_cnn.pth")
    torch.jit.trace(cnn, torch.randn(1, 3, 224, 224)).save("small_cnn.pt")
    json.dump({str(i): ["n%08d" % i, "class_%d" % i] for i in range(10)}, open("index_to_name.json", "w"))
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)).save("small.png")
    mlp = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 4)).eval()
    torch.jit.trace(mlp, torch.randn(1, 16)).save("mlp.pt")
    with open("mlp.json", "w") as f:
        json.dump([round(float(v), 3) for v in rng.normal(size=16)], f)


if __name__ == "__main__":
    main()
