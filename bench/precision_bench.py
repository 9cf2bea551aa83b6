#!/usr/bin/python3
"""FP32 vs BF16 vs INT8, measured the way a user serves them (issue 19).

    bench/precision_bench.py OUT_DIR [--bin build/bin] [--iterations 30]

Two cases:
  digits    examples/digits' trained CNN (scikit-learn's handwritten digits);
            answers compared on its 300 held-out scans, with their labels;
  resnet50  torchvision ResNet50 (random weights: no download here), answers
            compared on 200 generated photos-like images.
Four variants of each, served side by side by one Hearth (1 worker each,
the C++ image_classifier): fp32 as archived, bf16 (`ipex_enable: true`,
`ipex_dtype: bfloat16` in model-config.yaml), INT8 (hearth-quantize,
static, calibrated on other images than the ones compared) and INT8 with
the last layer left in FP32 (--keep-fp32). Each image goes to all four; the report gives top-1 agreement with fp32 (and accuracy for
digits), and the raw-loop speed of each (hearth-bench --raw, 2 threads,
batch 1) as ratios to fp32 plain and to fp32 optimized (ipex_enable).
Writes OUT_DIR/report.md and prints it.
"""

import argparse
import io
import json
import os
import subprocess
import sys
import time
import urllib.request
import zipfile

import numpy as np
from PIL import Image

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def run(argv, **kw):
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kw).stdout


def digits_case(out, bin_dir):
    """The trained digits model, its 300 held-out scans as PNGs (with labels), the rest for calibration."""
    sys.path.insert(0, os.path.join(ROOT, "examples", "digits"))
    import train_digits
    from sklearn.datasets import load_digits
    d = os.path.join(out, "digits")
    if not os.path.exists(os.path.join(d, "digits.pt")):
        run(["/usr/bin/python3", os.path.join(ROOT, "examples", "digits", "train_digits.py"), d,
             "--archiver", os.path.join(bin_dir, "hearth-archiver")])
    digits = load_digits()
    order = np.random.default_rng(0).permutation(len(digits.target))  # train_digits.py's split
    test_idx, train_idx = order[:300], order[300:]
    images, labels = [], []
    for i in test_idx:
        buf = io.BytesIO()
        train_digits.to_picture(digits.images[i]).save(buf, "PNG")
        images.append(buf.getvalue())
        labels.append(str(int(digits.target[i])))
    calibration = os.path.join(d, "calibration")
    os.makedirs(calibration, exist_ok=True)
    for k, i in enumerate(train_idx[:100]):
        train_digits.to_picture(digits.images[i]).save(os.path.join(calibration, "%03d.png" % k))
    return os.path.join(d, "digits.pt"), calibration, images, labels


def resnet_case(out):
    """ResNet50 with random weights and 200 generated images; 40 more for calibration."""
    d = os.path.join(out, "resnet50")
    os.makedirs(d, exist_ok=True)
    pt = os.path.join(d, "rn50.pt")
    if not os.path.exists(pt):
        script = ("import torch, torchvision; torch.manual_seed(0); m = torchvision.models.resnet50().eval(); "
                  "torch.jit.trace(m, torch.randn(1, 3, 224, 224)).save(%r)" % pt)
        run(["/usr/bin/python3", "-c", script])
    rng = np.random.default_rng(7)

    def picture():
        h, w = rng.integers(200, 400, 2)
        y, x = np.mgrid[0:h, 0:w]
        base = np.stack([(x * rng.uniform(0.2, 1) + y * rng.uniform(0, 0.5)) % 256,
                         (y * rng.uniform(0.2, 1)) % 256, (x + y) * rng.uniform(0.1, 0.6) % 256], axis=2)
        noisy = (base + rng.normal(0, 25, base.shape)).clip(0, 255).astype(np.uint8)
        buf = io.BytesIO()
        Image.fromarray(noisy, "RGB").save(buf, "JPEG", quality=90)
        return buf.getvalue()

    images = [picture() for _ in range(200)]
    calibration = os.path.join(d, "calibration")
    os.makedirs(calibration, exist_ok=True)
    for k in range(40):
        with open(os.path.join(calibration, "%03d.jpg" % k), "wb") as f:
            f.write(picture())
    return pt, calibration, images, None


def archive(bin_dir, store, name, pt, config=None):
    argv = [os.path.join(bin_dir, "hearth-archiver"), "--model-name", name, "--version", "1.0", "--serialized-file",
            pt, "--handler", "image_classifier", "--export-path", store, "-f"]
    if config:
        argv += ["--config-file", config]
    run(argv)


def raw_speed(bin_dir, pt, iterations, *flags):
    """Items per second of the raw loop; a model that runs `iterations` in
    under a second (digits: 30 take ~5 ms, all noise) runs again for ~2 s."""
    def once(n):
        out = run([os.path.join(bin_dir, "hearth-bench"), "--raw", pt, "--threads", "2", "--batch", "1",
                   "--iterations", str(n), "--json"] + list(flags))
        return json.loads(out)["items_per_s"]
    speed = once(iterations)
    if iterations / speed < 1.0:
        speed = once(min(20000, int(2.0 * speed)))
    return speed


def top1(port, model, image):
    req = urllib.request.Request("http://127.0.0.1:%d/predictions/%s" % (port, model), data=image, method="POST",
                                 headers={"Content-Type": "application/octet-stream"})
    with urllib.request.urlopen(req, timeout=120) as r:
        answer = json.loads(r.read())
    return max(answer, key=answer.get)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"))
    ap.add_argument("--iterations", type=int, default=30)
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    bin_dir = os.path.abspath(args.bin)
    store = os.path.join(out, "model_store")
    os.makedirs(store, exist_ok=True)
    bf16_yaml = os.path.join(out, "bf16.yaml")
    with open(bf16_yaml, "w") as f:
        f.write("ipex_enable: true\nipex_dtype: bfloat16\n")
    cases = {"digits": digits_case(out, bin_dir), "resnet50": resnet_case(out)}
    names = []
    for case, (pt, calibration, _, _) in cases.items():
        for p, keep in (("int8", []), ("int8head", ["--keep-fp32", LAST_LAYER[case]])):
            int8 = pt.replace(".pt", "_%s.pt" % p)
            if not os.path.exists(int8):
                run([os.path.join(bin_dir, "hearth-quantize"), "--model", pt, "--calibration-data", calibration,
                     "--output", int8, "--qscheme", "per_tensor_symmetric", "--threads", "2"] + keep)
            archive(bin_dir, store, case + "_" + p, int8)
        archive(bin_dir, store, case + "_fp32", pt)
        archive(bin_dir, store, case + "_bf16", pt, bf16_yaml)
        names += [case + "_" + p for p in PRECISIONS]
    port, mport = 18480, 18481
    config = os.path.join(out, "config.properties")
    with open(config, "w") as f:
        f.write("inference_address=http://127.0.0.1:%d\nmanagement_address=http://127.0.0.1:%d\n"
                "metrics_address=http://127.0.0.1:18482\nenable_model_api=true\ndisable_token_authorization=true\n"
                "grpc_enable=false\n" % (port, mport))
    hearth = os.path.join(bin_dir, "hearth")
    env = dict(os.environ, TMPDIR=out)
    subprocess.call([hearth, "--stop"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run([hearth, "--start", "--ncs", "--model-store", store, "--ts-config", config], cwd=out, env=env)
    rows = []
    try:
        for name in names:
            req = urllib.request.Request("http://127.0.0.1:%d/models?url=%s.mar&initial_workers=1&synchronous=true"
                                         % (mport, name), method="POST")
            urllib.request.urlopen(req, timeout=600).read()
        for case, (pt, _, images, labels) in cases.items():
            answers = {p: [top1(port, "%s_%s" % (case, p), im) for im in images] for p in PRECISIONS}
            speed = {"fp32 plain": raw_speed(bin_dir, pt, args.iterations),
                     "fp32 optimized": raw_speed(bin_dir, pt, args.iterations, "--optimize"),
                     "bf16": raw_speed(bin_dir, pt, args.iterations, "--optimize", "--bf16"),
                     "int8": raw_speed(bin_dir, pt.replace(".pt", "_int8.pt"), args.iterations),
                     "int8head": raw_speed(bin_dir, pt.replace(".pt", "_int8head.pt"), args.iterations)}
            for p in PRECISIONS:
                agree = np.mean([a == b for a, b in zip(answers[p], answers["fp32"])])
                accuracy = np.mean([a == b for a, b in zip(answers[p], labels)]) if labels else None
                key = {"fp32": "fp32 plain", "bf16": "bf16", "int8": "int8", "int8head": "int8head"}[p]
                rows.append((case, LABELS.get(p, p), len(images), agree, accuracy, speed[key], speed[key] / speed["fp32 plain"],
                             speed[key] / speed["fp32 optimized"]))
            rows.append((case, "fp32 optimized", None, None, None, speed["fp32 optimized"],
                         speed["fp32 optimized"] / speed["fp32 plain"], 1.0))
    finally:
        subprocess.call([hearth, "--stop"], env=env, stdout=subprocess.DEVNULL)
    lines = ["# FP32, BF16 and INT8 side by side (%s)" % time.strftime("%Y-%m-%d"), "",
             "`bench/precision_bench.py` on this machine: %s." % cpu_name(), "",
             "| model | precision | images | top-1 agreement with fp32 | accuracy | raw items/s (2 threads, batch 1) "
             "| vs fp32 plain | vs fp32 optimized |", "|---|---|---:|---:|---:|---:|---:|---:|"]
    for case, p, n, agree, acc, ips, vs_plain, vs_opt in rows:
        lines.append("| %s | %s | %s | %s | %s | %.1f | %.2fx | %.2fx |" % (
            case, p, n if n else "", "" if agree is None else "%.1f%%" % (100 * agree),
            "" if acc is None else "%.1f%%" % (100 * acc), ips, vs_plain, vs_opt))
    report = "\n".join(lines) + "\n"
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write(report)
    print(report)


# The INT8 variant with the classifier's last layer left in FP32
# (hearth-quantize --keep-fp32): nearly tied top scores are where INT8's
# rounding reorders answers.
LAST_LAYER = {"digits": "classifier", "resnet50": "fc"}
PRECISIONS = ("fp32", "bf16", "int8", "int8head")
LABELS = {"int8head": "int8, last layer fp32"}


def cpu_name():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                flags = open("/proc/cpuinfo").read()
                extra = [x for x in ("avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16") if " %s " % x in flags]
                return "%s, %d vCPUs, %s" % (line.split(":", 1)[1].strip(), os.cpu_count(), ", ".join(extra))
    return "unknown CPU"


if __name__ == "__main__":
    main()
