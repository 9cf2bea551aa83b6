"""gRPC against the real server with an independent client (Debian's grpcio,
stubs generated from the proto files): KServe v2 GRPCInferenceService with
raw_input_contents and typed contents, TorchServe's inference and
management services, grpc.health.v1, token auth and TLS."""
import json
import os
import signal
import struct
import subprocess
import threading
import time
import unittest

import grpc
import numpy as np

import grpc_stubs
from harness import HearthServer, read_fixture

S = grpc_stubs.load()


def infer_request(model, inputs, outputs=(), raw=True, request_id=""):
    """inputs: [(name, datatype, numpy array)]."""
    req = S.kserve.ModelInferRequest(model_name=model, id=request_id)
    for name, dt, array in inputs:
        t = req.inputs.add(name=name, datatype=dt, shape=list(array.shape))
        if raw:
            req.raw_input_contents.append(array.tobytes())
        elif dt == "FP32":
            t.contents.fp32_contents.extend(array.flatten().tolist())
        elif dt == "INT64":
            t.contents.int64_contents.extend(array.flatten().tolist())
    for o in outputs:
        req.outputs.add(name=o)
    return req


def outputs_of(response):
    types = {"FP32": np.float32, "INT64": np.int64, "INT32": np.int32, "UINT8": np.uint8, "BOOL": np.bool_}
    out = {}
    for o, raw in zip(response.outputs, response.raw_output_contents):
        if o.datatype == "BYTES":
            items, pos = [], 0
            while pos < len(raw):
                (n,) = struct.unpack_from("<I", raw, pos)
                items.append(raw[pos + 4:pos + 4 + n])
                pos += 4 + n
            out[o.name] = items
        else:
            out[o.name] = np.frombuffer(raw, types[o.datatype]).reshape(list(o.shape))
    return out


class GrpcTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = HearthServer().start()
        cls.channel = grpc.insecure_channel("127.0.0.1:%d" % cls.server.grpc_inference_port)
        cls.mchannel = grpc.insecure_channel("127.0.0.1:%d" % cls.server.grpc_management_port)
        cls.v2 = S.kserve_grpc.GRPCInferenceServiceStub(cls.channel)
        cls.ts = S.ts_grpc.InferenceAPIsServiceStub(cls.channel)
        cls.mgmt = S.mgmt_grpc.ManagementAPIsServiceStub(cls.mchannel)
        for mar in ("two_io.mar", "echo.mar", "colors.mar", "tiny.mar"):
            r = cls.mgmt.RegisterModel(S.mgmt.RegisterModelRequest(url=mar, initial_workers=1, synchronous=True))
            assert "registered" in json.loads(r.msg)["status"], r.msg

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.mchannel.close()
        cls.server.cleanup()

    def test_health_and_metadata(self):
        self.assertTrue(self.v2.ServerLive(S.kserve.ServerLiveRequest()).live)
        self.assertTrue(self.v2.ServerReady(S.kserve.ServerReadyRequest()).ready)
        self.assertTrue(self.v2.ModelReady(S.kserve.ModelReadyRequest(name="two_io")).ready)
        meta = self.v2.ServerMetadata(S.kserve.ServerMetadataRequest())
        self.assertEqual(meta.name, "hearth")
        self.assertIn("binary_tensor_data", meta.extensions)
        m = self.v2.ModelMetadata(S.kserve.ModelMetadataRequest(name="two_io"))
        self.assertEqual((m.name, list(m.versions), m.platform), ("two_io", ["1.0"], "pytorch_torchscript"))
        self.assertEqual([i.name for i in m.inputs], ["image", "counts"])
        with self.assertRaises(grpc.RpcError) as e:
            self.v2.ModelMetadata(S.kserve.ModelMetadataRequest(name="nope"))
        self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND)
        for channel in (self.channel, self.mchannel):
            health = S.health_grpc.HealthStub(channel)
            self.assertEqual(health.Check(S.health.HealthCheckRequest()).status, S.health.HealthCheckResponse.SERVING)
        ping = self.ts.Ping(__import__("google.protobuf.empty_pb2", fromlist=["Empty"]).Empty())
        self.assertEqual(json.loads(ping.health), {"status": "Healthy"})

    def test_model_infer_raw_and_typed(self):
        image = np.arange(6, dtype=np.float32).reshape(2, 3)
        counts = np.array([[1, 2], [3, 4]], dtype=np.int64)
        r = self.v2.ModelInfer(infer_request("two_io", [("image", "FP32", image), ("counts", "INT64", counts)],
                                             request_id="g-1"))
        self.assertEqual((r.model_name, r.model_version, r.id), ("two_io", "1.0", "g-1"))
        out = outputs_of(r)
        np.testing.assert_array_equal(out["OUTPUT__0"], image * 2)
        np.testing.assert_array_equal(out["OUTPUT__1"], [3, 7])
        self.assertEqual(r.outputs[1].datatype, "INT64")
        # Typed contents and one requested output.
        r = self.v2.ModelInfer(infer_request("two_io", [("INPUT__0", "FP32", image), ("INPUT__1", "INT64", counts)],
                                             outputs=["OUTPUT__1"], raw=False))
        self.assertEqual([o.name for o in r.outputs], ["OUTPUT__1"])
        np.testing.assert_array_equal(outputs_of(r)["OUTPUT__1"], [3, 7])
        # A ResNet-sized input (150 KB) through raw contents.
        big = np.random.RandomState(0).rand(1, 3, 224, 224).astype(np.float32)
        r = self.v2.ModelInfer(infer_request("echo", [("x", "FP32", big)]))
        np.testing.assert_array_equal(outputs_of(r)["OUTPUT__0"], big)

    def test_model_infer_envelope_image(self):
        red = read_fixture("images", "red.png")
        req = S.kserve.ModelInferRequest(model_name="colors")
        req.inputs.add(name="img", datatype="BYTES", shape=[1])
        req.raw_input_contents.append(struct.pack("<I", len(red)) + red)
        r = self.v2.ModelInfer(req)
        answer = json.loads(outputs_of(r)["img"][0])
        self.assertEqual(max(answer, key=answer.get), "red")

    def test_bad_tensors(self):
        image = np.zeros((2, 3), np.float32)
        cases = [
            (infer_request("two_io", [("image", "FP32", image)]), grpc.StatusCode.INVALID_ARGUMENT, "missing input"),
            (infer_request("two_io", [("picture", "FP32", image)]), grpc.StatusCode.INVALID_ARGUMENT, "unknown input"),
            (infer_request("nope", [("x", "FP32", image)]), grpc.StatusCode.NOT_FOUND, "nope"),
        ]
        short = infer_request("two_io", [("image", "FP32", image)])
        short.raw_input_contents[0] = b"\0" * 5
        cases.append((short, grpc.StatusCode.INVALID_ARGUMENT, "needs 24 bytes, got 5"))
        bad_type = infer_request("two_io", [("image", "FP32", image)])
        bad_type.inputs[0].datatype = "FLOAT"
        cases.append((bad_type, grpc.StatusCode.INVALID_ARGUMENT, "unknown datatype"))
        for req, code, message in cases:
            with self.subTest(message=message):
                with self.assertRaises(grpc.RpcError) as e:
                    self.v2.ModelInfer(req)
                self.assertEqual(e.exception.code(), code)
                self.assertIn(message, e.exception.details())
        self.assertTrue(self.v2.ServerReady(S.kserve.ServerReadyRequest()).ready)

    def test_torchserve_predictions_and_streams(self):
        r = self.ts.Predictions(S.ts.PredictionsRequest(model_name="tiny", input={"data": b"[2.0]"}))
        self.assertEqual(json.loads(r.prediction), [5.0])
        red = read_fixture("images", "red.png")
        r = self.ts.Predictions(S.ts.PredictionsRequest(model_name="colors", input={"data": red}))
        self.assertEqual(max(json.loads(r.prediction), key=json.loads(r.prediction).get), "red")
        answers = list(self.ts.StreamPredictions(S.ts.PredictionsRequest(model_name="tiny", input={"data": b"[1.0]"})))
        self.assertEqual([json.loads(a.prediction) for a in answers], [[3.0]])
        with self.assertRaises(grpc.RpcError) as e:
            self.ts.Predictions(S.ts.PredictionsRequest(model_name="nope", input={"data": b"[1.0]"}))
        self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND)
        # Bidirectional: every request answered, errors in-band.
        requests = [S.ts.PredictionsRequest(model_name="tiny", input={"data": b"[%d.0]" % i}, sequenceId="s%d" % i)
                    for i in range(5)]
        requests.append(S.ts.PredictionsRequest(model_name="nope", input={"data": b"[1.0]"}, sequenceId="bad"))
        answers = {a.sequenceId: a for a in self.ts.StreamPredictions2(iter(requests))}
        self.assertEqual(set(answers), {"s0", "s1", "s2", "s3", "s4", "bad"})
        for i in range(5):
            self.assertEqual(json.loads(answers["s%d" % i].prediction), [2.0 * i + 1.0])
        self.assertEqual(answers["bad"].status.code, grpc.StatusCode.NOT_FOUND.value[0])

    def test_management(self):
        r = self.mgmt.RegisterModel(S.mgmt.RegisterModelRequest(url="tiny.mar", model_name="tiny2",
                                                                initial_workers=1, synchronous=True))
        self.assertIn("tiny2", json.loads(r.msg)["status"])
        listed = json.loads(self.mgmt.ListModels(S.mgmt.ListModelsRequest()).msg)
        self.assertIn("tiny2", [m["modelName"] for m in listed["models"]])
        r = self.mgmt.ScaleWorker(S.mgmt.ScaleWorkerRequest(model_name="tiny2", min_worker=2, synchronous=True))
        self.assertIn("status", json.loads(r.msg))
        described = json.loads(self.mgmt.DescribeModel(S.mgmt.DescribeModelRequest(model_name="tiny2")).msg)
        self.assertEqual(len(described[0]["workers"]), 2)
        with self.assertRaises(grpc.RpcError) as e:
            self.mgmt.DescribeModel(S.mgmt.DescribeModelRequest(model_name="nope"))
        self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND)
        with self.assertRaises(grpc.RpcError) as e:
            self.mgmt.RegisterModel(S.mgmt.RegisterModelRequest(url="no_such.mar"))
        self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND)
        r = self.mgmt.UnregisterModel(S.mgmt.UnregisterModelRequest(model_name="tiny2"))
        self.assertIn("unregistered", json.loads(r.msg)["status"])
        self.server.wait_until(lambda: "gRPC org.pytorch.serve.grpc.management.ManagementAPIsService/UnregisterModel"
                               in self.server.log("access_log.log"), what="the gRPC call in access_log.log")


class GrpcSecurityTest(unittest.TestCase):
    def test_token_auth_and_tls(self):
        cert_dir = self.enterContext(__import__("tempfile").TemporaryDirectory()) if hasattr(
            self, "enterContext") else __import__("tempfile").mkdtemp()
        key, cert = os.path.join(cert_dir, "key.pem"), os.path.join(cert_dir, "cert.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
                       check=True, capture_output=True)
        server = HearthServer({"disable_token_authorization": "false", "enable_grpc_ssl": "true",
                               "private_key_file": key, "certificate_file": cert}).start()
        try:
            with open(os.path.join(server.dir, "key_file.json")) as f:
                keys = json.load(f)
            with open(cert, "rb") as f:
                creds = grpc.ssl_channel_credentials(root_certificates=f.read())
            options = (("grpc.ssl_target_name_override", "localhost"),)
            channel = grpc.secure_channel("127.0.0.1:%d" % server.grpc_inference_port, creds, options)
            mchannel = grpc.secure_channel("127.0.0.1:%d" % server.grpc_management_port, creds, options)
            mgmt = S.mgmt_grpc.ManagementAPIsServiceStub(mchannel)
            v2 = S.kserve_grpc.GRPCInferenceServiceStub(channel)
            with self.assertRaises(grpc.RpcError) as e:
                mgmt.RegisterModel(S.mgmt.RegisterModelRequest(url="tiny.mar", initial_workers=1, synchronous=True))
            self.assertEqual(e.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
            self.assertIn("key_file.json", e.exception.details())
            mgmt.RegisterModel(S.mgmt.RegisterModelRequest(url="tiny.mar", initial_workers=1, synchronous=True),
                               metadata=(("authorization", "Bearer " + keys["management"]["key"]),))
            req = infer_request("tiny", [("x", "FP32", np.array([[1.0]], np.float32))])
            with self.assertRaises(grpc.RpcError) as e:
                v2.ModelInfer(req)
            self.assertEqual(e.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
            r = v2.ModelInfer(req, metadata=(("authorization", "Bearer " + keys["inference"]["key"]),))
            self.assertEqual(outputs_of(r)["OUTPUT__0"].tolist(), [[3.0]])
            # Readiness needs no key (probes).
            self.assertTrue(v2.ServerReady(S.kserve.ServerReadyRequest()).ready)
            # A plaintext client cannot talk to the TLS port.
            plain = S.kserve_grpc.GRPCInferenceServiceStub(
                grpc.insecure_channel("127.0.0.1:%d" % server.grpc_inference_port))
            with self.assertRaises(grpc.RpcError):
                plain.ServerLive(S.kserve.ServerLiveRequest(), timeout=5)
            channel.close()
            mchannel.close()
        finally:
            server.cleanup()

    def test_health_turns_not_serving_during_drain(self):
        server = HearthServer().start()
        try:
            self.assertEqual(server.register("slow.mar", initial_workers=1).status, 200)
            channel = grpc.insecure_channel("127.0.0.1:%d" % server.grpc_inference_port)
            health = S.health_grpc.HealthStub(channel)
            self.assertEqual(health.Check(S.health.HealthCheckRequest()).status, S.health.HealthCheckResponse.SERVING)
            result = {}
            t = threading.Thread(target=lambda: result.update(
                r=server.infer("POST", "/predictions/slow", [600.0], timeout=60)))
            t.start()
            time.sleep(0.3)
            server.proc.send_signal(signal.SIGTERM)
            time.sleep(0.2)
            self.assertEqual(health.Check(S.health.HealthCheckRequest()).status,
                             S.health.HealthCheckResponse.NOT_SERVING)
            v2 = S.kserve_grpc.GRPCInferenceServiceStub(channel)
            self.assertFalse(v2.ServerReady(S.kserve.ServerReadyRequest()).ready)
            t.join()
            self.assertEqual(result["r"].status, 200)
            channel.close()
        finally:
            server.cleanup()

    def test_port_in_use_is_a_clear_startup_error(self):
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen()
            server = HearthServer({"grpc_inference_port": str(s.getsockname()[1])})
            server.start(wait=False)
            try:
                self.assertNotEqual(server.proc.wait(timeout=30), 0)
                self.assertIn("gRPC inference API: cannot listen on 127.0.0.1:%d" % s.getsockname()[1],
                              server.output())
                self.assertIn("grpc_inference_port", server.output())
            finally:
                server.cleanup()


if __name__ == "__main__":
    unittest.main()
