#!/usr/bin/env python3
"""The IPEX serving guide's two INT8 flows, with Hearth: writes FP32
TorchScript models from Python model definitions (random weights, no
downloads) and a calibration set.

  rn50_fp32.pt     torchvision ResNet50, traced (1, 3, 224, 224)
  bert_fp32.pt     a BERT-base-shaped sequence classifier (768 wide, 12
                   layers, 12 heads, 2 labels), traced for sequence length 128
  calib_images/    32 photo-like JPEGs for static calibration
  kitten.jpg       an image to send

Usage: /usr/bin/python3 make_models.py [OUT_DIR]"""
import os
import sys

import numpy as np
import torch
import torchvision
from PIL import Image

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "tests", "fixtures"))
from model_defs import TinyBert  # noqa: E402

out = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
if not os.path.exists(os.path.join(out, "rn50_fp32.pt")):
    rn50 = torchvision.models.resnet50().eval()
    torch.jit.trace(rn50, torch.randn(1, 3, 224, 224)).save(os.path.join(out, "rn50_fp32.pt"))
if not os.path.exists(os.path.join(out, "bert_fp32.pt")):
    bert = TinyBert(vocab=30522, dim=768, layers=12, heads=12, classes=2, max_len=512).eval()
    ids = torch.randint(0, 30522, (1, 128))
    with torch.no_grad():
        torch.jit.trace(bert, (ids, torch.ones_like(ids), torch.zeros_like(ids))).save(os.path.join(out, "bert_fp32.pt"))
calib = os.path.join(out, "calib_images")
os.makedirs(calib, exist_ok=True)
rng = np.random.RandomState(0)
for i in range(32):
    y, x = np.mgrid[0:300, 0:400].astype(np.float32)
    f = rng.uniform(10, 60, 3)
    img = np.stack([128 + 100 * np.sin(x / f[0] + i), 128 + 90 * np.cos((x + y) / f[1]),
                    128 + 80 * np.sin(y / f[2])], -1) + rng.normal(0, 15, (300, 400, 3))
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(os.path.join(calib, "%02d.jpg" % i))
    if i == 0:
        Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(os.path.join(out, "kitten.jpg"))
print("models in", out)
