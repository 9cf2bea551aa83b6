"""Python gRPC stubs generated from Hearth's proto files with Debian's protoc
and grpc_python_plugin, so the tests talk to the server with an independent
client (grpcio) rather than Hearth's own code."""
import importlib
import os
import subprocess
import sys
import tempfile

PROTO_DIR = os.path.join(os.path.dirname(__file__), "../../proto")
TEST_PROTO_DIR = os.path.join(os.path.dirname(__file__), "protos")
PROTOS = ["kserve/grpc_predict_v2.proto", "torchserve/inference.proto", "torchserve/management.proto",
          "google/rpc/status.proto"]
_out = None


def load():
    """Returns a namespace with the generated modules (kserve, kserve_grpc, ts, ts_grpc, mgmt, mgmt_grpc)."""
    global _out
    if _out is None:
        _out = tempfile.mkdtemp(prefix="hearth-grpc-stubs-")
        plugin = ["--grpc_out=" + _out, "--plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin"]
        subprocess.run(["protoc", "--proto_path=" + PROTO_DIR, "--proto_path=/usr/include", "--python_out=" + _out]
                       + plugin + PROTOS, check=True)
        subprocess.run(["protoc", "--proto_path=" + TEST_PROTO_DIR, "--python_out=" + _out] + plugin
                       + ["health_v1.proto"], check=True)
        # Generated modules import each other by package path (google.rpc.status_pb2, ...);
        # no __init__.py, so google/ stays a namespace package that merges
        # with the installed google.protobuf.
        import google.protobuf  # noqa: F401  (import the installed one first)
        import google
        google.__path__.append(os.path.join(_out, "google"))
        sys.path.append(_out)

    class Stubs:
        kserve = importlib.import_module("kserve.grpc_predict_v2_pb2")
        kserve_grpc = importlib.import_module("kserve.grpc_predict_v2_pb2_grpc")
        ts = importlib.import_module("torchserve.inference_pb2")
        ts_grpc = importlib.import_module("torchserve.inference_pb2_grpc")
        mgmt = importlib.import_module("torchserve.management_pb2")
        mgmt_grpc = importlib.import_module("torchserve.management_pb2_grpc")
        health = importlib.import_module("health_v1_pb2")
        health_grpc = importlib.import_module("health_v1_pb2_grpc")
    return Stubs
