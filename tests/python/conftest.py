"""Our own tests of the Python worker and the ts package (pytest, no server).

Run by ctest (python_package) with build/python on PYTHONPATH.
"""

import sys
from pathlib import Path

import pytest


@pytest.fixture()
def handler_dir(tmp_path):
    """A model directory on sys.path (as the worker puts it) for handler files."""
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in [m for m, mod in sys.modules.items() if getattr(mod, "__file__", "") and
                 str(Path(mod.__file__).parent) == str(tmp_path)]:
        del sys.modules[name]
