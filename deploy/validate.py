#!/usr/bin/python3
"""Offline checks of the deployment manifests (no cluster here).

kubectl --dry-run=client still needs an API server for discovery, so this
renders the plain manifests with `kubectl kustomize` (offline) when kubectl
is installed, then checks what matters for Hearth: every document is
well-formed, probes hit Hearth's health routes, CPU requests equal limits
in whole CPUs and split evenly into the launcher's instances, container
ports match the addresses in config.properties, and shutdown has time to
drain. Exits non-zero naming the file and field on the first problem.
"""
import os
import re
import shutil
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
HEALTH_ROUTES = {"/v2/health/ready", "/v2/health/live", "/ping"}
problems = []


def fail(where, message):
    problems.append("%s: %s" % (where, message))


def cpus(value):
    value = str(value)
    return int(value[:-1]) / 1000 if value.endswith("m") else float(value)


def properties(text):
    props = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            props[k.strip()] = v.strip()
    return props


def check_resources(where, resources, instances=None):
    req, lim = resources.get("requests", {}), resources.get("limits", {})
    if "cpu" not in req or "cpu" not in lim:
        fail(where, "resources need cpu requests and limits")
        return
    if cpus(req["cpu"]) != cpus(lim["cpu"]) or cpus(lim["cpu"]) != int(cpus(lim["cpu"])):
        fail(where, "cpu requests (%s) and limits (%s) should be equal whole CPUs (Guaranteed QoS, "
                    "exclusive cores)" % (req["cpu"], lim["cpu"]))
    if instances and int(cpus(lim["cpu"])) % instances:
        fail(where, "%s CPUs do not split evenly into --ninstances %d" % (lim["cpu"], instances))


def main():
    docs = []
    for sub in ("kubernetes", "kserve"):
        for name in sorted(os.listdir(os.path.join(HERE, sub))):
            if not name.endswith(".yaml") or name == "kustomization.yaml":
                continue
            path = os.path.join(sub, name)
            with open(os.path.join(HERE, path)) as f:
                for i, doc in enumerate(yaml.safe_load_all(f)):
                    if doc is None:
                        continue
                    where = "%s[%d]" % (path, i)
                    for key in ("apiVersion", "kind"):
                        if not doc.get(key):
                            fail(where, "missing " + key)
                    if not doc.get("metadata", {}).get("name"):
                        fail(where, "missing metadata.name")
                    docs.append((where, doc))
    config = {}
    for where, doc in docs:
        if doc["kind"] == "ConfigMap" and "config.properties" in doc.get("data", {}):
            config = properties(doc["data"]["config.properties"])
    m = re.search(r"--ninstances[ =](\d+)", config.get("cpu_launcher_args", ""))
    instances = int(m.group(1)) if m else None
    for where, doc in docs:
        kind = doc["kind"]
        if kind == "Deployment":
            spec = doc["spec"]["template"]["spec"]
            if spec.get("terminationGracePeriodSeconds", 30) < int(config.get("unregister_model_timeout", 120)):
                fail(where, "terminationGracePeriodSeconds is shorter than unregister_model_timeout")
            for c in spec["containers"]:
                check_resources(where + " container " + c["name"], c.get("resources", {}), instances)
                ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
                for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                    path = c.get(probe, {}).get("httpGet", {}).get("path")
                    if path not in HEALTH_ROUTES:
                        fail(where, "%s path %r is not a Hearth health route" % (probe, path))
                for key, port_name in (("inference_address", "http"), ("metrics_address", "metrics")):
                    addr = config.get(key, "")
                    if addr and not addr.startswith("http://0.0.0.0:"):
                        fail(where, "%s=%s is not reachable from outside the pod" % (key, addr))
                    if addr and port_name in ports and not addr.endswith(":%d" % ports[port_name]):
                        fail(where, "%s=%s but containerPort %s is %d" % (key, addr, port_name, ports[port_name]))
                if "preStop" not in c.get("lifecycle", {}):
                    fail(where, "no preStop hook: requests may arrive after SIGTERM")
            annotations = doc["spec"]["template"]["metadata"].get("annotations", {})
            if annotations.get("prometheus.io/port") != config.get("metrics_address", "").rsplit(":", 1)[-1]:
                fail(where, "prometheus.io/port does not match metrics_address")
        if kind == "ClusterServingRuntime":
            for c in doc["spec"]["containers"]:
                check_resources(where + " container " + c["name"], c.get("resources", {}))
            if "v2" not in doc["spec"].get("protocolVersions", []):
                fail(where, "protocolVersions should list v2")
        if kind == "InferenceService":
            check_resources(where + " predictor", doc["spec"]["predictor"]["model"].get("resources", {}), 2)
    if shutil.which("kubectl"):
        r = subprocess.run(["kubectl", "kustomize", os.path.join(HERE, "kubernetes")], capture_output=True, text=True)
        if r.returncode != 0:
            fail("deploy/kubernetes", "kubectl kustomize failed: " + r.stderr.strip())
        else:
            kinds = [d["kind"] for d in yaml.safe_load_all(r.stdout) if d]
            print("kubectl kustomize rendered: " + ", ".join(kinds))
    for p in problems:
        print("deploy/" + p, file=sys.stderr)
    print("%d manifests checked, %d problems" % (len(docs), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
