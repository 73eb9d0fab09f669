"""The harness's own tests import helpers from this folder.

It also checks that the suite leaves the contributor's Docker engine as it
found it (see hostcheck.py): a snapshot before the first test, a comparison
after the last, and a failed run when something is missing.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

# The host engine check's hooks (see hostcheck.py).
from hostcheck import pytest_sessionfinish, pytest_sessionstart  # noqa: F401  (needs the path above)

# The fixture pages are inputs of tests, not tests: collect them only when named.
collect_ignore_glob = ["pages/*"]
