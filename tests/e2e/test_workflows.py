"""Workflows end to end: hearth-workflow-archiver writes TorchServe's .war,
the /workflows management API registers, lists, describes and unregisters
them, /wfpredict runs a request through the DAG (function nodes in the
Python worker, model nodes as ordinary models), and bad specs, failing
nodes and timeouts get answers that name the problem. The last class serves
TorchServe's dog-breed workflow example from the handler kit with its
README's commands."""
import glob
import json
import os
import shutil
import signal
import subprocess
import tempfile
import textwrap
import time
import unittest
import zipfile

from harness import BIN_DIR, HEARTH, HearthServer, concurrently, request
import python_examples

WF_ARCHIVER = os.path.join(BIN_DIR, "hearth-workflow-archiver")
ARCHIVER = os.path.join(BIN_DIR, "hearth-archiver")

FUNCTIONS = """
import json
import os
import time


def _text(value):
    return bytes(value).decode() if isinstance(value, (bytes, bytearray)) else str(value)


def pre(data, context):
    if data is None:
        return None
    return [_text(row.get("data") or row.get("body")).upper() for row in data]


def left(data, context):
    if data is None:
        return None
    return ["L(" + _text(row["body"]) + ")" for row in data]


def right(data, context):
    if data is None:
        return None
    return ["R(" + _text(row["body"]) + ")" for row in data]


def join(data, context):
    if data is None:
        return None
    return [{"inputs": sorted(row.keys()), "left": _text(row["left"]), "right": _text(row["right"]),
             "header": context.get_request_header(0, "x-test")} for row in data]


def count(data, context):
    if data is None:
        return None
    return [json.dumps({"n": 1}) for row in data]


def flaky(data, context):
    # Fails until it has been called `fails` times (counted in a file).
    if data is None:
        return None
    path = os.path.join(os.environ["HEARTH_WF_TEST_DIR"], "flaky_calls")
    calls = int(open(path).read()) + 1 if os.path.exists(path) else 1
    with open(path, "w") as f:
        f.write(str(calls))
    if calls <= int(os.environ.get("HEARTH_WF_FLAKY_FAILS", "1")):
        raise ValueError("flaky failure number %d" % calls)
    return ["ok after %d calls" % calls for row in data]


def broken(data, context):
    if data is None:
        return None
    raise RuntimeError("broken on purpose")


def slow(data, context):
    if data is None:
        return None
    time.sleep(3)
    return ["late" for row in data]
"""


def write(directory, name, text):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(textwrap.dedent(text))
    return path


def make_war(directory, name, spec, handler_source=FUNCTIONS, extra=()):
    spec_path = write(directory, name + ".yaml", spec)
    handler_path = write(directory, name + "_handler.py", handler_source)
    argv = [WF_ARCHIVER, "--workflow-name", name, "--spec-file", spec_path, "--handler", handler_path,
            "--export-path", directory, "-f"]
    if extra:
        argv += ["--extra-files", ",".join(extra)]
    subprocess.check_call(argv, stdout=subprocess.DEVNULL)
    return name + ".war"


class WorkflowArchiverTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="hearth-war-")
        self.spec = write(self.dir, "spec.yaml", "models: {}\ndag:\n  pre: [post]\n")
        self.handler = write(self.dir, "handler.py", "def pre(d, c):\n    return d\n")
        self.extra = write(self.dir, "labels.json", "{}")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def archive(self, *args):
        return subprocess.run([WF_ARCHIVER] + list(args), cwd=self.dir, capture_output=True, text=True)

    def test_war_layout_and_manifest_as_torch_workflow_archiver(self):
        r = self.archive("--workflow-name", "wf", "--spec-file", self.spec, "--handler", self.handler,
                         "--extra-files", self.extra, "--export-path", self.dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        with zipfile.ZipFile(os.path.join(self.dir, "wf.war")) as z:
            self.assertEqual(sorted(z.namelist()), ["WAR-INF/MANIFEST.json", "handler.py", "labels.json", "spec.yaml"])
            manifest = json.loads(z.read("WAR-INF/MANIFEST.json"))
        self.assertEqual(list(manifest), ["createdOn", "workflow", "archiverVersion"])
        self.assertEqual(manifest["workflow"], {"workflowName": "wf", "specFile": "spec.yaml",
                                                "handler": "handler.py"})
        self.assertRegex(manifest["createdOn"], r"^\d\d/\d\d/\d{4} \d\d:\d\d:\d\d$")

    def test_existing_archive_needs_force(self):
        args = ["--workflow-name", "wf", "--spec-file", self.spec, "--handler", self.handler]
        self.assertEqual(self.archive(*args).returncode, 0)
        again = self.archive(*args)
        self.assertEqual(again.returncode, 1)
        self.assertIn("already exists", again.stderr)
        self.assertIn("--force", again.stderr)
        self.assertEqual(self.archive(*(args + ["-f"])).returncode, 0)

    def test_bad_inputs_name_the_problem(self):
        r = self.archive("--workflow-name", "bad name!", "--spec-file", self.spec, "--handler", self.handler)
        self.assertEqual(r.returncode, 1)
        self.assertIn("special characters", r.stderr)
        r = self.archive("--workflow-name", "wf", "--spec-file", "nope.yaml", "--handler", self.handler)
        self.assertEqual(r.returncode, 1)
        self.assertIn("--spec-file", r.stderr)
        self.assertIn("nope.yaml", r.stderr)
        r = self.archive("--workflow-name", "wf", "--spec-file", self.spec, "--export-path", self.spec)
        self.assertEqual(r.returncode, 1)
        self.assertIn("is not a directory", r.stderr)
        r = self.archive("--spec-file", self.spec)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--workflow-name", r.stderr)
        self.assertEqual(glob.glob(os.path.join(self.dir, "*.war")), [])


class WorkflowApiTest(unittest.TestCase):
    """Function-only workflows: fast to start, every route and failure."""

    @classmethod
    def setUpClass(cls):
        cls.store = tempfile.mkdtemp(prefix="hearth-wfstore-")
        make_war(cls.store, "fan", """
            models:
              timeout-ms: 20000
            dag:
              pre: [left, right]
              left: [join]
              right: [join]
            """)
        make_war(cls.store, "two_leaves", """
            models: {}
            dag:
              pre: [left, right]
            """)
        make_war(cls.store, "flaky_wf", """
            models:
              retry-attempts: 2
            dag:
              pre: [flaky]
            """)
        make_war(cls.store, "broken_wf", """
            models:
              retry-attempts: 1
            dag:
              pre: [broken]
            """)
        make_war(cls.store, "slow_wf", """
            models:
              retry-attempts: 0
              timeout-ms: 500
            dag:
              pre: [slow]
            """)
        make_war(cls.store, "cycle", "models: {}\ndag:\n  pre: [a]\n  a: [b]\n  b: [a]\n")
        make_war(cls.store, "two_starts", "models: {}\ndag:\n  a: [c]\n  b: [c]\n")
        make_war(cls.store, "self_loop", "models: {}\ndag:\n  a: [a]\n")
        make_war(cls.store, "bad_setting", "models:\n  batch-size: many\ndag:\n  pre: [left]\n")
        make_war(cls.store, "no_url", "models:\n  m1:\n    batch-size: 2\ndag:\n  pre: [m1]\n")
        make_war(cls.store, "missing_fn", "models: {}\ndag:\n  pre: [no_such_function]\n")
        make_war(cls.store, "missing_model", "models:\n  m1:\n    url: no_such.mar\ndag:\n  pre: [m1]\n")
        cls.server = HearthServer(model_store=cls.store, env={"HEARTH_WF_TEST_DIR": cls.store,
                                                              "HEARTH_WF_FLAKY_FAILS": "2"}).start()
        for war in ("fan.war", "two_leaves.war", "flaky_wf.war", "broken_wf.war", "slow_wf.war"):
            r = cls.server.manage("POST", "/workflows?url=" + war)
            assert r.status == 200, (war, r, cls.server.output())

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        shutil.rmtree(cls.store, ignore_errors=True)

    def test_fan_out_and_fan_in(self):
        r = self.server.infer("POST", "/wfpredict/fan", b"hello", {"Content-Type": "text/plain", "X-Test": "t1"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers["content-type"], "application/json")
        # Parents' answers reach a fan-in node under the parents' names; every node sees the request's headers.
        self.assertEqual(r.json(), {"inputs": ["left", "right"], "left": "L(HELLO)", "right": "R(HELLO)",
                                    "header": "t1"})

    def test_concurrent_requests_each_get_their_own_answer(self):
        answers = concurrently(6, lambda i: self.server.infer("POST", "/wfpredict/fan", b"r%d" % i,
                                                              {"Content-Type": "text/plain"}))
        self.assertEqual([a.json()["left"] for a in answers], ["L(R%d)" % i for i in range(6)])

    def test_several_leaves_answer_one_object_keyed_by_leaf(self):
        r = self.server.infer("POST", "/wfpredict/two_leaves", b"x", {"Content-Type": "text/plain"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"left": "L(X)", "right": "R(X)"})

    def test_any_method_and_form_fields(self):
        r = self.server.infer("PUT", "/wfpredict/fan", b"put body", {"Content-Type": "text/plain"})
        self.assertEqual(r.json()["left"], "L(PUT BODY)")
        r = self.server.infer("POST", "/wfpredict/fan", b"data=form+field",
                              {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(r.json()["right"], "R(FORM FIELD)")

    def test_list_describe_and_paging(self):
        r = self.server.manage("GET", "/workflows")
        self.assertEqual(r.status, 200)
        names = [w["workflowName"] for w in r.json()["workflows"]]
        self.assertEqual(names, sorted(names))
        self.assertIn("fan", names)
        self.assertIn({"workflowName": "fan", "workflowUrl": "fan.war"}, r.json()["workflows"])
        page = self.server.manage("GET", "/workflows?limit=2").json()
        self.assertEqual(len(page["workflows"]), 2)
        self.assertEqual(page["nextPageToken"], "2")
        rest = self.server.manage("GET", "/workflows?limit=2&next_page_token=2").json()
        self.assertEqual(rest["workflows"][0]["workflowName"], names[2])
        d = self.server.manage("GET", "/workflows/fan")
        self.assertEqual(d.status, 200)
        desc = d.json()[0]
        self.assertEqual(desc["workflowName"], "fan")
        self.assertEqual(desc["workflowDag"], "{pre=[left, right], left=[join], right=[join]}")
        self.assertEqual((desc["minWorkers"], desc["maxWorkers"], desc["batchSize"], desc["maxBatchDelay"]),
                         (1, 1, 1, 50))
        self.assertEqual(desc["nodeModels"], ["fan__pre", "fan__left", "fan__right", "fan__join"])
        models = [m["modelName"] for m in self.server.manage("GET", "/models").json()["models"]]
        self.assertTrue({"fan__pre", "fan__left", "fan__right", "fan__join"} <= set(models), models)

    def test_unknown_workflow_is_404(self):
        for method, path in (("POST", "/wfpredict/nope"), ("GET", "/workflows/nope"), ("DELETE", "/workflows/nope")):
            port = self.server.inference_port if path.startswith("/wfpredict") else self.server.management_port
            r = request(port, method, path, b"x" if method == "POST" else None)
            self.assertEqual(r.status, 404, (path, r))
            self.assertEqual(r.json()["message"], "Workflow not found: nope")
            self.assertEqual(r.json()["type"], "WorkflowNotFoundException")

    def test_registration_errors_name_the_problem(self):
        cases = [
            ("", 400, "Parameter url is required."),
            ("no_such.war", 404, "Workflow not found in workflow store: no_such.war"),
            ("../fan.war", 404, "Relative path is not allowed"),
            ("fan.war", 409, "Workflow fan is already registered."),
            ("cycle.war", 400, "Not a valid DAG: a cycle through a, b"),
            ("two_starts.war", 400, "DAG should have only one start node; found 2: a, b"),
            ("self_loop.war", 400, "Self loop exception"),
            ("bad_setting.war", 400, "bad_setting.yaml: models.batch-size must be a whole number >= 1, got \"many\""),
            ("no_url.war", 400, "models.m1.url is missing"),
            ("missing_fn.war", 500, "Workflow Node missing_fn__no_such_function failed to register"),
            ("missing_model.war", 500, "Model not found at: no_such.mar"),
        ]
        for url, status, message in cases:
            r = self.server.manage("POST", "/workflows?url=" + url if url else "/workflows")
            self.assertEqual(r.status, status, (url, r))
            self.assertIn(message, r.json()["message"], url)
            if "DAG" in message or "loop exception" in message:
                self.assertEqual(r.json()["type"], "InvalidDAGException", url)
            if status == 500:
                self.assertEqual(r.json()["type"], "WorkflowException", url)
        # A failed registration leaves neither the workflow nor any of its nodes behind.
        names = [w["workflowName"] for w in self.server.manage("GET", "/workflows").json()["workflows"]]
        self.assertNotIn("missing_fn", names)
        models = [m["modelName"] for m in self.server.manage("GET", "/models").json()["models"]]
        self.assertFalse([m for m in models if m.startswith(("missing_fn__", "missing_model__"))], models)
        # The server is still healthy and serving.
        self.assertEqual(self.server.infer("GET", "/ping").status, 200)

    def test_a_failing_node_is_retried_then_named(self):
        r = self.server.infer("POST", "/wfpredict/broken_wf", b"x", {"Content-Type": "text/plain"})
        self.assertEqual(r.status, 500, r)
        self.assertEqual(r.json()["type"], "InternalServerException")
        self.assertIn("Error executing broken", r.json()["message"])
        self.assertIn("RuntimeError: broken on purpose", r.json()["message"])
        # The workflow keeps serving after a failure.
        self.assertEqual(self.server.infer("POST", "/wfpredict/fan", b"y", {"Content-Type": "text/plain"}).status, 200)

    def test_retry_attempts_are_extra_executions(self):
        # flaky fails twice; retry-attempts 2 gives it three executions.
        r = self.server.infer("POST", "/wfpredict/flaky_wf", b"x", {"Content-Type": "text/plain"})
        self.assertEqual((r.status, r.body), (200, b"ok after 3 calls"))

    def test_a_node_past_its_timeout_fails_the_request(self):
        started = time.time()
        r = self.server.infer("POST", "/wfpredict/slow_wf", b"x", {"Content-Type": "text/plain"})
        self.assertEqual(r.status, 500, r)
        self.assertIn("Error executing slow: no answer within timeout-ms 500", r.json()["message"])
        self.assertLess(time.time() - started, 2.9)  # answered at the timeout, not when the node finished

    def test_nodes_belong_to_their_workflow(self):
        r = self.server.manage("DELETE", "/models/fan__pre")
        self.assertEqual(r.status, 403, r)
        self.assertIn("DELETE /workflows/fan", r.json()["message"])
        # ... but they are ordinary models for predictions.
        r = self.server.infer("POST", "/predictions/fan__left", b"direct", {"Content-Type": "text/plain"})
        self.assertEqual((r.status, r.body), (200, b"L(direct)"))

    def test_unregister_removes_the_nodes(self):
        war = make_war(self.store, "temp_wf", "models: {}\ndag:\n  pre: [left]\n")
        self.assertEqual(self.server.manage("POST", "/workflows?url=" + war).status, 200)
        r = self.server.manage("DELETE", "/workflows/temp_wf")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"status": 'Workflow "temp_wf" unregistered'})
        models = [m["modelName"] for m in self.server.manage("GET", "/models").json()["models"]]
        self.assertFalse([m for m in models if m.startswith("temp_wf__")], models)
        self.assertEqual(self.server.infer("POST", "/wfpredict/temp_wf", b"x").status, 404)
        self.assertTrue(os.path.exists(os.path.join(self.store, war)), "a .war in the store is kept")
        # Registering it again works.
        self.assertEqual(self.server.manage("POST", "/workflows?url=" + war).status, 200)
        self.assertEqual(self.server.manage("DELETE", "/workflows/temp_wf").status, 200)

    def test_routes_and_methods(self):
        self.assertEqual(self.server.manage("PUT", "/workflows").status, 405)
        self.assertEqual(self.server.manage("PUT", "/workflows/fan").status, 405)
        # Workflows are managed on the management listener only, predicted on the inference one.
        self.assertEqual(self.server.infer("GET", "/workflows").status, 404)
        self.assertEqual(self.server.manage("POST", "/wfpredict/fan", b"x").status, 404)


class WorkflowSnapshotTest(unittest.TestCase):
    def test_workflows_come_back_after_a_restart(self):
        store = tempfile.mkdtemp(prefix="hearth-wfsnap-")
        make_war(store, "fan", "models: {}\ndag:\n  pre: [left]\n")
        server = HearthServer(model_store=store)
        server.args.remove("--ncs")
        server.start()
        try:
            self.assertEqual(server.manage("POST", "/workflows?url=fan.war").status, 200)
            snaps = sorted(glob.glob(os.path.join(server.dir, "logs", "config", "*.cfg")))
            with open(snaps[-1]) as f:
                text = f.read()
            self.assertIn('"workflows"', text)
            self.assertNotIn("fan__pre", text)  # nodes come back with their workflow, not as models
            server.proc.send_signal(signal.SIGKILL)
            server.proc.wait()
            proc = subprocess.Popen([HEARTH, "--foreground", "--model-store", store], cwd=server.dir, env=server.env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                def restored():
                    try:
                        return request(server.inference_port, "POST", "/wfpredict/fan", b"a",
                                       {"Content-Type": "text/plain"}).status == 200
                    except OSError:
                        return False
                server.wait_until(restored, timeout=60, what="the workflow restored from the snapshot")
                r = request(server.inference_port, "POST", "/wfpredict/fan", b"a", {"Content-Type": "text/plain"})
                self.assertEqual(r.body, b"L(A)")
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=60)
        finally:
            server.cleanup()
            shutil.rmtree(store, ignore_errors=True)


DOG_BREED = os.path.join(python_examples.KIT, "upstream", "examples", "Workflows", "dog_breed_classification")

# Random weights for the example's two models (the README downloads trained
# ones). The cat/dog model's output bias decides the class: argv[2] is "cat"
# or "dog". The breed model never ranks class 0 in its top 5: the example's
# index_to_name.json starts at "1" (an upstream quirk that trained weights hide).
MAKE_WEIGHTS = r"""
import sys, torch
sys.path.insert(0, sys.argv[1])
import cat_dog_classification_arch, dog_breed_classification_arch
torch.manual_seed(0)
cat_dog = cat_dog_classification_arch.ImageClassifier()
with torch.no_grad():
    cat_dog.fc[-1].bias.zero_()
    cat_dog.fc[-1].bias[0 if sys.argv[2] == "cat" else 1] = 100.0
torch.save(cat_dog.state_dict(), sys.argv[3] + "/cat_dog_classification.pth")
breed = dog_breed_classification_arch.ImageClassifier()
with torch.no_grad():
    breed.fc.bias[0] = -100.0
torch.save(breed.state_dict(), sys.argv[3] + "/dog_breed_classification.pth")
"""

# What the breed node must answer for an image: the same model and
# TorchServe's ImageClassifier steps (Resize 256, CenterCrop 224, ImageNet
# normalisation, softmax, top 5, labels from index_to_name.json).
EXPECTED_BREEDS = r"""
import io, json, sys, torch
from PIL import Image
from torchvision import transforms
sys.path.insert(0, sys.argv[1])
import dog_breed_classification_arch
model = dog_breed_classification_arch.ImageClassifier()
model.load_state_dict(torch.load(sys.argv[2] + "/dog_breed_classification.pth"))
model.eval()
t = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(),
                        transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])])
image = Image.open(sys.argv[3]).convert("RGB")
with torch.no_grad():
    probs = torch.softmax(model(t(image).unsqueeze(0)), dim=1)
p, i = probs.topk(5)
labels = json.load(open(sys.argv[1] + "/index_to_name.json"))
print(json.dumps({labels[str(int(c))]: float(v) for c, v in zip(i[0], p[0])}))
"""


def readme_commands(readme, tool):
    """The README's `tool` command lines, in order."""
    out = []
    with open(readme) as f:
        for line in f:
            line = line.strip().lstrip("$").strip()
            if line.startswith(tool + " "):
                out.append(line)
    return out


@unittest.skipUnless(os.path.isdir(DOG_BREED), "handler kit not found (../shared/conformance/python-handlers): "
                                               "TorchServe's dog-breed workflow example is not served")
class DogBreedWorkflowTest(unittest.TestCase):
    """examples/Workflows/dog_breed_classification with its README's commands
    (hearth-archiver and hearth-workflow-archiver in place of TorchServe's)."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="hearth-dogbreed-")
        cls.example = os.path.join(cls.dir, "dog_breed_classification")
        shutil.copytree(DOG_BREED, cls.example, ignore=shutil.ignore_patterns("*.ipynb"))
        cls.weights = {kind: os.path.join(cls.dir, kind) for kind in ("dog", "cat")}
        for kind, path in cls.weights.items():
            os.makedirs(path)
            subprocess.check_call(["/usr/bin/python3", "-c", MAKE_WEIGHTS, cls.example, kind, path])
        os.makedirs(os.path.join(cls.example, "model_store"))
        os.makedirs(os.path.join(cls.example, "wf_store"))
        cls.archive_models("dog")
        for line in readme_commands(os.path.join(cls.example, "README.md"), "torch-workflow-archiver"):
            argv = [WF_ARCHIVER] + line.split()[1:]
            subprocess.check_call(argv, cwd=cls.example, stdout=subprocess.DEVNULL)
        cls.server = HearthServer(model_store=os.path.join(cls.example, "model_store"),
                                  extra_args=["--workflow-store", os.path.join(cls.example, "wf_store")]).start()

    @classmethod
    def archive_models(cls, kind):
        for line in readme_commands(os.path.join(cls.example, "README.md"), "torch-model-archiver"):
            line = line.replace("/<path_to_model_files>", cls.weights[kind])
            subprocess.check_call([ARCHIVER] + line.split()[1:], cwd=cls.example, stdout=subprocess.DEVNULL)

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def register(self):
        r = self.server.manage("POST", "/workflows?url=dog_breed_wf.war", timeout=300)
        self.assertEqual(r.status, 200, (r, self.server.output()))
        self.assertEqual(r.json(), {"status": "Workflow dog_breed_wf has been registered and scaled successfully."})

    def predict(self, image):
        with open(os.path.join(self.example, "model_input", image), "rb") as f:
            return self.server.infer("PUT", "/wfpredict/dog_breed_wf", f.read(), timeout=300)

    def expected_breeds(self, image):
        out = subprocess.check_output(["/usr/bin/python3", "-c", EXPECTED_BREEDS, self.example, self.weights["dog"],
                                       os.path.join(self.example, "model_input", image)])
        return json.loads(out)

    def test_readme_flow(self):
        self.register()
        # A dog: the breed model's top 5 over the fan-in of both parents, as the same model gives it directly.
        for image in ("Dog1.jpg", "Dog2.jpg"):
            r = self.predict(image)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.headers["content-type"], "application/json")
            got, want = r.json(), self.expected_breeds(image)
            self.assertEqual(list(got), list(want), image)
            for label in want:
                self.assertAlmostEqual(got[label], want[label], delta=1e-3 + 0.01 * want[label])
        # Three at once, as the README's concurrent curls.
        answers = concurrently(3, lambda i: self.predict(("Dog1.jpg", "Cat.jpg", "Dog2.jpg")[i]))
        self.assertEqual([a.status for a in answers], [200, 200, 200])
        self.assertEqual(answers[0].json(), self.predict("Dog1.jpg").json())
        r = self.server.manage("DELETE", "/workflows/dog_breed_wf")
        self.assertEqual(r.json(), {"status": 'Workflow "dog_breed_wf" unregistered'})

        # A cat/dog model that sees cats: the breed node answers without running its model.
        self.archive_models("cat")
        self.register()
        r = self.predict("Cat.jpg")
        self.assertEqual((r.status, r.body), (200, b"It's a cat!"))
        self.assertEqual(r.headers["content-type"], "application/json")  # TorchServe's, for any single leaf
        self.assertEqual(self.server.manage("DELETE", "/workflows/dog_breed_wf").status, 200)


if __name__ == "__main__":
    unittest.main()
