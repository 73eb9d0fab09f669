"""`python -m bench` (`make bench`): measure, then write build/bench.json, the table and the chart.

The plan, cheapest first so that a failure shows early, and sized to finish
within 15 minutes on a busy two-core machine:

  1, 6  per-command overhead; byexample on the same pages     ~1 min
  2, 3  sandbox lifecycle; nested engine + seeding; seed reuse ~1 min
  4     cold provisioning parts; warm `python -m harness.images` ~0.5 min
  4, 7  the whole handbook, warm, two workers (memory sampled)  ~3 min
  5     the whole handbook with one worker                     ~3-5 min
        (when that would overrun 13 minutes: a subset of pages with one worker, then with two)
  8     incremental reruns (unchanged, one page edited), 2 shards run and merged into a site  ~2-3 min

--items picks some of them (for working on one figure); BENCH_REPEAT sets
how many samples the small measurements take (default 5).
"""
from __future__ import annotations

import argparse
import datetime
import os
import sys
import time
import traceback
from typing import TypeVar

from harness.errors import BenchFailed

from . import cold, commands, handbook, incremental, lifecycle, remote, report
from .common import (
    CHART,
    MODE,
    PAGES,
    RESULT,
    ROOT,
    TABLE_MD,
    WORK,
    Bench,
    Figure,
    fresh_work_dir,
    git,
    load,
    write_json,
)

WALL_IDEAL_TARGET = 1.10  # a warm full run's wall / (Σ the examples' own seconds / workers)
SPEEDUP_TARGET = 1.6
T = TypeVar("T")
BUDGET_S = 13 * 60  # of make bench's 15 minutes: the rest is make's own steps and the report


def handbook_figures(bench: Bench, full: dict, provisioning: dict) -> None:
    s, out = full["shares"], full["outcome"]
    sums = s["page_seconds"]
    other = out["failed"] - out["failed_needing_network"] - out["failed_after_network_failure"]
    offline = (f"{out['passed']} blocks passed, {out['failed']} failed ({out['failed_needing_network']} "
               f"need the network, {out['failed_after_network_failure']} come later on those pages"
               + (f", {other} OTHER FAILURES: see the run's log" if other else "") + f"), {out['skipped']} skipped")
    bench.add(Figure(
        "handbook_warm_wall_s", 4, "Whole handbook, warm, 2 workers: wall", full["wall_s"], "s",
        measured=(f"one run of `pytest -n 2 --dist loadfile docs` as make test-docs starts it, images cached, "
                  f"{MODE}: {offline}"), details={"outcome": out}))
    share = s["outside_examples"] * 100
    examples = sums["examples"] + full.get("notebook_seconds", 0.0)
    ideal = examples / full["workers"]
    ratio = full["wall_s"] / ideal if ideal else None
    bench.add(Figure(
        "wall_ideal_ratio", 4, "Whole handbook, warm: wall / ideal", ratio, "x", f"<= {WALL_IDEAL_TARGET}",
        measured=(f"the wall of the same run against the ideal: Σ the examples' own seconds "
                  f"({examples:.0f} s: commands, scripts, Python, notebooks, from the results file) / "
                  f"{full['workers']} workers = {ideal:.0f} s"),
        why="" if ratio is not None and ratio <= WALL_IDEAL_TARGET else (
            f"{full['wall_s']:.0f} s against {ideal:.0f} s: of {sums['total']:.0f} page-seconds, sandbox start "
            f"and removal {sums['sandbox']:.0f} s, waiting for nested engines {sums['engine_wait']:.0f} s, "
            f"bookkeeping {sums['harness']:.0f} s; outside any page {s['outside_pages_worker_s']:.0f} "
            f"worker-seconds (start-up, collection, the last page's tail)"),
        details={"ideal_s": ideal, "examples_s": examples, **s}))
    bench.add(Figure(
        "harness_share_warm_pct", 4, "  harness share (time outside the examples' commands)", share, "%",
        measured=("1 - Σ examples / Σ page totals over the page records in the warm full run's results file: "
                  "everything a page spends outside its own commands, scripts and Python (sandbox, nested "
                  "engine, seeding, bookkeeping); context for the ratio above, no longer a target of its own"),
        details=s))
    bench.add(Figure(
        "harness_bookkeeping_pct", 4, "  of which bookkeeping (not sandbox, engine, seeding)",
        s["bookkeeping"] * 100, "%",
        measured=("Σ `harness` / Σ `total` of the same records: pytest, parsing, comparing, writing files "
                  "into the sandbox, starting shells and Python runners, process counts")))
    cold_s = provisioning["cold"]["provisioning_s"]
    bench.add(Figure(
        "handbook_cold_wall_s", 4, "Whole handbook, cold (estimated)", cold_s + full["wall_s"], "s",
        measured=("cold provisioning (below) + the warm wall above: once the images exist a cold run's pages "
                  "run as a warm run's; not run for real, because that would delete the images other "
                  "engineers use and fetch packages from Debian and PyPI"),
        details={"cold_provisioning": provisioning["cold"]}))
    steps = provisioning["cold"]["steps"]
    parts = ", ".join(f"{k} {v['seconds']:.0f} s" if v["seconds"] is not None else f"{k} unknown"
                      for k, v in steps.items())
    bench.add(Figure(
        "cold_provisioning_s", 4, "  cold provisioning of the images", cold_s, "s",
        measured=(f"{parts}: downloads read from the engine's record of the last cold build "
                  f"({provisioning['cold']['recorded_at']}), local steps timed now into throwaway files"
                  + ("" if provisioning["cold"]["complete"] else "; incomplete: a step has no record")),
        details=provisioning["cold"]))
    bench.add(Figure(
        "warm_provisioning_s", 4, "  warm provisioning (`python -m harness.images`)",
        provisioning["warm"]["median"], "s", measured="median wall of the command with every image cached",
        details=provisioning["warm"]))


RUN_KEYS = ("pages", "wall_s", "outcome", "shares", "load_before", "load_after")


def worker_figures(bench: Bench, two_full: dict, one: dict, two: dict) -> None:
    # The two runs follow each other on a shared machine, so the pages themselves may run slower in
    # one than in the other (a neighbour's build starts). "Same work" gives the one-worker run the
    # two-worker run's page times, keeping its own time outside pages; the lower of the two ratios
    # is the figure, so that a neighbour can never make the harness look better than it is.
    raw = one["wall_s"] / two["wall_s"]
    one_pages, two_pages = (r["shares"]["page_seconds"]["total"] for r in (one, two))
    same_work = (two_pages + one["wall_s"] - one_pages) / two["wall_s"]
    speedup = min(raw, same_work)
    whole = one["pages"] == ["docs"]
    per_page = {r["page"]: r["total"] for r in two["records"]}
    longest = max(per_page.values(), default=0)
    page_s = sum(per_page.values())
    scope = ("the whole handbook" if whole else
             f"the same {len(one['pages'])} pages ({', '.join(p.removeprefix('docs/') for p in one['pages'])}), "
             f"a subset because the whole handbook with one worker would not have fit the 15 minutes")
    bench.add(Figure(
        "workers_speedup", 5, "Two workers against one" + ("" if whole else " (page subset)"), speedup, "x",
        f">= {SPEEDUP_TARGET}",
        measured=(f"wall of `pytest -n 1` / `pytest -n 2` (--dist loadfile, warm, {MODE}) on {scope}: "
                  f"{one['wall_s']:.0f} s / {two['wall_s']:.0f} s = {raw:.2f}x; with the same work (the one-"
                  f"worker run's pages took {one_pages:.0f} page-seconds, the two-worker run's {two_pages:.0f}) "
                  f"{same_work:.2f}x; the lower of the two"
                  + ("; the two-worker side is the warm full run of item 4" if two is two_full else "")),
        why="" if speedup >= SPEEDUP_TARGET else (
            f"one worker {one['wall_s']:.0f} s, two {two['wall_s']:.0f} s: with whole pages per worker "
            f"(--dist loadfile) the longest page ({longest:.0f} s of {page_s:.0f} page-seconds) bounds the "
            f"speedup at {page_s / longest:.2f}x, and the machine's 2 cores are shared (load "
            f"{two['load_before'][0]} before the run)"),
        details={"one_worker": {k: one[k] for k in (*RUN_KEYS, "records")},
                 "two_workers": {k: two[k] for k in RUN_KEYS},
                 "raw_ratio": raw, "same_work_ratio": same_work,
                 "bound_by_longest_page": page_s / longest if longest else None}))
    sums = two_full["shares"]["page_seconds"]["total"]
    bench.add(Figure(
        "workers_full_run_parallelism", 5, "  full run: Σ page time / wall (2 workers)", sums / two_full["wall_s"], "x",
        measured="the warm full run's page-seconds over its wall: how busy the two workers were (2.0 at best)"))


def memory_figures(bench: Bench, full: dict) -> None:
    mem = full["memory"]
    bench.add(Figure(
        "memory_controller_mib", 7, "Peak resident memory: pytest controller", mem["controller_peak_mib"], "MiB",
        measured="VmHWM of the controlling pytest process during the warm full run, sampled from /proc every 0.25 s",
        details=mem))
    bench.add(Figure(
        "memory_worker_mib", 7, "Peak resident memory: largest worker", mem["worker_peak_mib"], "MiB",
        measured=f"largest VmHWM among the {mem['workers_sampled']} xdist workers of the same run"))
    bench.add(Figure(
        "memory_all_mib", 7, "Peak resident memory: controller + workers together",
        mem["all_python_processes_peak_mib"], "MiB",
        measured=("largest sum of VmRSS of the run's Python processes at one sample (the docker CLIs the "
                  "harness starts, and everything inside containers, excluded)")))


def measured(value: T | None) -> T:
    """What an earlier phase measured; the items that need it always run that phase first."""
    if value is None:
        raise BenchFailed("a phase ran before the phase it builds on")
    return value


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--items", default="1,2,3,4,5,6,7,8,9", help="which items to measure (default: all)")
    parser.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_REPEAT", "5")))
    args = parser.parse_args()
    items = {int(i) for i in args.items.split(",") if i}
    os.chdir(ROOT)
    fresh_work_dir()
    began = time.monotonic()
    bench = Bench(args.repeat)
    phases, full, error = {}, None, None

    def phase(name):
        phases[name] = round(time.monotonic() - began, 1)
        print(f"[bench] {time.monotonic() - began:6.0f} s  {name}", flush=True)

    try:
        overhead = None
        if items & {1, 6}:
            phase("per-command overhead (1)")
            page = commands.generate_page(WORK / "pages" / "commands-200.md")
            overhead = commands.measure_overhead(bench, page)
        if 6 in items:
            phase("byexample (6)")
            commands.measure_byexample(bench, page, measured(overhead))
        if 2 in items:
            phase("sandbox lifecycle (2)")
            lifecycle.measure_lifecycle(bench)
        provisioning = None
        if items & {3, 4}:
            phase("cold provisioning parts, warm provisioning (4)")
            provisioning = {"cold": cold.measure_cold(bench), "warm": cold.warm_provisioning(bench, 3)}
        if 3 in items:
            phase("nested engine and seeding (3)")
            lifecycle.measure_engine(bench, measured(provisioning)["cold"]["seed_save_now_s"]["median"])
        if items & {4, 5, 7, 8}:
            phase("whole handbook, warm, 2 workers (4, 7)")
            full = handbook.run_handbook(bench, "full-2-workers", PAGES, 2, memory=True,
                                         extra=incremental.full_run_extra())
            if 4 in items:
                handbook_figures(bench, full, measured(provisioning))
        if 5 in items:
            # One worker takes about the page-seconds of the two-worker run: the whole handbook when
            # that still fits the budget, else a subset measured on both sides.
            full = measured(full)
            expected = full["shares"]["page_seconds"]["total"] * 1.2 + 20
            if "BENCH_SUBSET" not in os.environ and time.monotonic() - began + expected < BUDGET_S:
                phase("whole handbook, warm, 1 worker (5)")
                one = handbook.run_handbook(bench, "full-1-worker", PAGES, 1)
                worker_figures(bench, full, one, full)
            else:
                subset = os.environ.get("BENCH_SUBSET", " ".join(handbook.WORKER_SUBSET)).split()
                phase("page subset, 1 worker (5)")
                one = handbook.run_handbook(bench, "subset-1-worker", subset, 1)
                phase("page subset, 2 workers (5)")
                two = handbook.run_handbook(bench, "subset-2-workers", subset, 2)
                worker_figures(bench, full, one, two)
        if 7 in items:
            memory_figures(bench, measured(full))
        if 8 in items:
            phase("incremental reruns (8)")
            incremental.measure_incremental(bench, PAGES, measured(full))
            phase("shards and the merged site (8)")
            incremental.measure_shards(bench, PAGES, measured(full))
        if 9 in items:
            phase("a page on a remote engine (9)")
            remote.measure_remote(bench)
    except Exception:  # noqa: BLE001 - keep what was measured, and say where it stopped
        error = traceback.format_exc()
        print(error, file=sys.stderr)
    finally:
        bench.cleanup()
    phase("report")
    order = sorted(bench.figures, key=lambda f: f.item)
    data = {
        "generated": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "machine": {"cpus": os.cpu_count(), "load_at_end": load(), "docker": lifecycle.docker_version(),
                    # set, every pytest process recompiles (and assert-rewrites) its imports: ~0.5 s each
                    "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE", "")},
        "network": MODE,
        "repeat": args.repeat, "phases_started_at_s": phases, "bench_wall_s": time.monotonic() - began,
        "figures": [f.as_dict() for f in order],
        "full_run": full and {k: v for k, v in full.items()},
        "error": error,
    }
    write_json(RESULT, data)
    table = report.text_table(order)
    TABLE_MD.write_text(report.markdown_table(order) + "\n")
    if full and full["records"]:
        report.chart(full["records"], CHART,
                     f"Where a warm full run's time goes, page by page "
                     f"(2 workers, {MODE}; wall {full['wall_s']:.0f} s)")
    print(f"\n{table}\n")
    print(f"[bench] {RESULT}, {TABLE_MD}" + (f", {CHART}" if full else "")
          + f"; {time.monotonic() - began:.0f} s in all")
    return 1 if error else 0


if __name__ == "__main__":
    sys.exit(main())
