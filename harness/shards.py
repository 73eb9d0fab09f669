"""Shards: split the pages into N disjoint sets of about equal time, the same on every machine.

CI runs `make test-docs SHARD=K/N` on N runners, and each must pick its pages
without talking to the others: so the split depends only on the page list
and on the committed `test-durations.json` (each page's seconds in a full
run, refreshed with `make durations`). A page the file does not know yet
gets an estimate from its example count. Pages go longest first into the
shard with the least time so far; ties go by name and by shard number, so
every machine computes the same split.

  python -m harness.shards durations RESULTS   the durations file's content, from a full run's results
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DURATIONS = ROOT / "test-durations.json"
# A page the durations file does not know: a fixed start (sandbox, bookkeeping) and a typical example.
ESTIMATE_BASE_S = 3.0
ESTIMATE_PER_EXAMPLE_S = 1.5
SPEC = re.compile(r"^(?P<k>[1-9][0-9]*)/(?P<n>[1-9][0-9]*)$")


def parse_spec(spec: str) -> tuple[int, int]:
    """`2/3` -> (2, 3): the second of three shards (numbered from 1)."""
    m = SPEC.match(spec.strip())
    if not m or int(m["k"]) > int(m["n"]):
        raise ValueError(f"SHARD={spec!r}: write K/N with 1 <= K <= N, e.g. SHARD=1/2")
    return int(m["k"]), int(m["n"])


def shard_name(index: int, count: int) -> str:
    return f"{index}-of-{count}"


def load_durations(path: Path = DURATIONS) -> dict[str, float]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(k): float(v) for k, v in data["pages"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def load_engine_pages(path: Path = DURATIONS) -> set[str]:
    """The pages that started a Docker engine of their own in the run the durations file is from."""
    try:
        return {str(page) for page in json.loads(path.read_text(encoding="utf-8")).get("engine", [])}
    except (OSError, ValueError, TypeError, AttributeError):
        return set()


def estimate(examples: int) -> float:
    return ESTIMATE_BASE_S + ESTIMATE_PER_EXAMPLE_S * examples


def deal(pages: list[str], seconds: dict[str, float], count: int, openers: list[str] | None = None) -> list[list[str]]:
    """Longest first (ties in the order given), each page to the bin with the least time so far
    (ties: the first bin); each bin in the order its pages were dealt. `openers` are placed
    first, one to a bin. Shards are split so, and a run's xdist workers are planned so
    (schedule.py)."""
    bins: list[list[str]] = [[page] for page in (openers or [])[:count]]
    bins += [[] for _ in range(count - len(bins))]
    load = [sum(seconds[page] for page in b) for b in bins]
    for page in sorted(pages, key=lambda p: -seconds[p]):
        lightest = min(range(count), key=load.__getitem__)
        bins[lightest].append(page)
        load[lightest] += seconds[page]
    return bins


def split(seconds: dict[str, float], count: int) -> list[list[str]]:
    """Greedy longest-first into the lightest shard; every page in exactly one shard."""
    return [sorted(s) for s in deal(sorted(seconds), seconds, count)]


def balance(shards: list[list[str]], seconds: dict[str, float]) -> float:
    """The largest shard's seconds over the mean: 1.0 is a perfect split."""
    sums = [sum(seconds.get(p, 0.0) for p in s) for s in shards]
    mean = sum(sums) / len(sums) if sums else 0.0
    return max(sums) / mean if mean else 1.0


def durations_from(results: dict[str, Any]) -> dict[str, float]:
    """Each page's seconds in a results file: its page end's total, or a notebook's own record.

    What a page waited for its engine is left out: whether it waits depends on the page run
    before it on its worker, which the next run plans anew (schedule.py)."""
    found: dict[str, float] = {}
    for r in results.get("pages", []) + [b for b in results.get("blocks", []) if b.get("kind") == "notebook"]:
        timings = r.get("timings") or {}
        total = timings.get("total", r.get("seconds"))
        if total is not None:
            found[r["page"]] = round(max(0.0, float(total) - float(timings.get("engine_wait") or 0.0)), 1)
    return dict(sorted(found.items()))


def engine_pages_from(results: dict[str, Any]) -> list[str]:
    """The pages of a results file that started a Docker engine of their own (their start costs
    seconds more, unless it is started while another page runs: schedule.py)."""
    return sorted(r["page"] for r in results.get("pages", [])
                  if ((r.get("timings") or {}).get("engine") or 0) > 0)


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "durations":
        print(__doc__, file=sys.stderr)
        return 2
    results = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    pages = durations_from(results)
    if not pages:
        print(f"{argv[1]} holds no page timings: run make test-docs first", file=sys.stderr)
        return 1
    about = ("Seconds each page took in a full run (make durations, from build/results.json); "
             "make test-docs SHARD=K/N splits the pages by them")
    print(json.dumps({"about": about, "commit": results.get("run", {}).get("commit", ""), "pages": pages,
                      "engine": engine_pages_from(results)}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
