"""`make bench` must run to its end: every phase, on one small page, writing every figure.

A refactor once broke the benchmarks (a call with an argument the harness had
dropped) and nothing noticed until someone ran `make bench` by hand. This runs
the real `python -m bench`, scaled down, into a folder of its own.
"""
import json
import os
import subprocess
import sys

import pytest
from pagerun import ROOT

pytestmark = pytest.mark.docker

# What each phase must produce: one figure per phase at least (see bench/__main__.py).
PHASE_FIGURES = ["per_command_overhead_ms", "sandbox_lifecycle_s", "engine_and_seed_s", "byexample_ratio_index_wall",
                 "handbook_warm_wall_s", "workers_speedup", "memory_controller_mib", "rerun_unchanged_s",
                 "rerun_one_edit_s", "shard_balance", "merged_shard_site_s", "wall_ideal_ratio",
                 "remote_engine_page_ratio"]


def test_every_bench_phase_runs_and_writes_its_figures(tmp_path):
    env = {**os.environ, "BENCH_OUT": str(tmp_path), "BENCH_PAGES": "docs/index.md",
           "BENCH_SUBSET": "docs/index.md", "BENCH_REPEAT": "1"}
    env.pop("HANDBOOK_SANDBOX_IMAGE", None)
    proc = subprocess.run([sys.executable, "-m", "bench"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=1800)  # a fresh remote engine builds its images (item 9)
    log = proc.stdout[-4000:] + proc.stderr[-4000:]
    assert proc.returncode == 0, log
    data = json.loads((tmp_path / "bench.json").read_text())
    assert data["error"] is None, data["error"]
    figures = {f["id"]: f for f in data["figures"]}
    for wanted in PHASE_FIGURES:
        assert wanted in figures, f"no figure {wanted}; got {sorted(figures)}\n{log}"
        assert isinstance(figures[wanted]["value"], (int, float)), figures[wanted]
    assert data["full_run"]["outcome"]["passed"] >= 2 and data["full_run"]["outcome"]["failed"] == 0
    assert (tmp_path / "bench.md").read_text().count("|") > 10
    assert (tmp_path / "bench.png").stat().st_size > 1000
