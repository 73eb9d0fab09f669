"""The harness's own tests import helpers from this folder."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

# The fixture pages are inputs of tests, not tests: collect them only when named.
collect_ignore_glob = ["pages/*"]
