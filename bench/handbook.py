"""The whole handbook through the harness: wall time, shares, workers, memory.

These runs start pytest the way `make test-docs` does (xdist, --dist
loadfile, the controller provisioning the images) and read the run's
results file, where each page reports where its own time went. A full run takes minutes,
so it runs once per configuration, and the warm two-worker run serves items
4, 5 (one side of the full-run cross-check) and 7 at once.

Memory is sampled from /proc while the run goes: VmHWM of the controller and
of each worker (the kernel's own high-water mark, so a short peak between two
samples is not missed while the process lives), and the sum of their VmRSS
at each sample for the peak of the harness as a whole.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import threading
import time
from pathlib import Path

from .common import ROOT, WORK, Bench, load, pytest_cmd

NEEDS_NETWORK = "network-unavailable"  # the reason code of a `network` block in an offline run
# Pages for the one-worker side of item 5: both kinds (with and without a nested engine), about
# a third of the handbook's page-seconds, and no single page longer than the others together.
WORKER_SUBSET = ["docs/command-line.md", "docs/contributing.md", "docs/git.md", "docs/programming-tools.md",
                 "docs/whats-next.md", "docs/index.md"]


def _status(pid: int) -> dict[str, int]:
    fields = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                fields[key] = int(value.split()[0]) * 1024
    except OSError:
        pass
    return fields


def _tree(root: int) -> dict[int, str]:
    """pid -> command line of `root` and all its descendants."""
    parents = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(f"/proc/{entry.name}/stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid and child not in found:
                found.add(child)
                frontier.append(child)
    tree = {}
    for pid in found:
        try:
            tree[pid] = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
    return tree


class MemorySampler(threading.Thread):
    def __init__(self, root: int, every: float = 0.25):
        super().__init__(daemon=True)
        self.root, self.every = root, every
        self.peaks: dict[int, dict] = {}  # pid -> role, VmHWM
        self.tree_peak = 0  # the largest sum of the harness's Python processes' VmRSS at one instant
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            total = 0
            for pid, cmd in _tree(self.root).items():
                if "python" not in cmd.split(" ", 1)[0]:
                    continue  # docker CLIs the harness starts are not the harness's memory
                status = _status(pid)
                if not status:
                    continue
                role = "controller" if pid == self.root else "worker"
                seen = self.peaks.setdefault(pid, {"role": role, "hwm": 0})
                seen["hwm"] = max(seen["hwm"], status.get("VmHWM", 0))
                total += status.get("VmRSS", 0)
            self.tree_peak = max(self.tree_peak, total)
            self.done.wait(self.every)

    def result(self) -> dict:
        workers = [p["hwm"] for p in self.peaks.values() if p["role"] == "worker"]
        controller = [p["hwm"] for p in self.peaks.values() if p["role"] == "controller"]
        mib = 2 ** 20
        return {"controller_peak_mib": max(controller, default=0) / mib,
                "worker_peak_mib": max(workers, default=0) / mib,
                "workers_sampled": len(workers),
                "all_python_processes_peak_mib": self.tree_peak / mib,
                "per_process_mib": sorted(round(p["hwm"] / mib, 1) for p in self.peaks.values())}


def outcome_counts(data: dict) -> dict:
    """Passed, failed and skipped blocks of a results file; failures for want of a network, and after one."""
    counts: dict = {"tests": 0, "passed": 0, "failed": 0, "skipped": 0, "failed_needing_network": 0,
                    "failed_after_network_failure": 0, "failed_pages": {}}
    offline_since: dict[str, int] = {}  # page -> line of its first block that needed the network
    failed_ends = [r for r in data.get("pages", []) if r["status"] == "failed"]
    for r in sorted(data.get("blocks", []) + failed_ends, key=lambda r: (r["page"], r["line"] or 10**9)):
        counts["tests"] += 1
        if r["status"] == "skipped":
            counts["skipped"] += 1
        elif r["status"] == "failed":
            counts["failed"] += 1
            page = r["page"]
            counts["failed_pages"][page] = counts["failed_pages"].get(page, 0) + 1
            if r["reason"] == NEEDS_NETWORK:
                counts["failed_needing_network"] += 1
                offline_since.setdefault(page, r["line"])
            elif page in offline_since:
                counts["failed_after_network_failure"] += 1
        else:
            counts["passed"] += 1
    return counts


def read_results(path: Path) -> dict:
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def run_handbook(bench: Bench, name: str, pages: list[str], workers: int, memory: bool = False,
                 extra: tuple[str, ...] = ()) -> dict:
    results = WORK / f"{name}.results.json"
    log = WORK / f"{name}.log"
    cmd = pytest_cmd("-n", str(workers), "--dist", "loadfile", *pages, f"--results={results}", *extra)
    before_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    began = time.monotonic()
    load_before = load()
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=bench.pytest_env(provisioned=False),
                                stdout=out, stderr=subprocess.STDOUT)
        sampler = MemorySampler(proc.pid) if memory else None
        if sampler:
            sampler.start()
        try:
            code = proc.wait(timeout=1500)
        finally:
            if sampler:
                sampler.done.set()
                sampler.join()
    wall = time.monotonic() - began
    data = read_results(results)
    records = [r["timings"] for r in data.get("pages", []) if r.get("timings")]
    notebooks = sum(float(b["seconds"]) for b in data.get("blocks", []) if b.get("kind") == "notebook")
    result: dict = {"name": name, "workers": workers, "pages": pages, "wall_s": wall, "exit_status": code,
              "notebook_seconds": notebooks,
              "load_before": load_before, "load_after": load(), "outcome": outcome_counts(data),
              "records": records, "shares": shares(records, wall, workers),
              "command": " ".join(cmd[1:]), "log": os.path.relpath(log, ROOT), "results_file": str(results)}
    if sampler:
        result["memory"] = sampler.result()
        after_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        result["memory"]["rusage_children_maxrss_mib"] = after_children / 1024 if after_children > before_children \
            else None
    return result


def shares(records: list[dict], wall: float, workers: int) -> dict:
    """Where the page-seconds went, and what of the run's worker-seconds no page accounts for."""
    keys = ("total", "sandbox", "engine", "seed", "engine_wait", "examples", "harness")
    sums = {k: sum(r.get(k, 0.0) for r in records) for k in keys}
    total = sums["total"] or 1.0
    return {
        "page_seconds": sums,
        "outside_examples": 1 - sums["examples"] / total,
        "sandbox": sums["sandbox"] / total,
        # the engine starts while a page's first blocks run: only the wait for it is the page's time
        "engine_and_seed": sums["engine_wait"] / total,
        "bookkeeping": sums["harness"] / total,
        "examples": sums["examples"] / total,
        # start-up, collection, provisioning check, idle worker at the end, teardown of the run
        "outside_pages_worker_s": wall * workers - sums["total"],
    }
