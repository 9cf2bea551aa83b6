"""The hearth command line as a TorchServe user drives it: --start/--stop,
the pid file, configuration errors, logs."""
import os
import re
import subprocess
import time
import unittest

from harness import HEARTH, HearthServer, request


class CliTest(unittest.TestCase):
    def setUp(self):
        self.server = HearthServer()  # used for its directory, ports and config

    def tearDown(self):
        self.run_hearth("--stop")
        self.server.cleanup()

    def run_hearth(self, *args, env=None):
        """Runs the CLI with its output in files (test_start_through_a_pipe_returns covers pipes)."""
        e = dict(self.server.env, **(env or {}))
        out_path = os.path.join(self.server.dir, "cli.out")
        err_path = os.path.join(self.server.dir, "cli.err")
        with open(out_path, "w") as out, open(err_path, "w") as err:
            rc = subprocess.run([HEARTH] + list(args), cwd=self.server.dir, env=e, stdout=out, stderr=err,
                                timeout=120).returncode
        with open(out_path) as out, open(err_path) as err:
            return subprocess.CompletedProcess(args, rc, out.read(), err.read())

    def start_args(self):
        return ["--start", "--ncs", "--model-store", self.server.model_store, "--ts-config", self.server.config_path]

    def test_start_stop_cycle(self):
        r = self.run_hearth(*self.start_args())
        self.assertEqual(r.returncode, 0, r.stderr + r.stdout)
        # --start returns once the server is up.
        self.assertEqual(request(self.server.inference_port, "GET", "/ping").status, 200)
        pid_file = os.path.join(self.server.dir, ".hearth.pid")
        self.assertTrue(os.path.exists(pid_file))
        pid = int(open(pid_file).read())
        self.assertTrue(os.path.exists("/proc/%d" % pid))
        again = self.run_hearth(*self.start_args())
        self.assertEqual(again.returncode, 1)
        self.assertIn("Hearth is already running, please use hearth --stop to stop Hearth.", again.stdout)
        stop = self.run_hearth("--stop")
        self.assertEqual(stop.returncode, 0)
        self.assertIn("Hearth has stopped.", stop.stdout)
        self.assertFalse(os.path.exists("/proc/%d" % pid) and open("/proc/%d/stat" % pid).read().split()[2] != "Z")
        self.assertFalse(os.path.exists(pid_file))
        stop = self.run_hearth("--stop")
        self.assertIn("Hearth is not currently running.", stop.stdout)

    def test_start_through_a_pipe_returns(self):
        # `hearth --start | cat` and `$(hearth --start)`: the daemon must let go of the caller's pipes.
        started = time.time()
        r = subprocess.run(" ".join([HEARTH] + self.start_args()) + " | cat", shell=True, cwd=self.server.dir,
                           env=self.server.env, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertLess(time.time() - started, 30)
        self.assertIn("Model server started.", r.stdout + r.stderr)  # the caller saw the start-up
        self.assertEqual(request(self.server.inference_port, "GET", "/ping").status, 200)
        # Afterwards the daemon's console goes to logs/.
        console = os.path.join(self.server.dir, "logs", "hearth_console.log")
        self.assertTrue(os.path.exists(console))
        stop = self.run_hearth("--stop")
        self.assertEqual(stop.returncode, 0)
        self.assertIn("Hearth has stopped.", stop.stdout)

    def test_orphan_pid_file_removed(self):
        with open(os.path.join(self.server.dir, ".hearth.pid"), "w") as f:
            f.write("999999")
        r = self.run_hearth(*self.start_args())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Removing orphan pid file.", r.stdout)

    def test_logs_written(self):
        r = self.run_hearth(*self.start_args())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.server.register("tiny.mar", initial_workers=1)
        request(self.server.inference_port, "POST", "/predictions/tiny", [1.0])
        self.run_hearth("--stop")
        logs = os.path.join(self.server.dir, "logs")
        ts_log = open(os.path.join(logs, "ts_log.log")).read()
        self.assertRegex(ts_log, r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d,\d{3} \[INFO \] ")
        self.assertIn("Model server started.", ts_log)
        self.assertIn("Inference API bind to: http://127.0.0.1:%d" % self.server.inference_port, ts_log)
        access = open(os.path.join(logs, "access_log.log")).read()
        self.assertIn('"POST /predictions/tiny HTTP/1.1" 200', access)
        model_log = open(os.path.join(logs, "model_log.log")).read()
        self.assertRegex(model_log, r"\[INFO \] W-\d+-tiny_1\.0-stdout MODEL_LOG - Torch worker started\.")

    def test_log_location_env(self):
        where = os.path.join(self.server.dir, "elsewhere")
        r = self.run_hearth(*self.start_args(), env={"LOG_LOCATION": where})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.run_hearth("--stop")
        self.assertTrue(os.path.exists(os.path.join(where, "ts_log.log")))

    def test_missing_ts_config(self):
        r = self.run_hearth("--start", "--model-store", self.server.model_store, "--ts-config", "nope.properties")
        self.assertEqual(r.returncode, 1)
        self.assertIn("--ts-config file not found: nope.properties", r.stderr)

    def test_missing_model_store(self):
        r = self.run_hearth("--start", "--ts-config", self.server.config_path, "--model-store", "/no/such/dir")
        self.assertEqual(r.returncode, 1)
        self.assertIn("--model-store directory not found: /no/such/dir", r.stderr)
        r = self.run_hearth("--start", "--ts-config", self.server.config_path)
        self.assertEqual(r.returncode, 1)
        self.assertIn("Missing mandatory parameter --model-store", r.stderr)

    def test_malformed_value_names_key_and_file(self):
        with open(self.server.config_path, "a") as f:
            f.write("job_queue_size=plenty\n")
        r = self.run_hearth(*self.start_args())
        self.assertEqual(r.returncode, 1)
        self.assertIn("job_queue_size", r.stderr)
        self.assertIn("config.properties", r.stderr)
        self.assertIn("plenty", r.stderr)

    def test_unknown_key_is_a_warning(self):
        with open(self.server.config_path, "a") as f:
            f.write("no_such_setting=1\n")
        r = self.run_hearth(*self.start_args())
        self.assertEqual(r.returncode, 0, r.stderr)
        time.sleep(0.2)
        self.assertIn("unknown key \"no_such_setting\"", open(os.path.join(self.server.dir, "logs", "ts_log.log")).read())

    def test_port_in_use_fails_with_reason(self):
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", self.server.management_port))
        s.listen(1)
        try:
            r = self.run_hearth(*self.start_args())
            self.assertEqual(r.returncode, 1)
            self.assertIn("Hearth failed to start", r.stderr)
            self.assertIn(str(self.server.management_port), r.stderr)
        finally:
            s.close()

    def test_ts_config_file_env_wins(self):
        other = os.path.join(self.server.dir, "other.properties")
        port = self.server.inference_port
        with open(self.server.config_path) as f:
            text = f.read()
        with open(other, "w") as f:
            f.write(text)
        with open(self.server.config_path, "w") as f:
            f.write("job_queue_size=broken\n")
        r = self.run_hearth(*self.start_args(), env={"TS_CONFIG_FILE": other})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(request(port, "GET", "/ping").status, 200)

    def test_version_and_help(self):
        r = self.run_hearth("--version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"Hearth Version is \d+\.\d+\.\d+")
        r = self.run_hearth("--help")
        self.assertEqual(r.returncode, 0)
        for flag in ("--start", "--stop", "--model-store", "--ts-config", "--models", "--ncs", "--foreground"):
            self.assertIn(flag, r.stdout)

    def test_accepts_torchserve_only_flags(self):
        r = self.run_hearth(*self.start_args(), "--log-config", "log4j2.xml", "--disable-token-auth",
                            "--enable-model-api")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("--log-config", r.stderr)

    def test_sigterm_stops_foreground_server(self):
        self.server.start()
        self.assertEqual(self.server.stop(), 0)


if __name__ == "__main__":
    unittest.main()
