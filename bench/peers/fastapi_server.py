#!/usr/bin/python3
"""The server users would otherwise write: FastAPI + uvicorn (uvloop,
httptools) serving the same TorchScript model as Hearth, with the same
preprocessing and answers as Hearth's built-in handlers, so hearth-bench
can put the two side by side (`--compare "target=http://127.0.0.1:PORT/predictions/NAME,label=fastapi"`).

  fastapi_server.py MODEL.mar|MODEL.pt [--port 9090] [--threads N] [--workers N] [--handler image_classifier|tensor]

--workers N runs N uvicorn worker processes on the port (uvicorn's own
multi-process mode), each with --threads intra-op threads.

POST /predictions/{name}: image_classifier takes an image body and answers
the top-5 {label: probability} (index_to_name.json from the .mar when
present); tensor takes a JSON list (one sample) and answers the output as a
list. GET /ping answers {"status": "Healthy"}. Inference runs in a worker
thread (run_in_threadpool), the idiomatic FastAPI way to call blocking code.
"""
import argparse
import io
import json
import os
import tempfile
import zipfile

import torch
import torchvision.transforms as T
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from PIL import Image
from starlette.concurrency import run_in_threadpool


def load(path):
    """Returns (module, handler from the manifest or None, labels or None)."""
    if not path.endswith(".mar"):
        return torch.jit.load(path).eval(), None, None
    with zipfile.ZipFile(path) as z:
        manifest = json.loads(z.read("MAR-INF/MANIFEST.json"))["model"]
        tmp = tempfile.mkdtemp(prefix="fastapi-peer-")
        z.extract(manifest["serializedFile"], tmp)
        labels = json.loads(z.read("index_to_name.json")) if "index_to_name.json" in z.namelist() else None
    module = torch.jit.load(os.path.join(tmp, manifest["serializedFile"])).eval()
    return module, manifest.get("handler"), labels


def create_app():
    """The app of one uvicorn process, configured through FASTAPI_PEER_ARGS (JSON)."""
    args = json.loads(os.environ["FASTAPI_PEER_ARGS"])
    torch.set_num_threads(args["threads"])
    module, handler, labels = load(args["model"])
    handler = args["handler"] or handler or "tensor"
    preprocess = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(),
                            T.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])])

    def label(i):
        if not labels:
            return str(i)
        v = labels.get(str(i), str(i))
        return v[-1] if isinstance(v, list) else v

    def classify(body):
        x = preprocess(Image.open(io.BytesIO(body)).convert("RGB")).unsqueeze(0)
        with torch.inference_mode():
            probs = torch.softmax(module(x), dim=1)[0]
        top = torch.topk(probs, min(5, probs.numel()))
        return {label(i): p for p, i in zip(top.values.tolist(), top.indices.tolist())}

    def tensor(body):
        x = torch.tensor(json.loads(body), dtype=torch.float32).unsqueeze(0)
        with torch.inference_mode():
            return module(x)[0].tolist()

    infer = classify if handler == "image_classifier" else tensor
    app = FastAPI()

    @app.get("/ping")
    async def ping():
        return {"status": "Healthy"}

    @app.post("/predictions/{name}")
    async def predict(name: str, request: Request):
        body = await request.body()
        try:
            return await run_in_threadpool(infer, body)
        except Exception as e:  # a bad input is the client's error, as in Hearth
            return JSONResponse(status_code=400, content={"code": 400, "message": str(e)})

    return app


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--port", type=int, default=9090)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--handler")
    args = ap.parse_args()
    os.environ["FASTAPI_PEER_ARGS"] = json.dumps({"model": os.path.abspath(args.model), "threads": args.threads,
                                                  "handler": args.handler})
    options = dict(host="127.0.0.1", port=args.port, loop="uvloop", http="httptools", log_level="warning",
                   access_log=False)
    if args.workers > 1:
        uvicorn.run("fastapi_server:create_app", factory=True, workers=args.workers,
                    app_dir=os.path.dirname(os.path.abspath(__file__)), **options)
    else:
        uvicorn.run(create_app(), **options)


if __name__ == "__main__":
    main()
