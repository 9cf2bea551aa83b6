"""CPU launcher end to end: pinned workers seen from outside (/proc), their
environment and loaded libraries, the IPEX-format log lines, re-planning on
scale, and hearth-launch."""
import os
import subprocess
import unittest

from harness import BIN_DIR, HearthServer

CPUS = len(os.sched_getaffinity(0))


def proc_status(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return line.split(":", 1)[1].strip()
    return None


def proc_environ(pid):
    with open("/proc/%d/environ" % pid, "rb") as f:
        items = f.read().split(b"\0")
    return dict(i.decode().split("=", 1) for i in items if b"=" in i)


def proc_libraries(pid):
    with open("/proc/%d/maps" % pid) as f:
        return {line.split()[-1] for line in f if "/" in line.split()[-1]}


def cpu_set(text):
    cpus = set()
    for part in text.split(","):
        if "-" in part:
            a, b = part.split("-")
            cpus.update(range(int(a), int(b) + 1))
        elif part:
            cpus.add(int(part))
    return cpus


class LauncherServerTest(unittest.TestCase):
    def start(self, args="", workers=2, extra=None):
        config = {"cpu_launcher_enable": "true", "ipex_enable": "true"}
        if args:
            config["cpu_launcher_args"] = args
        config.update(extra or {})
        self.server = HearthServer(config).start()
        self.addCleanup(self.server.cleanup)
        r = self.server.register("tiny.mar", initial_workers=workers)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.server.infer("POST", "/predictions/tiny", [1.0]).json(), [3.0])
        return self.server.describe("tiny").json()[0]["workers"]

    def model_log(self, *expected):
        """model_log.log once the worker's launcher lines (and `expected`) are flushed to it."""
        return self.server.log_with("model_log.log", "MODEL_LOG", *expected)

    @unittest.skipIf(CPUS < 2, "needs 2 CPUs")
    def test_two_workers_get_disjoint_cores(self):
        workers = self.start()
        masks = [cpu_set(proc_status(w["pid"], "Cpus_allowed_list")) for w in workers]
        self.assertEqual(len(masks), 2)
        self.assertFalse(masks[0] & masks[1], masks)
        for w, mask in zip(workers, masks):
            env = proc_environ(w["pid"])
            self.assertEqual(env["OMP_NUM_THREADS"], str(len(mask)))
            self.assertEqual(cpu_set(w["cpus"]), mask)  # describe shows the core list
            self.assertEqual(w["intraOpThreads"], len(mask))
            libs = proc_libraries(w["pid"])
            self.assertTrue(any("tcmalloc" in l for l in libs), libs)
            self.assertTrue(any("libomp" in l or "iomp5" in l for l in libs), libs)
            self.assertIn("tcmalloc", env["LD_PRELOAD"])
            self.assertEqual(env["KMP_BLOCKTIME"], "1")
            self.assertEqual(env["TS_IPEX_ENABLE"], "true")
        log = self.model_log("OMP_NUM_THREADS=1")
        self.assertRegex(log, r"\[WARN \] W-\d+-tiny_1\.0-stderr MODEL_LOG - \d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} "
                              r"- __main__ - INFO - OMP_NUM_THREADS=1")
        for text in ("- __main__ - INFO - Using Intel OpenMP", "- __main__ - INFO - KMP_AFFINITY=granularity=fine,compact,1,0",
                     "- __main__ - INFO - KMP_BLOCKTIME=1", "- __main__ - INFO - LD_PRELOAD=",
                     "- __main__ - INFO - Use TCMalloc memory allocator", "- __main__ - INFO - hearth: worker=W-"):
            self.assertIn(text, log)

    @unittest.skipIf(CPUS < 2, "needs 2 CPUs")
    def test_disable_numactl_and_logical_cores(self):
        workers = self.start("--use_logical_core --disable_numactl")
        masks = [cpu_set(proc_status(w["pid"], "Cpus_allowed_list")) for w in workers]
        self.assertFalse(masks[0] & masks[1])
        log = self.model_log("membind=none")
        self.assertIn("membind=none", log)
        self.assertIn("- __main__ - INFO - taskset -c", log)
        # --use_logical_core without --node_id: no KMP_AFFINITY, as run_cpu.
        self.assertNotIn("KMP_AFFINITY=granularity=fine,compact", log)

    def test_jemalloc(self):
        workers = self.start("--enable_jemalloc", workers=1)
        env = proc_environ(workers[0]["pid"])
        self.assertIn("jemalloc", env["LD_PRELOAD"])
        self.assertEqual(env["MALLOC_CONF"], "oversize_threshold:1,background_thread:true,metadata_thp:auto")
        self.assertTrue(any("jemalloc" in l for l in proc_libraries(workers[0]["pid"])))
        self.assertIn("- __main__ - INFO - Use JeMalloc memory allocator", self.model_log("JeMalloc"))

    def test_tcmalloc_and_gnu_openmp(self):
        workers = self.start("--enable_tcmalloc --disable_iomp", workers=1)
        pid = workers[0]["pid"]
        env = proc_environ(pid)
        libs = proc_libraries(pid)
        self.assertTrue(any("tcmalloc" in l for l in libs))
        self.assertFalse(any("libomp" in l or "iomp5" in l for l in libs), libs)
        self.assertEqual(env["OMP_PROC_BIND"], "CLOSE")
        self.assertEqual(env["OMP_SCHEDULE"], "STATIC")
        self.assertNotIn("Using Intel OpenMP", self.model_log("Use TCMalloc memory allocator"))

    @unittest.skipIf(CPUS < 2, "needs 2 CPUs")
    def test_scaling_replans_all_workers(self):
        workers = self.start(workers=2)
        old = {w["pid"] for w in workers}
        r = self.server.manage("PUT", "/models/tiny?min_worker=1&synchronous=true")
        self.assertEqual(r.status, 200, r)
        self.server.wait_until(lambda: len(self.server.describe("tiny").json()[0]["workers"]) == 1,
                               what="one worker")
        w = self.server.describe("tiny").json()[0]["workers"][0]
        self.assertNotIn(w["pid"], old)
        self.assertEqual(cpu_set(proc_status(w["pid"], "Cpus_allowed_list")), set(os.sched_getaffinity(0)))
        self.assertEqual(proc_environ(w["pid"])["OMP_NUM_THREADS"], str(CPUS))
        line = "removing 2 current thread(s) prior to restarting 1 thread(s)"
        self.server.wait_until(lambda: line in self.server.log("ts_log.log"), timeout=10, what=line)
        self.assertEqual(self.server.infer("POST", "/predictions/tiny", [2.0]).json(), [5.0])

    def test_more_workers_than_cores_warns(self):
        self.start(workers=CPUS + 1)
        log = self.model_log("pools wrap")
        self.assertIn("%d workers > %d pools; pools wrap, workers share cpus" % (CPUS + 1, CPUS), log)

    def test_bad_arguments_disable_pinning_with_a_reason(self):
        workers = self.start("--enable_tcmalloc --enable_jemalloc", workers=1)
        self.assertEqual(workers[0]["cpus"], "")
        self.server.log_with("ts_log.log", "Unable to enable TCMalloc and JEMalloc at the same time.",
                             "Proceeding without worker core pinning")


class HearthLaunchTest(unittest.TestCase):
    LAUNCH = os.path.join(BIN_DIR, "hearth-launch")

    @unittest.skipIf(CPUS < 2, "needs 2 CPUs")
    def test_instances_on_disjoint_cores(self):
        r = subprocess.run([self.LAUNCH, "--ninstances", "2", "--", "sh", "-c",
                            "grep Cpus_allowed_list /proc/self/status; echo OMP=$OMP_NUM_THREADS"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        masks = [cpu_set(l.split(":")[1].strip()) for l in r.stdout.splitlines() if l.startswith("Cpus_allowed_list")]
        self.assertEqual(len(masks), 2)
        self.assertFalse(masks[0] & masks[1])
        self.assertEqual(r.stdout.count("OMP=%d" % (CPUS // 2)), 2)
        self.assertIn("- __main__ - INFO - assigning", r.stderr)

    def test_dry_run_and_exit_status(self):
        r = subprocess.run([self.LAUNCH, "--dry-run", "--ninstances", "1", "--", "false"], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 0)
        self.assertIn("hearth: worker=instance-0", r.stderr)
        r = subprocess.run([self.LAUNCH, "--", "false"], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 1)

    def test_log_path_files(self):
        import tempfile
        d = tempfile.mkdtemp()
        r = subprocess.run([self.LAUNCH, "--log_path", d, "--log_file_prefix", "exp", "--", "echo", "hello"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        files = sorted(os.listdir(d))
        self.assertTrue(any(f.startswith("exp_") and f.endswith("_instances.log") for f in files), files)
        out = [f for f in files if "_instance_0_cores_" in f]
        self.assertEqual(len(out), 1, files)
        with open(os.path.join(d, out[0])) as f:
            self.assertEqual(f.read(), "hello\n")


if __name__ == "__main__":
    unittest.main()
