"""The conformance runner without its kit: a clear skip (ctest's code 77)
saying where the kit goes, never a failure."""
import os
import subprocess
import tempfile
import unittest

from harness import BIN_DIR

RUNNER = os.path.join(os.path.dirname(__file__), "..", "conformance", "run_conformance.sh")


class ConformanceSkipTest(unittest.TestCase):
    def test_missing_kit_is_a_skip_with_directions(self):
        with tempfile.TemporaryDirectory() as out:
            r = subprocess.run([RUNNER, BIN_DIR, out], env=dict(os.environ, HEARTH_CONFORMANCE_KIT="/no/such/kit"),
                               capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 77, r.stderr)
        self.assertIn("SKIPPED: conformance kit not found at /no/such/kit", r.stderr)
        self.assertIn("HEARTH_CONFORMANCE_KIT", r.stderr)


if __name__ == "__main__":
    unittest.main()
