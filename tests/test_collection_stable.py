"""Every xdist worker must collect the same tests: a test id built from the clock, or from a set's
hash order, differs between workers, and `make test` stops with "Different tests were collected"."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def collected(hash_seed: str) -> list[str]:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    out = subprocess.run([sys.executable, "-m", "pytest", "-c", "pytest.ini", "--rootdir=.", "-p", "no:cacheprovider",
                          "--collect-only", "-q", "tests"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    return [line for line in out.stdout.splitlines() if "::" in line]


def test_two_collections_a_second_apart_with_other_hash_seeds_name_the_same_tests() -> None:
    first = collected("1")
    time.sleep(1.1)  # a timestamp in a test id would change
    second = collected("2")
    assert len(first) > 100
    assert first == second, sorted(set(first) ^ set(second))[:10]
