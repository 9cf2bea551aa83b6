#!/usr/bin/python3
"""The quick-start model: a small CNN that really reads handwritten digits.

    train_digits.py OUT_DIR [--archiver build/bin/hearth-archiver]

Trains on scikit-learn's bundled digits (1,797 8x8 scans from UCI; Debian's
python3-sklearn, no download) for a few seconds, as the images look after
the built-in image_classifier's preprocessing (Resize 256, CenterCrop 224,
ImageNet normalization), so the model serves with `--handler
image_classifier` on Hearth's C++ worker. Writes OUT_DIR/model_store/digits.mar
(with index_to_name.json), OUT_DIR/images/<digit>.png (for each digit,
the held-out scan the model reads most surely: a demonstration, not a
measurement), and prints the held-out accuracy, which is the measurement. Re-running with the archive
present does nothing.
"""

import argparse
import json
import os
import subprocess
import sys

import numpy as np
import torch
from PIL import Image
from sklearn.datasets import load_digits
from torch import nn
from torchvision import transforms

PREPROCESS = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(),
                                 transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])])


def to_picture(scan):
    """An 8x8 scan (0..16, ink high) as a 40x40 RGB picture: black ink on white, a margin for the crop."""
    grey = (255 - scan * 255.0 / 16.0).clip(0, 255).astype(np.uint8)
    big = np.kron(grey, np.ones((4, 4), dtype=np.uint8))
    canvas = np.full((40, 40), 255, dtype=np.uint8)
    canvas[4:36, 4:36] = big
    return Image.fromarray(canvas, "L").convert("RGB")


class DigitsCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(28)  # 224x224 in: the rest sees 28x28
        self.features = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Linear(32 * 7 * 7, 10)

    def head(self, pooled):
        return self.classifier(torch.flatten(self.features(pooled), 1))

    def forward(self, x):
        return self.head(self.pool(x))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--archiver", default=os.path.join(os.path.dirname(__file__), "..", "..", "build", "bin",
                                                       "hearth-archiver"))
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    store = os.path.join(out, "model_store")
    if os.path.exists(os.path.join(store, "digits.mar")):
        print("digits.mar is already in", store)
        return 0
    os.makedirs(store, exist_ok=True)
    os.makedirs(os.path.join(out, "images"), exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    digits = load_digits()
    rng = np.random.default_rng(0)
    order = rng.permutation(len(digits.target))
    test_idx, train_idx = order[:300], order[300:]
    model = DigitsCnn()
    with torch.no_grad():  # the pooled 28x28 inputs, computed once
        pooled = torch.stack([model.pool(PREPROCESS(to_picture(s)).unsqueeze(0))[0] for s in digits.images])
    labels = torch.tensor(digits.target)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for epoch in range(12):
        model.train()
        for start in range(0, len(train_idx), 64):
            batch = torch.tensor(train_idx[start:start + 64])
            loss = nn.functional.cross_entropy(model.head(pooled[batch]), labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        predicted = model.head(pooled[torch.tensor(test_idx)]).argmax(1)
    accuracy = float((predicted == labels[torch.tensor(test_idx)]).float().mean())
    print(f"held-out accuracy: {accuracy:.3f} on {len(test_idx)} digits")
    if accuracy < 0.9:
        print("training did not converge", file=sys.stderr)
        return 1
    traced = torch.jit.trace(model, torch.randn(1, 3, 224, 224))
    pt = os.path.join(out, "digits.pt")
    traced.save(pt)
    names = os.path.join(out, "index_to_name.json")
    with open(names, "w") as f:
        json.dump({str(i): str(i) for i in range(10)}, f, indent=2)
    with torch.no_grad():
        confidence = torch.softmax(model.head(pooled[torch.tensor(test_idx)]), 1)
    for digit in range(10):  # the held-out example of each digit the model reads most surely
        rows = [k for k, i in enumerate(test_idx) if digits.target[i] == digit]
        best = max(rows, key=lambda k: float(confidence[k, digit]))
        to_picture(digits.images[test_idx[best]]).save(os.path.join(out, "images", f"{digit}.png"))
    subprocess.check_call([args.archiver, "--model-name", "digits", "--version", "1.0", "--serialized-file", pt,
                           "--handler", "image_classifier", "--extra-files", names, "--export-path", store, "-f"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
