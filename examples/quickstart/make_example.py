#!/usr/bin/env python3
"""Makes the quick-start model: torchvision's ResNet-18 with random weights
(no download), traced to TorchScript and packed as resnet.mar with
ImageNet labels, plus a test image kitten.jpg. Run with /usr/bin/python3."""
import json
import os
import sys
import zipfile

import numpy as np
import torch
import torchvision
from PIL import Image

store = os.path.abspath(sys.argv[1])
here = os.path.dirname(os.path.abspath(__file__))
os.makedirs(store, exist_ok=True)
mar = os.path.join(store, "resnet.mar")
if not os.path.exists(mar):
    torch.manual_seed(0)
    model = torchvision.models.resnet18().eval()
    traced = torch.jit.trace(model, torch.randn(1, 3, 224, 224))
    pt = os.path.join(store, "resnet18.pt")
    traced.save(pt)
    labels = {str(i): "class_%d" % i for i in range(1000)}
    manifest = {"createdOn": "25/11/2026 12:00:00", "runtime": "python",
                "model": {"modelName": "resnet", "serializedFile": "resnet18.pt", "handler": "image_classifier",
                          "modelVersion": "1.0"}, "archiverVersion": "0.12.0"}
    with zipfile.ZipFile(mar, "w", zipfile.ZIP_STORED) as z:
        z.write(pt, "resnet18.pt")
        z.writestr("index_to_name.json", json.dumps(labels))
        z.writestr("MAR-INF/MANIFEST.json", json.dumps(manifest, indent=2))
    os.remove(pt)
kitten = os.path.join(here, "kitten.jpg")
if not os.path.exists(kitten):
    y, x = np.mgrid[0:480, 0:640].astype(np.float32)
    img = np.stack([128 + 100 * np.sin(x / 37.0), 128 + 90 * np.cos((x + y) / 41.0), 128 + 80 * np.sin(y / 29.0)], -1)
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(kitten, quality=90)
print("example model in", mar)
