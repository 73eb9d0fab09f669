"""A page's sandbox lifecycle (item 2), and its engine and seeding (item 3).

Every page pays for its container before its first command and after its
last; pages that use Docker also pay for a nested engine and for loading the
base images into it. These are measured through the harness's own Sandbox
class, exactly as a page starts and removes it, and beside them the engine's
floor (a bare container with no options) so that a miss can be told apart
from what Docker itself costs on this machine.
"""
from __future__ import annotations

import logging
import os
import subprocess
import time

from harness.errors import BenchFailed

from .common import ROOT, Bench, Figure, load, summary

LIFECYCLE_TARGET_S = 0.5
ENGINE_TARGET_S = 10.0


def _sandbox(bench: Bench, engine: bool = False):
    from harness.sandbox import Sandbox

    return Sandbox(bench.client, bench.image, "build/bench/lifecycle.md", engine=engine,
                   seed=bench.seed if engine else None)


def _bare_floor(bench: Bench) -> float:
    """create + start + remove of a container with no options: what Docker costs here at least."""
    from harness import labels

    began = time.monotonic()
    box = bench.client.containers.create(bench.image, ["sleep", "infinity"], network_mode="none",
                                         labels=labels.for_run())
    box.start()
    box.remove(force=True)
    return time.monotonic() - began


def measure_lifecycle(bench: Bench) -> None:
    runs = max(5, bench.repeat + 2)
    parts: dict[str, list[float]] = {"start": [], "shell": [], "remove": [], "total": [], "container_only": [],
                                     "docker_floor": []}
    loads = []
    for _ in range(runs):
        box = _sandbox(bench)
        t0 = time.monotonic()
        try:
            box.start()
            t1 = time.monotonic()
            box.shell().run("true", 30)  # a console page's first command needs its shell
            t2 = time.monotonic()
        finally:
            t_rm = time.monotonic()
            box.remove()
            t3 = time.monotonic()
        parts["start"].append(t1 - t0)
        parts["shell"].append(t2 - t1)
        parts["remove"].append(t3 - t_rm)
        parts["total"].append(t3 - t0)
        parts["container_only"].append((t1 - t0) + (t3 - t_rm))
        parts["docker_floor"].append(_bare_floor(bench))
        loads.append(load())
    stats = {k: summary(v) for k, v in parts.items()}
    total = stats["total"]["median"]
    floor = stats["docker_floor"]["median"]
    why = ""
    if total > LIFECYCLE_TARGET_S:
        why = (f"median start {stats['start']['median']:.3f} s + shell {stats['shell']['median']:.3f} s + "
               f"removal {stats['remove']['median']:.3f} s; Docker's own floor here (bare container "
               f"create+start+remove, no options) is {floor:.3f} s at load {loads[-1][0]}")
    bench.add(Figure(
        "sandbox_lifecycle_s", 2, "Sandbox lifecycle, page without Docker", total, "s", f"<= {LIFECYCLE_TARGET_S}",
        measured=(f"median of {runs}: harness.sandbox.Sandbox start (run network, create, leave the network, "
                  f"start) + the page shell's start and first command (`docker exec -it bash`) + removal "
                  f"(shell closed, container removed): all a console page pays around its commands"),
        why=why, details={**stats, "load": loads}))
    bench.add(Figure(
        "sandbox_container_s", 2, "  of which container start + removal", stats["container_only"]["median"], "s",
        measured="the same runs without the shell: what the results file records as a page's `sandbox` time"))
    bench.add(Figure(
        "docker_floor_s", 2, "  Docker's floor: bare container create+start+remove", floor, "s",
        measured="a container of the sandbox image with no options, no init, no limits, no mounts"))


class _Actions(logging.Handler):
    """Collects what harness.images says it did (built, reused, saved) for each step."""

    def __init__(self):
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def _seed_state(path):
    st = path.stat()
    return {"path": os.path.relpath(path, ROOT), "inode": st.st_ino, "mtime_ns": st.st_mtime_ns,
            "size": st.st_size}


def measure_seed_reuse(bench: Bench) -> dict:
    """Provision again with nothing changed: the seed archive must be the same file, not a new save."""
    from harness import images

    save_log = ROOT / "build" / "logs" / "seed-save.log"
    log_before = save_log.stat().st_mtime_ns if save_log.exists() else None
    before = _seed_state(bench.seed)
    handler = _Actions()
    logger = logging.getLogger("harness.images")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    try:
        began = time.monotonic()
        again = images.ensure_all()
        seconds = time.monotonic() - began
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    after = _seed_state(again["seed"])
    log_after = save_log.stat().st_mtime_ns if save_log.exists() else None
    seed_line = next((line for line in handler.lines if line.startswith("seed archive")), "")
    reused = before == after and log_before == log_after and "reused" in seed_line
    return {"reused": reused, "seconds": seconds, "before": before, "after": after,
            "images_log": handler.lines, "seed_save_log_unchanged": log_before == log_after}


def measure_engine(bench: Bench, cold_save_s: float | None) -> None:
    runs = max(3, bench.repeat // 2)
    parts: dict[str, list[float]] = {"engine": [], "seed": [], "engine_plus_seed": [], "container": [], "remove": []}
    loads = []
    for _ in range(runs):
        box = _sandbox(bench, engine=True)
        try:
            box.start()
            code, out = box.exec_root(["docker", "image", "ls", "--format", "{{.Repository}}:{{.Tag}}"])
            if code != 0 or "python:3.13-slim-trixie" not in out:
                raise BenchFailed(f"the seeded engine does not list the base images:\n{out}")
        finally:
            t_rm = time.monotonic()
            box.remove()
            parts["remove"].append(time.monotonic() - t_rm)
        t = box.timings
        parts["engine"].append(t["engine"])
        parts["seed"].append(t["seed"])
        parts["engine_plus_seed"].append(t["engine"] + t["seed"])
        parts["container"].append(t["container"])
        loads.append(load())
    stats = {k: summary(v) for k, v in parts.items()}
    value = stats["engine_plus_seed"]["median"]
    seed_mb = bench.seed.stat().st_size / 2**20
    bench.add(Figure(
        "engine_and_seed_s", 3, "Nested engine start + seeding the base images", value, "s", f"<= {ENGINE_TARGET_S}",
        measured=(f"median of {runs}: Sandbox(engine=True) as a page with Docker commands gets it: dockerd "
                  f"started inside the sandbox until `docker info` answers, then `docker load` of the "
                  f"cached seed archive ({seed_mb:.0f} MiB: debian:trixie-slim, python:3.13-slim-trixie); "
                  f"container start and removal are item 2's"),
        why="" if value <= ENGINE_TARGET_S else
        f"engine {stats['engine']['median']:.1f} s + docker load {stats['seed']['median']:.1f} s of {seed_mb:.0f} MiB",
        details={**stats, "load": loads}))
    reuse = measure_seed_reuse(bench)
    shown = (f"reused, not re-saved: {reuse['seconds']:.2f} s"
             + (f" (saving anew: {cold_save_s:.1f} s)" if cold_save_s else ""))
    bench.add(Figure(
        "seed_cache_reused_s", 3, "Seed archive when nothing changed", reuse["seconds"], "s",
        measured=("harness.images.ensure_all() again with every input unchanged: the seed archive's inode and "
                  "mtime before and after, build/logs/seed-save.log untouched, and the step's own log line"),
        shown=shown if reuse["reused"] else "NOT reused: " + "; ".join(reuse["images_log"]),
        details=reuse))


def docker_version() -> str:
    return subprocess.run(["docker", "version", "--format", "{{.Server.Version}}"], capture_output=True,
                          text=True).stdout.strip()
