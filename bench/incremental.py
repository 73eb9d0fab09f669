"""Item 8: incremental runs and shards, measured on the pages of the warm full run.

The warm full run of item 4 runs fresh but records its passes in a cache of
the bench's own (build/bench/cache), so the reruns here start from a full
cache, as a contributor's `make test-docs` does after a full run:

  unchanged tree   the same command again with the cache, as `make test-docs`
                   runs it: every page is reused, the pages with a `network`
                   block too, because their passes are inside the network
                   window (NETWORK_TTL, an hour)
  one-page edit    the offline page that took longest loses its cache entry,
                   as an edit that changes its key does, and the command runs again
  window closed    the unchanged rerun once more with --network-ttl=0: what a
                   rerun costs when the pages that go online run again (context,
                   no target)
  shards           the pages split into 2 by the committed test-durations.json,
                   each shard run for real and fresh, and the balance of the
                   split judged by the seconds each page really took
  merged site      the shards' results merged as `make site RESULTS=...` does,
                   the gate, and `mkdocs build --strict` reading the merged file
"""
from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

from harness import cache, shards
from site_hooks import results as site_results
from site_hooks import shards as merging

from .common import ROOT, WORK, Bench, Figure
from .handbook import run_handbook

CACHE = WORK / "cache"
CACHE_ARGS = (f"--cache={CACHE}",)
SLACK_S = 3.0  # what a one-page edit may add to that page's own time


def full_run_extra() -> tuple[str, ...]:
    """What the warm full run adds to its command: run fresh, but fill the bench's cache."""
    return (*CACHE_ARGS, "--fresh")


def _network_pages(pages: list[str]) -> set[str]:
    images = cache.Images("", "")
    found = set()
    for name in pages:
        path = ROOT / name
        if path.suffix == ".md" and cache.page_facts(path, name, [ROOT / "snippets"], images, "").network:
            found.add(name)
    return found


def _seconds(data: dict) -> dict[str, float]:
    return shards.durations_from(data)


def _ran(data: dict) -> dict[str, float]:
    """The seconds of each page that ran in this run (its records are not marked `cached`)."""
    return _seconds({part: [r for r in data.get(part, []) if not r.get("cached")] for part in ("pages", "blocks")})


def _read(path: str | Path) -> dict:
    try:
        return dict(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def measure_incremental(bench: Bench, pages: list[str], full: dict) -> None:
    own = _seconds(_read(full["results_file"]))  # each page's seconds in the fresh full run
    network = _network_pages(list(own))
    rerun = run_handbook(bench, "rerun-unchanged", pages, 2, extra=CACHE_ARGS)
    data = _read(rerun["results_file"])
    reused = sorted({r["page"] for r in data.get("blocks", []) + data.get("pages", []) if r.get("cached")})
    ran = _ran(data)
    wall = rerun["wall_s"]
    bench.add(Figure(
        "rerun_unchanged_s", 8, "Rerun with nothing changed (make test-docs, cache on)", wall, "s", "<= 10",
        measured=(f"wall of the warm full run's command again with --cache, right after it (inside the network "
                  f"window): {len(reused)} of {len(own)} pages reused, {len(ran)} ran "
                  f"({', '.join(sorted(ran)) or 'none'})"),
        why="" if wall <= 10 else (
            f"{len(ran)} page(s) ran again and took {sum(ran.values()):.0f} page-seconds; start-up, the "
            f"provisioning check and the cache decision took the rest"),
        details={"reused": reused, "ran": ran, "network_pages": sorted(network), "exit_status": rerun["exit_status"],
                 "load_before": rerun["load_before"]}))

    offline = {p: s for p, s in own.items() if p not in network and p.endswith(".md")}
    if not offline:
        return
    edited = max(offline, key=lambda p: (offline[p], p))
    forget(bench, edited)
    edit = run_handbook(bench, "rerun-one-edit", pages, 2, extra=CACHE_ARGS)
    ran_now = _ran(_read(edit["results_file"]))
    others = sum(s for p, s in ran_now.items() if p != edited)
    target = own[edited] + SLACK_S
    bench.add(Figure(
        "rerun_one_edit_s", 8, f"Rerun after a one-page edit ({edited.removeprefix('docs/')})", edit["wall_s"], "s",
        f"<= {target:.1f}",
        measured=(f"wall of the same command once {edited} has no cache entry (as after an edit), the offline "
                  f"page that took longest ({own[edited]:.1f} s in the full run); target: that page's time "
                  f"+ {SLACK_S:.0f} s"),
        why="" if edit["wall_s"] <= target else (
            f"other pages ran too ({others:.0f} page-seconds: {', '.join(p for p in ran_now if p != edited)})"
            if others else (f"no other page ran; start-up and the cache decision took "
                            f"{edit['wall_s'] - own[edited]:.0f} s (load {edit['load_before'][0]})")),
        details={"ran": ran_now, "edited_page_s": own[edited], "other_pages_s": others}))
    if not network:
        return
    # The window closed: every page that goes online runs again. What the strict rule would cost each rerun.
    strict = run_handbook(bench, "rerun-network-window-closed", pages, 2, extra=(*CACHE_ARGS, "--network-ttl=0"))
    ran_strict = _ran(_read(strict["results_file"]))
    bench.add(Figure(
        "rerun_network_window_closed_s", 8, "  the same rerun once the network window has closed", strict["wall_s"],
        "s", measured=(f"the unchanged rerun with --network-ttl=0 (make test-docs NETWORK_TTL=0): the "
                       f"{len(ran_strict)} pages with `network` blocks run again ({', '.join(sorted(ran_strict))})"),
        details={"ran": ran_strict, "exit_status": strict["exit_status"], "load_before": strict["load_before"]}))


def forget(bench: Bench, page: str) -> None:
    """Remove the page's cache entry. An edit changes the page's key, so its entry no longer matches;
    removing it has the same effect without editing a page of the working tree (which a commit made
    meanwhile would take along)."""
    images = cache.Images(str(bench.client.images.get(bench.image).id), bench.seed.name)
    key = cache.page_facts(ROOT / page, page, [ROOT / "snippets"], images, cache.harness_version()).key
    (CACHE / f"{key}.json").unlink(missing_ok=True)


def measure_shards(bench: Bench, pages: list[str], full: dict) -> None:
    own = _seconds(_read(full["results_file"]))
    committed = shards.load_durations()
    walls, outs = [], []
    for index in (1, 2):
        run = run_handbook(bench, f"shard-{index}-of-2", pages, 2, extra=(f"--shard={index}/2",))
        walls.append(run["wall_s"])
        outs.append(Path(run["results_file"]))
    split = [(_read(o).get("run", {}).get("shard") or {}).get("pages", []) for o in outs]  # as the shards ran
    planned = {p: committed.get(p, shards.estimate(1)) for s in split for p in s}
    realized = shards.balance(split, own)
    bench.add(Figure(
        "shard_balance", 8, "Shard balance, 2 shards (largest / mean)", realized, "x", "<= 1.3",
        measured=(f"the split of test-durations.json, judged by the seconds each page took in the warm full run: "
                  f"{' | '.join(f'{sum(own.get(p, 0) for p in s):.0f} s' for s in split)}; with the committed "
                  f"durations themselves {shards.balance(split, planned):.2f}"),
        details={"split": split, "page_seconds": own, "shard_walls_s": walls}))
    bench.add(Figure(
        "shards_wall_s", 8, "  slowest shard's wall (what CI waits for)", max(walls), "s",
        measured=f"each shard run for real, fresh, 2 workers, one after the other here: {walls[0]:.0f} s, "
                 f"{walls[1]:.0f} s (the full run: {full['wall_s']:.0f} s)"))
    merged_site(bench, outs)


def merged_site(bench: Bench, outs: list[Path]) -> None:
    began = time.monotonic()
    merged = WORK / "shards-merged.results.json"
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    pages = [p.resolve().relative_to(ROOT).as_posix() for p in site_results.pages_in(ROOT / "docs")]
    verdict, built = "", False
    try:
        merged.write_text(json.dumps(merging.merge(outs, pages, head)))
        run, found = site_results.collect(site_results.pages_in(ROOT / "docs"), report=merged)
        refused = site_results.refusals(run, found)
        if refused:
            verdict = "the gate refused: " + "; ".join(refused[:3])
        else:
            env = {**os.environ, "HANDBOOK_RESULTS": str(merged), "HANDBOOK_SITE_GATE": "1",
                   "NO_MKDOCS_2_WARNING": "1"}
            proc = subprocess.run([str(ROOT / ".venv/bin/mkdocs"), "build", "--strict", "--site-dir",
                                   str(WORK / "site")], cwd=ROOT, env=env, capture_output=True, text=True,
                                  timeout=600)
            built = proc.returncode == 0
            verdict = "built" if built else "mkdocs failed: " + proc.stderr.strip().splitlines()[-1][:200]
    except merging.Refused as e:
        verdict = "the merge refused: " + "; ".join(str(e).splitlines()[:3])
    seconds = time.monotonic() - began
    bench.add(Figure(
        "merged_shard_site_s", 8, "Site built from the merged shards", seconds, "s",
        shown=f"{seconds:.0f} s, {'passed' if built else 'REFUSED'}",
        measured=("merge of the two shards' results (every page once, one commit, one set of images), the gate, "
                  f"and mkdocs build --strict reading the merged file, as make site RESULTS=... does: {verdict}"),
        details={"passed": built, "verdict": verdict}))
