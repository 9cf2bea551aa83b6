"""The README's first ten minutes: run.sh's digits classifier (trained from
scikit-learn's bundled digits) answers the printed curl line with the right
digit."""
import os
import subprocess
import sys
import unittest

from harness import BIN_DIR, FIXTURES, HearthServer

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DIGITS = os.path.join(FIXTURES, "digits")


class QuickstartDigitsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        subprocess.check_call(["/usr/bin/python3", os.path.join(ROOT, "examples", "digits", "train_digits.py"), DIGITS,
                               "--archiver", os.path.join(BIN_DIR, "hearth-archiver")], stdout=sys.stderr)
        cls.server = HearthServer(model_store=os.path.join(DIGITS, "model_store")).start()
        r = cls.server.register("digits.mar", initial_workers=1)
        assert r.status == 200, r

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def test_each_digit_is_read(self):
        right = 0
        for digit in range(10):
            with open(os.path.join(DIGITS, "images", "%d.png" % digit), "rb") as f:
                r = self.server.infer("PUT", "/predictions/digits", f.read())  # curl -T
            self.assertEqual(r.status, 200, r)
            answer = r.json()
            self.assertEqual(len(answer), 5)
            best = next(iter(answer))
            if best == str(digit) and answer[best] > 0.5:
                right += 1
        # The images are held-out scans the model read correctly after training, in Python (torchvision's
        # preprocessing); served through the C++ worker's preprocessing, every one must still be read.
        self.assertEqual(right, 10)


if __name__ == "__main__":
    unittest.main()
