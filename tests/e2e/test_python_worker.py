"""The Python worker end to end: TorchServe's example recipes from the
handler kit (custom metrics, micro-batching, eager ResNet-18 / DenseNet-161 /
VGG-16) archived with their READMEs' commands, and faults (crashes, handler
exceptions, import errors), logs and CPU pinning of Python handlers."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import textwrap
import unittest

import python_examples
from harness import BIN_DIR, HearthServer, concurrently, fixture
from test_launcher import cpu_set, proc_status

ARCHIVER = os.path.join(BIN_DIR, "hearth-archiver")


def read(path):
    with open(path, "rb") as f:
        return f.read()


def assert_close_answers(test, a, b, rel=0.01):
    test.assertEqual(list(a), list(b), "same labels in the same order")
    for label in a:
        test.assertAlmostEqual(a[label], b[label], delta=max(1e-6, rel * abs(b[label])), msg=label)


@unittest.skipUnless(python_examples.kit_present(), "handler kit not found at ../shared/conformance/python-handlers")
class KitExamplesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stage = python_examples.stage()
        cls.examples = os.path.join(cls.stage, "examples")
        # examples/custom_metrics/config.properties, with the test's ports.
        config = {"metrics_mode": "prometheus", "model_metrics_auto_detect": "true",
                  "metrics_config": os.path.join(cls.examples, "custom_metrics", "metrics.yaml")}
        cls.server = HearthServer(config, model_store=os.path.join(cls.stage, "model_store")).start()
        for name in ("mnist", "resnet-18", "resnet-18_ts", "resnet-18_mb", "densenet161", "vgg16"):
            r = cls.server.register(name + ".mar", initial_workers=1)
            assert r.status == 200, (name, r, cls.server.output())

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def kitten(self):
        return read(os.path.join(self.examples, "image_classifier", "kitten.jpg"))

    def predict(self, model, body):
        r = self.server.infer("PUT", "/predictions/" + model, body)  # curl -T
        self.assertEqual(r.status, 200, r)
        return r.json()

    def test_custom_metrics_example_answers_and_reaches_prometheus(self):
        digit = read(os.path.join(self.examples, "image_classifier", "mnist", "test_data", "0.png"))
        self.assertEqual(self.predict("mnist", digit), 0)
        text = self.server.metrics().body.decode()
        host = r'Hostname="[^"]+",'
        expected = [
            r'# HELP InitializeCallCount Torchserve prometheus counter metric with unit: count',
            r'InitializeCallCount\{ModelName="mnist",Level="Model",%s\} 1\.0' % host,
            r'InferenceRequestCount\{%s\} [1-9]\d*\.0' % host,
            r'PreprocessCallCount\{ModelName="mnist",%s\} [1-9]\d*\.0' % host,
            r'# HELP PostprocessCallCount Torchserve prometheus counter metric with unit: CallCount',
            r'PostprocessCallCount\{ModelName="mnist",Level="Model",%s\} [1-9]\d*\.0' % host,
            r'RequestBatchSize\{ModelName="mnist",%s\} 1\.0' % host,
            r'SizeOfImage\{ModelName="mnist",Level="Model",%s\} %s' % (host, re.escape(repr(len(digit) / 1024))),
            r'# TYPE HandlerMethodTime gauge',
            r'HandlerMethodTime\{MethodName="preprocess",ModelName="mnist",Level="Model",%s\} \d' % host,
            r'# TYPE ExamplePercentMetric histogram',
            r'ExamplePercentMetric_bucket\{ModelName="mnist",Level="Model",%sle="\+Inf",\} [1-9]\d*\.0' % host,
            r'ExamplePercentMetric_bucket\{ModelName="mnist",Level="Model",%sle="10\.0",\} 0\.0' % host,
        ]
        missing = [p for p in expected if not re.search(p, text)]
        handler_lines = [l for l in text.splitlines() if not l.startswith(("hearth_", "# HELP hearth", "# TYPE hearth"))]
        self.assertEqual(missing, [], "\n".join(handler_lines))
        self.assertRegex(text, r'HandlerTime\{ModelName="mnist",Level="Model",%s\} [0-9.]*[1-9]' % host)

    def test_eager_model_on_python_matches_torchscript_on_cpp(self):
        eager = self.predict("resnet-18", self.kitten())
        scripted = self.predict("resnet-18_ts", self.kitten())
        self.assertEqual(len(eager), 5)
        with open(os.path.join(self.examples, "image_classifier", "index_to_name.json")) as f:
            labels = json.load(f)
        known = {v[-1] if isinstance(v, list) else v for v in labels.values()}
        self.assertTrue(set(eager) <= known, eager)
        assert_close_answers(self, eager, scripted)

    def test_micro_batching_handler_gives_the_plain_handlers_answer(self):
        plain = self.predict("resnet-18", self.kitten())
        answers = concurrently(6, lambda i: self.server.infer("POST", "/predictions/resnet-18_mb", self.kitten()))
        for r in answers:
            self.assertEqual(r.status, 200, r)
            assert_close_answers(self, r.json(), plain, rel=1e-4)
        described = self.server.describe("resnet-18_mb").json()[0]
        self.assertEqual(described["batchSize"], 32)  # examples/micro_batching/config.yaml

    def test_densenet161_and_vgg16_eager_recipes(self):
        for model in ("densenet161", "vgg16"):
            answer = self.predict(model, self.kitten())
            self.assertEqual(len(answer), 5, (model, answer))
            self.assertLessEqual(sum(answer.values()), 1.0 + 1e-6)
            self.assertEqual(list(answer.values()), sorted(answer.values(), reverse=True))


FAULTY_HANDLER = '''
import logging
import os
import sys

import torch

from ts.utils.util import PredictionException

logger = logging.getLogger(__name__)


def handle(data, context):
    if data is None:
        logger.info("faulty handler ready with %d threads", torch.get_num_threads())
        return None
    answers = []
    for row in data:
        mode = row.get("body") or row.get("data")
        if isinstance(mode, (bytes, bytearray)):
            mode = mode.decode()
        if mode == "crash":
            os._exit(3)
        if mode == "raise":
            raise ValueError("the handler refuses")
        if mode == "predex":
            raise PredictionException("custom failure", 513)
        if mode == "log":
            print("hello from the handler")
            logger.warning("a warning from the handler")
            print("an error line", file=sys.stderr)
        if mode == "threads":
            mode = torch.get_num_threads()
        if mode == "pid":
            mode = os.getpid()
        answers.append(mode)
    return answers
'''


def make_archive(directory, name, handler_source, handler_file="handler.py"):
    with open(os.path.join(directory, handler_file), "w") as f:
        f.write(textwrap.dedent(handler_source))
    subprocess.check_call([ARCHIVER, "--model-name", name, "--version", "1.0", "--handler", handler_file,
                           "--export-path", directory, "-f"], cwd=directory)


class PythonWorkerFaultsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.store = tempfile.mkdtemp(prefix="hearth-pystore-")
        make_archive(cls.store, "faulty", FAULTY_HANDLER)
        make_archive(cls.store, "broken", "import nonexistent_module_for_hearth_test\n", "broken_handler.py")
        cls.server = HearthServer(model_store=cls.store).start()
        r = cls.server.register("faulty.mar", initial_workers=1)
        assert r.status == 200, (r, cls.server.output())

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        subprocess.call(["rm", "-rf", cls.store])

    def ask(self, text):
        return self.server.infer("POST", "/predictions/faulty", text.encode(), {"Content-Type": "text/plain"})

    def test_text_in_answer_out(self):
        r = self.ask("echo me")
        self.assertEqual((r.status, r.body), (200, b"echo me"))

    def test_handler_exceptions_answer_json_errors_and_the_worker_stays(self):
        pid = self.ask("pid").json()
        r = self.ask("raise")
        self.assertEqual(r.status, 503, r)
        self.assertEqual(r.json()["message"], "Prediction failed: ValueError: the handler refuses")
        r = self.ask("predex")
        self.assertEqual(r.status, 513, r)
        self.assertEqual(r.json(), {"code": 513, "type": "InternalServerException", "message": "custom failure"})
        self.assertEqual(self.ask("pid").json(), pid)  # same process

    def test_crash_fails_only_its_batch_and_restarts(self):
        before = self.server.worker_pids("faulty")
        r = self.ask("crash")
        self.assertEqual(r.status, 500, r)
        self.assertEqual(r.json()["message"], "Worker died.")
        self.server.wait_until(lambda: self.ask("pid").status == 200, timeout=60, what="restarted Python worker")
        self.assertNotEqual(self.ask("pid").json(), before[0])
        self.assertEqual(self.server.describe("faulty").json()[0]["workers"][0]["restarts"], 1)

    def test_handler_output_reaches_model_log(self):
        self.assertEqual(self.ask("log").status, 200)

        def logged():
            text = self.server.log("model_log.log")
            return ("-stdout MODEL_LOG - hello from the handler" in text
                    and "-stderr MODEL_LOG - an error line" in text
                    and "MODEL_LOG - a warning from the handler" in text)

        self.server.wait_until(logged, timeout=10, what="handler lines in model_log.log")
        self.assertRegex(self.server.log("model_log.log"),
                         r"\[INFO \] W-\d+-faulty_1\.0-stdout MODEL_LOG - faulty handler ready with \d+ threads")

    def test_import_error_fails_registration_with_the_reason(self):
        r = self.server.register("broken.mar", initial_workers=1)
        self.assertEqual(r.status, 500, r)
        self.assertIn("ModuleNotFoundError: No module named 'nonexistent_module_for_hearth_test'",
                      r.json()["message"])
        self.server.wait_until(lambda: "Traceback (most recent call last)" in self.server.log("model_log.log"),
                               timeout=10, what="the traceback in model_log.log")
        self.assertEqual(self.server.describe("broken").status, 404)  # rolled back


EXPLAINER_HANDLER = """
from ts.torch_handler.base_handler import BaseHandler


class Handler(BaseHandler):
    def initialize(self, context):
        self.context, self.manifest, self.initialized = context, context.manifest, True

    def preprocess(self, data):
        return [row.get("body") or row.get("data") for row in data]

    def inference(self, data, *args, **kwargs):
        return data

    def postprocess(self, data):
        return ["prediction of %d bytes" % len(d) for d in data]
"""


class ExplanationsTest(unittest.TestCase):
    """/explanations and KServe v1 :explain call the handler's explain_handle;
    a handler that cannot explain answers 501 naming why, never a prediction."""

    @classmethod
    def setUpClass(cls):
        cls.store = tempfile.mkdtemp(prefix="hearth-explain-")
        make_archive(cls.store, "plain", EXPLAINER_HANDLER)
        make_archive(cls.store, "explainer", EXPLAINER_HANDLER + """
    def get_insights(self, tensor_data, raw_data, target):
        return [{"attributions": len(raw_data), "target": target}]
""", "explainer_handler.py")
        shutil.copy(fixture("model_store", "tiny.mar"), cls.store)  # TorchScript, built-in tensor handler
        cls.server = HearthServer(model_store=cls.store).start()
        for name in ("plain", "explainer", "tiny"):
            r = cls.server.register(name + ".mar", initial_workers=1)
            assert r.status == 200, (r, cls.server.output())

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        subprocess.call(["rm", "-rf", cls.store])

    def test_explain_handle_answers_explanations_and_predictions_stay_predictions(self):
        r = self.server.infer("POST", "/explanations/explainer", b"abcd", {"Content-Type": "text/plain"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"attributions": 4, "target": 0})
        r = self.server.infer("POST", "/predictions/explainer", b"abcd", {"Content-Type": "text/plain"})
        self.assertEqual((r.status, r.body), (200, b"prediction of 4 bytes"))
        r = self.server.infer("POST", "/v1/models/explainer:explain", {"instances": [{"data": "xyz"}]})
        self.assertEqual(r.status, 200, r)
        self.assertIn("attributions", r.body.decode())

    def test_a_handler_that_cannot_explain_answers_501(self):
        for path in ("/explanations/plain", "/v1/models/plain:explain"):
            r = self.server.infer("POST", path, {"instances": [{"data": "xyz"}]})
            self.assertEqual(r.status, 501, (path, r))
            self.assertIn("cannot explain", r.json().get("message", r.json().get("error", "")), r)
        # The C++ worker's built-in handlers cannot explain either.
        r = self.server.infer("POST", "/explanations/tiny", [1.0, 2.0])
        self.assertEqual(r.status, 501, r)
        self.assertEqual(r.json()["type"], "NotImplementedException")
        self.assertIn("handler tensor cannot explain", r.json()["message"])
        self.assertEqual(self.server.infer("POST", "/predictions/tiny", [1.0, 2.0]).json(), [3.0, 5.0])


ECHO_HANDLER = """
import json


def _plain(value):
    if isinstance(value, (bytes, bytearray)):
        return {"bytes": bytes(value).decode("latin-1")}
    return value


def handle(data, context):
    if data is None:
        return None
    return [json.dumps({"inputs": {k: _plain(v) for k, v in row.items()},
                        "x_custom": context.get_request_header(i, "x-custom"),
                        "url_path": context.get_request_header(i, "url_path")})
            for i, row in enumerate(data)]
"""


class RequestSurfaceTest(unittest.TestCase):
    """What reaches a handler, as TorchServe passes it: the body typed by its
    content type, form fields, query parameters on the SageMaker and legacy
    routes (not on /predictions), headers."""

    @classmethod
    def setUpClass(cls):
        cls.store = tempfile.mkdtemp(prefix="hearth-echo-")
        make_archive(cls.store, "echo", ECHO_HANDLER)
        cls.server = HearthServer(model_store=cls.store).start()
        r = cls.server.register("echo.mar", initial_workers=1)
        assert r.status == 200, (r, cls.server.output())

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        subprocess.call(["rm", "-rf", cls.store])

    def echo(self, method, path, body, headers):
        r = self.server.infer(method, path, body, headers)
        self.assertEqual(r.status, 200, r)
        return r.json()

    def test_body_by_content_type_and_headers(self):
        got = self.echo("POST", "/predictions/echo/1.0/extra/path", b'{"a": 1}',
                        {"Content-Type": "application/json", "X-Custom": "yes"})
        self.assertEqual(got, {"inputs": {"body": {"a": 1}}, "x_custom": "yes", "url_path": "extra/path"})
        got = self.echo("POST", "/predictions/echo", b"words", {"Content-Type": "text/plain"})
        self.assertEqual(got["inputs"], {"body": "words"})
        got = self.echo("POST", "/predictions/echo", b"\x00\x01", {"Content-Type": "application/octet-stream"})
        self.assertEqual(got["inputs"], {"body": {"bytes": "\x00\x01"}})

    def test_query_parameters_only_on_sagemaker_and_legacy_routes(self):
        got = self.echo("POST", "/predictions/echo?topk=3", b"x", {"Content-Type": "text/plain"})
        self.assertEqual(got["inputs"], {"body": "x"})  # as TorchServe: /predictions passes none
        for path in ("/invocations?model_name=echo&topk=3", "/models/echo/invoke?topk=3", "/echo/predict?topk=3"):
            got = self.echo("POST", path, b"x", {"Content-Type": "text/plain"})
            self.assertEqual(got["inputs"]["topk"], {"bytes": "3"}, path)
            self.assertEqual(got["inputs"]["body"], "x", path)

    def test_form_fields(self):
        got = self.echo("POST", "/predictions/echo", b"a=1&b=two+words",
                        {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(got["inputs"], {"a": {"bytes": "1"}, "b": {"bytes": "two words"}})
        body = (b"--XX\r\nContent-Disposition: form-data; name=\"field\"\r\n\r\nvalue\r\n"
                b"--XX\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"d.json\"\r\n"
                b"Content-Type: application/json\r\n\r\n[1, 2]\r\n--XX--\r\n")
        got = self.echo("POST", "/predictions/echo", body, {"Content-Type": "multipart/form-data; boundary=XX"})
        self.assertEqual(got["inputs"], {"field": {"bytes": "value"}, "doc": [1, 2]})



def make_wheel(directory, name, version, source):
    """A pure-Python wheel of one module, made by hand: what a package index serves."""
    import base64
    import hashlib
    import zipfile
    dist = "%s-%s.dist-info" % (name, version)
    files = {
        "%s/__init__.py" % name: source,
        dist + "/METADATA": "Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (name, version),
        dist + "/WHEEL": "Wheel-Version: 1.0\nGenerator: hearth-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append("%s,sha256=%s,%d" % (path, digest, len(text.encode())))
    record.append(dist + "/RECORD,,")
    path = os.path.join(directory, "%s-%s-py3-none-any.whl" % (name, version))
    with zipfile.ZipFile(path, "w") as z:
        for name_in_zip, text in files.items():
            z.writestr(name_in_zip, text)
        z.writestr(dist + "/RECORD", "\n".join(record) + "\n")
    return path


DEPENDENT_HANDLER = """
import hearthtestpkg


def handle(data, context):
    if data is None:
        return None
    return [hearthtestpkg.greet() for _ in data]
"""


class PerModelDependenciesTest(unittest.TestCase):
    """requirements.txt with install_py_dep_per_model=true: installed into the
    model's own virtual environment from the configured package index (a
    local one here: PIP_NO_INDEX + PIP_FIND_LINKS), never into the system."""

    @classmethod
    def setUpClass(cls):
        cls.store = tempfile.mkdtemp(prefix="hearth-deps-")
        cls.index = os.path.join(cls.store, "index")
        os.makedirs(cls.index)
        make_wheel(cls.index, "hearthtestpkg", "1.0", "def greet():\n    return 'hello from a per-model package'\n")
        for name, requirement in (("needs_pkg", "hearthtestpkg==1.0"), ("needs_missing", "hearth-no-such-package==9.9")):
            with open(os.path.join(cls.store, "handler.py"), "w") as f:
                f.write(textwrap.dedent(DEPENDENT_HANDLER))
            with open(os.path.join(cls.store, "requirements.txt"), "w") as f:
                f.write(requirement + "\n")
            subprocess.check_call([ARCHIVER, "--model-name", name, "--version", "1.0", "--handler", "handler.py",
                                   "-r", "requirements.txt", "--export-path", cls.store, "-f"], cwd=cls.store,
                                  stdout=subprocess.DEVNULL)

    @classmethod
    def tearDownClass(cls):
        subprocess.call(["rm", "-rf", cls.store])

    def test_installs_into_the_models_own_environment(self):
        server = HearthServer(model_store=self.store, config={"install_py_dep_per_model": "true"},
                              env={"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": self.index}).start()
        try:
            r = server.register("needs_pkg.mar", initial_workers=1)
            self.assertEqual(r.status, 200, (r, server.output()))
            r = server.infer("POST", "/predictions/needs_pkg", b"x")
            self.assertEqual((r.status, r.body), (200, b"hello from a per-model package"))
            # The system Python has not got it.
            self.assertNotEqual(subprocess.call(["/usr/bin/python3", "-c", "import hearthtestpkg"],
                                                stderr=subprocess.DEVNULL), 0)
            # model_log.log is flushed once a second: wait for pip's line rather than read it at once.
            server.wait_until(lambda: "Successfully installed hearthtestpkg-1.0" in server.log("model_log.log"),
                              timeout=10, what="pip's output in model_log.log")
            # A package no index has: registration fails naming it, and the server stays healthy.
            r = server.register("needs_missing.mar", initial_workers=1)
            self.assertEqual(r.status, 400, r)
            self.assertIn("requirements.txt", r.json()["message"])
            self.assertIn("hearth-no-such-package", r.json()["message"])
            self.assertEqual(server.infer("GET", "/ping").status, 200)
            venvs = os.path.join(server.dir, "venvs")
            self.assertEqual(len(os.listdir(venvs)), 1, "the failed install's environment is removed")
            self.assertEqual(server.manage("DELETE", "/models/needs_pkg").status, 200)
            self.assertEqual(os.listdir(venvs), [], "unregister removes the model's environment")
        finally:
            server.cleanup()

    def test_without_the_setting_nothing_is_installed_and_the_import_error_is_named(self):
        server = HearthServer(model_store=self.store, env={"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": self.index}).start()
        try:
            r = server.register("needs_pkg.mar", initial_workers=1)
            self.assertEqual(r.status, 500, r)
            self.assertIn("No module named 'hearthtestpkg'", r.json()["message"])
        finally:
            server.cleanup()

STREAMING_HANDLER = """
from ts.protocol.otf_message_handler import send_intermediate_predict_response


def handle(data, context):
    if data is None:
        return None
    bodies = [row.get("body", row.get("data")) for row in data]
    bodies = [b.decode() if isinstance(b, (bytes, bytearray)) else b for b in bodies]
    for i in range(3):
        send_intermediate_predict_response(["part%d " % i if b in ("hi", "again") else "%s%d " % (b, i)
                                            for b in bodies],
                                           context.request_ids, "Intermediate Prediction success", 200, context)
    return ["last" if b in ("hi", "again") else "%s-last" % b for b in bodies]
"""


def raw_http(port, request):
    """The bytes the server answers to one raw request (the connection closes after it)."""
    import socket
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(request)
        chunks = []
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


class StreamingTest(unittest.TestCase):
    """send_intermediate_predict_response: HTTP/1.1 chunked parts, gRPC
    StreamPredictions messages, joined where a transport has one answer."""

    @classmethod
    def setUpClass(cls):
        cls.store = tempfile.mkdtemp(prefix="hearth-stream-")
        make_archive(cls.store, "streamer", STREAMING_HANDLER)
        cls.server = HearthServer(model_store=cls.store).start()
        # Batches of up to 4: concurrent requests share a batch and each gets its own parts.
        r = cls.server.register("streamer.mar", initial_workers=1, batch_size=4, max_batch_delay=100)
        assert r.status == 200, (r, cls.server.output())

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        subprocess.call(["rm", "-rf", cls.store])

    def test_http11_answers_each_part_as_a_chunk(self):
        answer = raw_http(self.server.inference_port,
                          b"POST /predictions/streamer HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                          b"Content-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi")
        head, _, body = answer.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 200"), head)
        self.assertIn(b"transfer-encoding: chunked", head.lower())
        self.assertNotIn(b"content-length", head.lower())
        self.assertEqual(body, b"6\r\npart0 \r\n6\r\npart1 \r\n6\r\npart2 \r\n4\r\nlast\r\n0\r\n\r\n")
        # http.client de-chunks: a client sees the parts joined ahead of the last.
        r = self.server.infer("POST", "/predictions/streamer", b"hi", {"Content-Type": "text/plain"})
        self.assertEqual((r.status, r.body), (200, b"part0 part1 part2 last"))
        # The connection stays usable after a streamed answer.
        r = self.server.infer("POST", "/predictions/streamer", b"again", {"Content-Type": "text/plain"})
        self.assertEqual(r.body, b"part0 part1 part2 last")

    def test_http10_gets_the_parts_joined_in_one_body(self):
        answer = raw_http(self.server.inference_port,
                          b"POST /predictions/streamer HTTP/1.0\r\nContent-Type: text/plain\r\n"
                          b"Content-Length: 2\r\n\r\nhi")
        head, _, body = answer.partition(b"\r\n\r\n")
        self.assertNotIn(b"chunked", head.lower())
        self.assertIn(b"content-length: 22", head.lower())
        self.assertEqual(body, b"part0 part1 part2 last")

    def test_batched_requests_each_get_their_own_parts(self):
        answers = concurrently(8, lambda i: self.server.infer("POST", "/predictions/streamer", b"r%d" % i,
                                                              {"Content-Type": "text/plain"}))
        self.assertEqual([(a.status, a.body) for a in answers],
                         [(200, b"r%d0 r%d1 r%d2 r%d-last" % (i, i, i, i)) for i in range(8)])

    def test_grpc_stream_predictions_answers_one_message_per_part(self):
        import grpc
        import grpc_stubs
        S = grpc_stubs.load()
        with grpc.insecure_channel("127.0.0.1:%d" % self.server.grpc_inference_port) as channel:
            stub = S.ts_grpc.InferenceAPIsServiceStub(channel)
            answers = list(stub.StreamPredictions(S.ts.PredictionsRequest(model_name="streamer",
                                                                          input={"data": b"hi"})))
            self.assertEqual([a.prediction for a in answers], [b"part0 ", b"part1 ", b"part2 ", b"last"])
            r = stub.Predictions(S.ts.PredictionsRequest(model_name="streamer", input={"data": b"hi"}))
            self.assertEqual(r.prediction, b"part0 part1 part2 last")


@unittest.skipIf(len(os.sched_getaffinity(0)) < 2, "needs 2 CPUs")
class PythonWorkerPinningTest(unittest.TestCase):
    def test_launcher_pins_python_workers_to_disjoint_cores(self):
        store = tempfile.mkdtemp(prefix="hearth-pystore-")
        self.addCleanup(subprocess.call, ["rm", "-rf", store])
        make_archive(store, "faulty", FAULTY_HANDLER)
        server = HearthServer({"cpu_launcher_enable": "true"}, model_store=store).start()
        self.addCleanup(server.cleanup)
        self.assertEqual(server.register("faulty.mar", initial_workers=2).status, 200)
        workers = server.describe("faulty").json()[0]["workers"]
        masks = [cpu_set(proc_status(w["pid"], "Cpus_allowed_list")) for w in workers]
        self.assertEqual(len(masks), 2)
        self.assertFalse(masks[0] & masks[1], masks)
        for w, mask in zip(workers, masks):
            self.assertEqual(cpu_set(w["cpus"]), mask)
        threads = {server.infer("POST", "/predictions/faulty", b"threads", {"Content-Type": "text/plain"}).json()
                   for _ in range(6)}
        self.assertEqual(threads, {len(masks[0])})  # torch.set_num_threads from the launcher's budget


if __name__ == "__main__":
    unittest.main()
