#!/usr/bin/python3
"""Builds what TorchServe's workflow Postman suites (upstream/workflow_*.json
in the conformance kit) download from S3, as Hearth's own equivalents:

  wars/densenet_wf.war          pre_processing -> densenet161 -> post_processing
                                (the kit's densenet161.mar stand-in: the kitten's
                                expected top 5)
  wars/timeout-retry-test.war   a function that outlives timeout-ms on every retry
  wars/custom_python_dep.war    a node whose requirements.txt no index has
  wars/loading-memory-error.war a node model that runs out of memory at load
  wars/dog_breed_wf.war         the handler kit's dog-breed example, with
                                stand-in weights giving the suite's expected breeds
  model_store/...               the node archives (beside the kit's models)
  data/workflow_data.json, data/workflow_inference_data.json
                                the upstream rows with S3 URLs replaced by
                                $WAR_BASE_URL (a local static server) and
                                inputs by local paths

  make_workflows.py KIT OUT ARCHIVER WORKFLOW_ARCHIVER WAR_BASE_URL
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap

KIT, OUT, ARCHIVER, WF_ARCHIVER, BASE_URL = sys.argv[1:6]
UPSTREAM = os.path.join(KIT, "upstream")
DOG_BREED = os.path.join(KIT, "python-handlers", "upstream", "examples", "Workflows", "dog_breed_classification")
WARS = os.path.join(OUT, "wars")
STORE = os.path.join(OUT, "model_store")
WORK = tempfile.mkdtemp(prefix="hearth-wfconf-")

PASS_THROUGH = """
def pre_processing(data, context):
    if data is None:
        return None
    return [bytes(row.get("data") or row.get("body")) for row in data]


def post_processing(data, context):
    if data is None:
        return None
    return [bytes(row["body"]).decode() for row in data]


def sleepy(data, context):
    import time
    if data is None:
        return None
    time.sleep(5)
    return ["too late" for row in data]
"""

MEMORY_HOG = """
def handle(data, context):
    raise MemoryError("this model needs more memory than there is")
"""


def write(name, text):
    path = os.path.join(WORK, name)
    with open(path, "w") as f:
        f.write(textwrap.dedent(text))
    return path


def war(file_name, spec, name=None, handler=PASS_THROUGH):
    """<file_name>.war holding a workflow called `name` (upstream's densenet_wf.war holds "densenet")."""
    name = name or file_name
    argv = [WF_ARCHIVER, "-f", "--workflow-name", name, "--spec-file", write(file_name + ".yaml", spec),
            "--handler", write(file_name + "_handler.py", handler), "--export-path", WORK]
    subprocess.check_call(argv, stdout=subprocess.DEVNULL)
    shutil.move(os.path.join(WORK, name + ".war"), os.path.join(WARS, file_name + ".war"))


def mar(name, handler_source, *extra_args):
    handler = write(name + "_model_handler.py", handler_source)
    subprocess.check_call([ARCHIVER, "-f", "--model-name", name, "--version", "1.0", "--handler", handler,
                           "--export-path", STORE] + list(extra_args), cwd=WORK, stdout=subprocess.DEVNULL)


def dog_breed():
    """The example's archives, with weights whose answers are the suite's expected ones for any image."""
    example = os.path.join(WORK, "dog_breed")
    shutil.copytree(DOG_BREED, example, ignore=shutil.ignore_patterns("*.ipynb"))
    rows = json.load(open(os.path.join(UPSTREAM, "workflow_inference_data.json")))
    expected = [r for r in rows if r["workflow_name"] == "dog_breed_wf"][0]["expected"]
    script = r"""
import json, math, sys, torch
sys.path.insert(0, sys.argv[1])
import cat_dog_classification_arch as cd, dog_breed_classification_arch as db
expected = json.loads(sys.argv[2])
labels = json.load(open(sys.argv[1] + "/index_to_name.json"))
cat_dog = cd.ImageClassifier()
breed = db.ImageClassifier()
with torch.no_grad():
    cat_dog.fc[-1].weight.zero_()
    cat_dog.fc[-1].bias.copy_(torch.tensor([-50.0, 50.0]))  # always a dog
    breed.fc.weight.zero_()
    rest = (1.0 - sum(expected.values())) / (133 - len(expected))
    bias = torch.full((133,), math.log(rest))
    for label, p in expected.items():
        key = [k for k, v in labels.items() if v == label][0]
        bias[int(key)] = math.log(p)  # the example's labels are looked up by str(class)
    breed.fc.bias.copy_(bias)
torch.save(cat_dog.state_dict(), sys.argv[1] + "/cat_dog_classification.pth")
torch.save(breed.state_dict(), sys.argv[1] + "/dog_breed_classification.pth")
"""
    subprocess.check_call(["/usr/bin/python3", "-c", script, example, json.dumps(expected)])
    for model, extra in (("cat_dog_classification", []), ("dog_breed_classification", ["--extra-files",
                                                                                        "index_to_name.json"])):
        subprocess.check_call([ARCHIVER, "-f", "--model-name", model, "--version", "1.0", "--model-file",
                               model + "_arch.py", "--serialized-file", model + ".pth", "--handler",
                               model + "_handler.py", "--export-path", STORE] + extra, cwd=example,
                              stdout=subprocess.DEVNULL)
    subprocess.check_call([WF_ARCHIVER, "-f", "--workflow-name", "dog_breed_wf", "--spec-file",
                           "workflow_dog_breed_classification.yaml", "--handler",
                           "workflow_dog_breed_classification_handler.py", "--export-path", WARS], cwd=example,
                          stdout=subprocess.DEVNULL)
    return os.path.join(example, "model_input", "Dog2.jpg")


def adapt(name, inputs):
    """An upstream data file with its S3 URLs and input paths made local."""
    rows = json.load(open(os.path.join(UPSTREAM, name)))
    for row in rows:
        for key in ("path", "workflow_url"):
            if key in row:
                row[key] = row[key].replace("https://torchserve.s3.amazonaws.com/war_files/", BASE_URL + "/")
        if "file" in row:
            row["file"] = inputs[os.path.basename(row["file"])]
    os.makedirs(os.path.join(OUT, "data"), exist_ok=True)
    with open(os.path.join(OUT, "data", name), "w") as f:
        json.dump(rows, f, indent=2)


def main():
    os.makedirs(WARS, exist_ok=True)
    war("densenet_wf", """
        models:
          min-workers: 1
          max-workers: 1
          batch-size: 1
          densenet161:
            url: densenet161.mar
        dag:
          pre_processing: [densenet161]
          densenet161: [post_processing]
        """, name="densenet")
    war("timeout-retry-test", """
        models:
          retry-attempts: 2
          timeout-ms: 1000
        dag:
          pre_processing: [sleepy]
        """, name="densenet")
    mar("custom_python_dep_model", "def handle(data, context):\n    return data\n", "-r",
        write("requirements.txt", "hearth-no-such-package-anywhere==1.0\n"))
    war("custom_python_dep", """
        models:
          custom_python_dep:
            url: custom_python_dep_model.mar
        dag:
          pre_processing: [custom_python_dep]
        """)
    mar("loading_memory_error", MEMORY_HOG)
    war("loading-memory-error", """
        models:
          loading-memory-error:
            url: loading_memory_error.mar
        dag:
          pre_processing: [loading-memory-error]
        """)
    dog2 = os.path.join(OUT, "inputs", "Dog2.jpg")
    shutil.copy(dog_breed(), dog2)
    inputs = {"kitten.jpg": os.path.join(OUT, "inputs", "kitten.jpg"), "Dog2.jpg": dog2}
    adapt("workflow_data.json", inputs)
    adapt("workflow_inference_data.json", inputs)
    shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
