"""What every measurement shares: the engine and images, statistics, figures.

Medians, because the machine is shared: a neighbour's build can stall one
sample for seconds, and a median of several ignores it where a mean would
not. Each figure keeps its samples and the load average around it, so a
reader of bench.json can tell a slow harness from a busy machine.
"""
from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# BENCH_OUT and BENCH_PAGES exist for the smoke test (tests/test_bench_smoke.py), which runs every
# phase on a page or two into a folder of its own, so that a broken `make bench` fails `make test`.
OUT = Path(os.environ.get("BENCH_OUT") or ROOT / "build").resolve()
WORK = OUT / "bench"  # generated pages, timings, logs; rebuilt by every run
RESULT = OUT / "bench.json"
CHART = OUT / "bench.png"
TABLE_MD = OUT / "bench.md"
PAGES = os.environ.get("BENCH_PAGES", "docs").split()  # what the "whole handbook" runs run

# Runs go online as `make test-docs` does: blocks marked `network` reach the package registries,
# so the examples' own time is the real one. BENCH_OFFLINE=1 makes them fail fast instead.
OFFLINE = {"HANDBOOK_NETWORK": "none"} if os.environ.get("BENCH_OFFLINE") == "1" else {}
MODE = "offline (HANDBOOK_NETWORK=none)" if OFFLINE else "online, as make test-docs runs"


def fresh_work_dir() -> Path:
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    return WORK


def summary(samples: list[float]) -> dict:
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples),
            "n": len(samples), "samples": [round(s, 6) for s in samples]}


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


@dataclass
class Figure:
    """One number of the table, with its target and exactly what it measured."""

    id: str
    item: int
    title: str
    value: float | None
    unit: str
    target: str = ""  # "<= 2", ">= 1.6", or "" for context figures
    measured: str = ""
    why: str = ""  # for a missed target: the reason, in numbers
    shown: str = ""  # what the table shows instead of the bare value, when a number alone says too little
    details: dict = field(default_factory=dict)

    @property
    def met(self) -> bool | None:
        if not self.target or self.value is None:
            return None
        op, bound = self.target.split()
        return self.value <= float(bound) if op == "<=" else self.value >= float(bound)

    def as_dict(self) -> dict:
        return {**asdict(self), "met": self.met}


class Bench:
    """The run's engine, images and figures; sandboxes are labelled with one run id
    so that a killed bench leaves nothing the next harness run would not sweep."""

    def __init__(self, repeat: int):
        self.repeat = repeat
        self.figures: list[Figure] = []
        self.details: dict = {}
        self.started = time.monotonic()
        from harness import labels
        from harness.context import RunContext
        from harness.engine import ensure_engine
        from harness.images import ensure_all

        self.client = ensure_engine()
        self.run_id, _ = labels.current_run()
        provisioned = ensure_all()
        self.image = provisioned["sandbox"]
        self.seed = Path(provisioned["seed"])
        self.context = RunContext(self.client, self.image, self.seed, root=ROOT)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        return figure

    def cleanup(self) -> None:
        from harness import labels

        labels.remove_run(self.client, self.run_id)

    def pytest_env(self, provisioned: bool = True) -> dict:
        """The environment of a harness run started by the bench: as MODE says, and (unless
        provisioning is what is measured) told the images so it does not look them up."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("HANDBOOK_RUN")}
        env.update(OFFLINE)
        if provisioned:
            env["HANDBOOK_SANDBOX_IMAGE"] = self.image
            env["HANDBOOK_SEED"] = str(self.seed)
        return env


def pytest_cmd(*args: str) -> list[str]:
    """The harness run as `make test-docs` starts it."""
    return [sys.executable, "-m", "pytest", "-c", "pytest.ini", "--rootdir=.", "-p", "no:cacheprovider",
            "-p", "no:hypothesispytest", "--assert=plain", "-q", *args]


def run_timed(cmd: list[str], env: dict, log: Path, timeout: float = 900) -> tuple[float, int]:
    """Wall seconds and exit status of a command, its output in `log`."""
    began = time.monotonic()
    with log.open("w") as out:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=timeout)
    return time.monotonic() - began, proc.returncode


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n")
