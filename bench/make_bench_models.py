#!/usr/bin/env python3
"""Benchmark models (random weights, no download), traced TorchScript and
.mar archives in torch-model-archiver's layout:
  rn50.pt / rn50.mar     torchvision ResNet50, image_classifier
  tiny.pt / tiny.mar     y = 2x + 1, tensor handler
  kitten.jpg             a 640x480 photo-like JPEG
  tiny.json              a request body for tiny
  pool.pt / pool.mar     channel means of a uint8 [N,3,224,224] image tensor
                         (ResNet50's input size, 150 KB), tensor handler: for
                         measuring protocol cost on large tensors
  bert_base.pt           (with --bert) a BERT-base-shaped encoder (768 wide,
                         12 layers, 12 heads), traced for sequence length 128
  calibration/           20 synthetic photos for hearth-quantize
Usage: make_bench_models.py OUT_DIR [--bert]   (run with /usr/bin/python3)"""
import json
import os
import sys
import zipfile

import numpy as np
import torch
import torchvision
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures"))
from model_defs import TinyBert  # noqa: E402


class Affine(torch.nn.Module):
    def forward(self, x):
        return x * 2.0 + 1.0


class ChannelPool(torch.nn.Module):
    def forward(self, x):
        return x.float().mean(dim=(2, 3))


def write_mar(path, name, pt, handler):
    manifest = {"createdOn": "25/11/2026 12:00:00", "runtime": "python",
                "model": {"modelName": name, "serializedFile": os.path.basename(pt), "handler": handler,
                          "modelVersion": "1.0"}, "archiverVersion": "0.12.0"}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.write(pt, os.path.basename(pt))
        z.writestr("MAR-INF/MANIFEST.json", json.dumps(manifest, indent=2))


def main():
    out = os.path.abspath(sys.argv[1])
    store = os.path.join(out, "model_store")
    os.makedirs(store, exist_ok=True)
    torch.manual_seed(0)
    rn50 = os.path.join(out, "rn50.pt")
    if not os.path.exists(rn50):
        model = torchvision.models.resnet50().eval()
        torch.jit.trace(model, torch.randn(1, 3, 224, 224)).save(rn50)
    if not os.path.exists(os.path.join(store, "rn50.mar")):
        write_mar(os.path.join(store, "rn50.mar"), "rn50", rn50, "image_classifier")
    tiny = os.path.join(out, "tiny.pt")
    torch.jit.script(Affine()).save(tiny)
    write_mar(os.path.join(store, "tiny.mar"), "tiny", tiny, "tensor")
    with open(os.path.join(out, "tiny.json"), "w") as f:
        f.write("[1.0, 2.0, 3.0, 4.0]")
    pool = os.path.join(out, "pool.pt")
    torch.jit.script(ChannelPool()).save(pool)
    write_mar(os.path.join(store, "pool.mar"), "pool", pool, "tensor")
    kitten = os.path.join(out, "kitten.jpg")
    if not os.path.exists(kitten):
        y, x = np.mgrid[0:480, 0:640].astype(np.float32)
        rng = np.random.RandomState(0)
        img = np.stack([128 + 100 * np.sin(x / 37.0) * np.cos(y / 53.0), 128 + 90 * np.cos((x + y) / 41.0),
                        128 + 80 * np.sin(x / 23.0 + y / 29.0)], -1) + rng.normal(0, 12, (480, 640, 3))
        Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(kitten, quality=90)
    calib = os.path.join(out, "calibration")
    if not os.path.isdir(calib):
        os.makedirs(calib)
        rng = np.random.RandomState(3)
        for i in range(20):
            y, x = np.mgrid[0:240, 0:320].astype(np.float32)
            f = rng.uniform(10, 60, 3)
            img = np.stack([128 + 100 * np.sin(x / f[0] + i), 128 + 90 * np.cos((x + y) / f[1]),
                            128 + 80 * np.sin(y / f[2])], -1) + rng.normal(0, 15, (240, 320, 3))
            Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(os.path.join(calib, "%02d.jpg" % i))
    bert = os.path.join(out, "bert_base.pt")
    if "--bert" in sys.argv and not os.path.exists(bert):
        model = TinyBert(vocab=30522, dim=768, layers=12, heads=12, classes=2, max_len=512).eval()
        ids = torch.randint(0, 30522, (1, 128))
        with torch.no_grad():
            torch.jit.trace(model, (ids, torch.ones_like(ids), torch.zeros_like(ids))).save(bert)
    print(out)


if __name__ == "__main__":
    main()
