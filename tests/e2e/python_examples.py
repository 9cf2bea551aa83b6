"""Stages TorchServe's example recipes from the handler kit
(../shared/conformance/python-handlers/upstream/examples) in TorchServe's
repository layout, makes their weights locally (torchvision constructors,
random weights, saved under the file names the READMEs download), and runs
the READMEs' own torch-model-archiver commands with hearth-archiver.

stage() returns the staged directory (its model_store/ holds the archives),
or None when the kit is absent. Built once per build tree.
"""

import os
import shlex
import shutil
import subprocess
import sys

from harness import BIN_DIR, FIXTURES

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
KIT = os.environ.get("HEARTH_HANDLER_KIT", os.path.join(ROOT, "..", "shared", "conformance", "python-handlers"))
CONFORMANCE_ASSETS = os.path.join(ROOT, "..", "shared", "conformance", "assets")
KIT_EXAMPLES = os.path.join(ROOT, "tests", "python", "kit_examples")
STAGE = os.path.join(FIXTURES, "python_examples")
ARCHIVER = os.path.join(BIN_DIR, "hearth-archiver")


def kit_present():
    return os.path.isdir(os.path.join(KIT, "upstream", "examples"))


def readme_command(readme, model_name, must_contain=(), exclude=()):
    """The README's first torch-model-archiver command for `model_name` that
    has every string of `must_contain` and none of `exclude`, as argv for
    hearth-archiver."""
    with open(readme) as f:
        for line in f:
            line = line.strip().lstrip("$").strip()
            if not line.startswith("torch-model-archiver"):
                continue
            argv = shlex.split(line)
            if (argv[argv.index("--model-name") + 1] == model_name and all(s in line for s in must_contain)
                    and not any(s in line for s in exclude)):
                return [ARCHIVER] + argv[1:]
    raise AssertionError("%s has no torch-model-archiver command for %s" % (readme, model_name))


def _make_weights(stage_dir):
    script = r"""
import sys, torch, torchvision
sys.path.insert(0, sys.argv[2])
from mnist import Net
torch.manual_seed(0)
out = sys.argv[1]
resnet = torchvision.models.resnet18(weights=None).eval()
torch.save(resnet.state_dict(), out + "/resnet18-f37072fd.pth")
torch.jit.trace(resnet, torch.randn(1, 3, 224, 224)).save(out + "/resnet-18.pt")
torch.save(torchvision.models.densenet161(weights=None).state_dict(), out + "/densenet161-8d451a50.pth")
torch.save(torchvision.models.vgg16(weights=None).state_dict(), out + "/vgg16-397923af.pth")
net = Net()
with torch.no_grad():
    # Random weights, with the output bias deciding: every image reads as a 0.
    net.fc2.bias.zero_()
    net.fc2.bias[0] = 50.0
torch.save(net.state_dict(), sys.argv[2] + "/mnist_cnn.pt")
"""
    mnist = os.path.join(stage_dir, "examples", "image_classifier", "mnist")
    subprocess.check_call(["/usr/bin/python3", "-c", script, stage_dir, mnist])


def _make_images(stage_dir):
    script = r"""
import sys
from PIL import Image, ImageDraw
import numpy as np
out = sys.argv[1]
rng = np.random.default_rng(3)
y, x = np.mgrid[0:300, 0:400]
pixels = np.stack([x * 255 // 400, y * 255 // 300, (x + y) * 100 // 700], axis=2).astype(np.uint8)
pixels = (pixels + rng.integers(0, 30, pixels.shape)).clip(0, 255).astype(np.uint8)
image = Image.fromarray(pixels, "RGB")
ImageDraw.Draw(image).ellipse([120, 60, 300, 250], fill=(210, 160, 80))
image.save(out + "/examples/image_classifier/kitten.jpg", quality=92)
digit = Image.new("L", (28, 28), 0)
ImageDraw.Draw(digit).ellipse([7, 4, 21, 24], outline=255, width=3)
digit.save(out + "/examples/image_classifier/mnist/test_data/0.png")
"""
    os.makedirs(os.path.join(stage_dir, "examples", "image_classifier", "mnist", "test_data"), exist_ok=True)
    subprocess.check_call(["/usr/bin/python3", "-c", script, stage_dir])


def stage():
    if not kit_present():
        return None
    done = os.path.join(STAGE, ".done")
    if os.path.exists(done):
        return STAGE
    shutil.rmtree(STAGE, ignore_errors=True)
    examples = os.path.join(STAGE, "examples")
    shutil.copytree(os.path.join(KIT, "upstream", "examples"), examples,
                    ignore=shutil.ignore_patterns("*.ipynb", "Workflows", "assets"))
    shutil.copytree(os.path.join(KIT_EXAMPLES, "image_classifier", "mnist"),
                    os.path.join(examples, "image_classifier", "mnist"), dirs_exist_ok=True)
    imagenet = os.path.join(CONFORMANCE_ASSETS, "imagenet_index_to_name.json")
    if not os.path.exists(imagenet):
        imagenet = os.path.join(examples, "image_classifier", "resnet_18", "index_to_name.json")
    shutil.copy(imagenet, os.path.join(examples, "image_classifier", "index_to_name.json"))
    _make_images(STAGE)
    _make_weights(STAGE)
    recipes = [
        ("custom_metrics/README.md", "mnist", (), ()),
        ("micro_batching/README.md", "resnet-18_mb", (), ()),
        ("image_classifier/resnet_18/README.md", "resnet-18", ("./examples/image_classifier/resnet_18/model.py",), ()),
        ("image_classifier/densenet_161/README.md", "densenet161", ("examples/image_classifier/densenet_161/model.py",),
         ()),
        # The plain recipe; the torch.compile one (--config-file) needs torch 2.
        ("image_classifier/vgg_16/README.md", "vgg16", ("--model-file",), ("--config-file",)),
    ]
    store = os.path.join(STAGE, "model_store")
    os.makedirs(store)
    for readme, name, must, exclude in recipes:
        subprocess.check_call(readme_command(os.path.join(examples, readme), name, must, exclude), cwd=STAGE)
        shutil.move(os.path.join(STAGE, name + ".mar"), os.path.join(store, name + ".mar"))
    # The same ResNet-18 weights as TorchScript for the C++ worker (resnet_18 README's TorchScript recipe).
    argv = [ARCHIVER, "--model-name", "resnet-18_ts", "--version", "1.0", "--serialized-file", "resnet-18.pt",
            "--extra-files", "./examples/image_classifier/index_to_name.json", "--handler", "image_classifier",
            "--export-path", store]
    subprocess.check_call(argv, cwd=STAGE)
    with open(done, "w") as f:
        f.write("ok\n")
    return STAGE


if __name__ == "__main__":
    print(stage() or "handler kit not found")
    sys.exit(0)
