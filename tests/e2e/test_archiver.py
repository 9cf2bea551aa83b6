"""hearth-archiver end to end: archive a model in every format, register it
with a running hearth, predict; a directory in --extra-files survives the
round trip; archives in torch-model-archiver's reference layout load."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest
import zipfile

from harness import BIN_DIR, HearthServer, fixture, read_fixture

ARCHIVER = os.path.join(BIN_DIR, "hearth-archiver")


def archiver(*args, cwd=None):
    return subprocess.run([ARCHIVER] + list(args), capture_output=True, text=True, cwd=cwd, timeout=120)


class ArchiverE2ETest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="hearth-archiver-e2e-")
        cls.store = os.path.join(cls.work, "store")
        os.makedirs(cls.store)
        cls.server = HearthServer(model_store=cls.store).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        shutil.rmtree(cls.work, ignore_errors=True)

    def test_every_format_registers_and_predicts(self):
        for fmt, url in (("default", "colors_default.mar"), ("zip-store", "colors_zip-store.mar"),
                         ("tgz", "colors_tgz.tar.gz"), ("no-archive", "colors_no-archive")):
            name = "colors_" + fmt
            r = archiver("--model-name", name, "--version", "1.0", "--serialized-file",
                         fixture("models", "channel_means.pt"), "--handler", "image_classifier",
                         "--extra-files", fixture("models", "index_to_name.json"), "--archive-format", fmt,
                         "--export-path", self.store)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertTrue(os.path.exists(os.path.join(self.store, url)), os.listdir(self.store))
            reg = self.server.register(url, initial_workers=1)
            self.assertEqual(reg.status, 200, (fmt, reg))
            p = self.server.infer("POST", "/predictions/" + name, read_fixture("images", "red.png"))
            self.assertEqual(p.status, 200, (fmt, p))
            self.assertEqual(list(p.json())[0], "red", fmt)
            self.assertEqual(self.server.manage("DELETE", "/models/" + name).status, 200)

    def test_manifest_layout(self):
        r = archiver("--model-name", "layout", "--version", "3.1", "--serialized-file", fixture("models", "tiny.pt"),
                     "--handler", "tensor", "--export-path", self.work)
        self.assertEqual(r.returncode, 0, r.stderr)
        with zipfile.ZipFile(os.path.join(self.work, "layout.mar")) as z:
            names = sorted(z.namelist())
            manifest_text = z.read("MAR-INF/MANIFEST.json").decode()
            compress = {i.filename: i.compress_type for i in z.infolist()}
        self.assertEqual(names, ["MAR-INF/MANIFEST.json", "tiny.pt"])
        self.assertEqual(compress["tiny.pt"], zipfile.ZIP_DEFLATED)
        m = json.loads(manifest_text)
        self.assertEqual(list(m), ["createdOn", "runtime", "model", "archiverVersion"])
        self.assertEqual(m["model"], {"modelName": "layout", "serializedFile": "tiny.pt", "handler": "tensor",
                                      "modelVersion": "3.1"})
        self.assertRegex(m["createdOn"], r"^\d\d/\d\d/\d{4} \d\d:\d\d:\d\d$")
        self.assertTrue(manifest_text.startswith('{\n  "createdOn"'))

    def test_zip_store_does_not_compress(self):
        r = archiver("--model-name", "stored", "--version", "1.0", "--serialized-file", fixture("models", "tiny.pt"),
                     "--handler", "tensor", "--archive-format", "zip-store", "--export-path", self.work)
        self.assertEqual(r.returncode, 0, r.stderr)
        with zipfile.ZipFile(os.path.join(self.work, "stored.mar")) as z:
            self.assertTrue(all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist()))

    def test_directory_in_extra_files_round_trip(self):
        extra = os.path.join(self.work, "assets")
        os.makedirs(os.path.join(extra, "vocab", "nested"))
        with open(os.path.join(extra, "vocab", "nested", "words.txt"), "w") as f:
            f.write("hello\n")
        shutil.copy(fixture("models", "index_to_name.json"), extra)
        r = archiver("--model-name", "withdir", "--version", "1.0", "--serialized-file",
                     fixture("models", "channel_means.pt"), "--handler", "image_classifier", "--extra-files", extra,
                     "--export-path", self.store)
        self.assertEqual(r.returncode, 0, r.stderr)
        with zipfile.ZipFile(os.path.join(self.store, "withdir.mar")) as z:
            self.assertEqual(z.read("vocab/nested/words.txt"), b"hello\n")
            self.assertIn("index_to_name.json", z.namelist())
        # The labels from the directory reach the handler.
        self.assertEqual(self.server.register("withdir.mar", initial_workers=1).status, 200)
        p = self.server.infer("POST", "/predictions/withdir", read_fixture("images", "blue.jpg"))
        self.assertEqual(list(p.json())[0], "blue")
        inspect = archiver("--inspect", os.path.join(self.store, "withdir.mar"))
        self.assertEqual(inspect.returncode, 0)
        self.assertIn("vocab/nested/words.txt", inspect.stdout)
        self.assertIn('"modelName": "withdir"', inspect.stdout)
        self.server.manage("DELETE", "/models/withdir")

    def test_reference_layout_fixture_loads(self):
        # colors.mar is written by Python's zipfile exactly as torch-model-archiver 0.12 lays it out.
        shutil.copy(fixture("model_store", "colors.mar"), os.path.join(self.store, "reference.mar"))
        r = self.server.register("reference.mar", model_name="reference", initial_workers=1)
        self.assertEqual(r.status, 200, r)
        p = self.server.infer("POST", "/predictions/reference", read_fixture("images", "red.png"))
        self.assertEqual(list(p.json())[0], "red")
        self.server.manage("DELETE", "/models/reference")

    def test_errors(self):
        r = archiver("--model-name", "x y", "--version", "1", "--handler", "tensor")
        self.assertEqual(r.returncode, 1)
        self.assertIn("special characters", r.stderr)
        r = archiver("--model-name", "x", "--version", "1", "--handler", "tensor", "--serialized-file", "nope.pt")
        self.assertIn("nope.pt", r.stderr)
        r = archiver("--model-name", "dup", "--version", "1", "--handler", "tensor", "--serialized-file",
                     fixture("models", "tiny.pt"), "--export-path", self.work)
        self.assertEqual(r.returncode, 0)
        r = archiver("--model-name", "dup", "--version", "1", "--handler", "tensor", "--serialized-file",
                     fixture("models", "tiny.pt"), "--export-path", self.work)
        self.assertEqual(r.returncode, 1)
        self.assertIn("already exists", r.stderr)
        r = archiver("--model-name", "dup", "--version", "1", "--handler", "tensor", "--serialized-file",
                     fixture("models", "tiny.pt"), "--export-path", self.work, "-f")
        self.assertEqual(r.returncode, 0)
        bad_yaml = os.path.join(self.work, "bad.yaml")
        with open(bad_yaml, "w") as f:
            f.write("batchSize: [1\n")
        r = archiver("--model-name", "y", "--version", "1", "--handler", "tensor", "--config-file", bad_yaml)
        self.assertEqual(r.returncode, 1)
        self.assertIn("bad.yaml", r.stderr)
        r = archiver("--version")
        self.assertIn("hearth-archiver", r.stdout)


if __name__ == "__main__":
    unittest.main()
