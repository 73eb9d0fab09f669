"""Which pages this run runs: all of them, a shard of them, less those the cache already verified.

The controlling process decides once, in pytest_configure, before any xdist
worker starts: it lists the pages the run was given, keeps its shard's
(shards.py), looks each up in the results cache (cache.py), and writes the
pages to leave out beside the results file's parts. Every worker reads that
same file when it collects, so all of them deselect the same items, as xdist
requires. The reused pages' records go into a part of their own, so the
merged results file holds them, marked `cached`. When the run ends, the
controller stores the pages it verified from the merged results.
"""
from __future__ import annotations

import datetime
import fnmatch
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import cache, record, shards
from .context import RunContext

PAGE_SUFFIXES = (".md", ".ipynb")
SKIP_FILE = "deselect.json"  # in the results file's parts folder: pages the workers leave out
CACHED_PART = "cached.jsonl"  # the reused records, merged like any worker's part


@dataclass
class Selection:
    facts: dict[str, cache.PageFacts] = field(default_factory=dict)
    store: cache.Store | None = None
    shard: dict[str, Any] | None = None  # {"index", "count", "pages"}: what this shard was given
    left_out: set[str] = field(default_factory=set)  # pages the workers deselect


def pages_given(args: list[str], invoked: Path, norecurse: list[str]) -> list[Path]:
    """The pages pytest will collect from these arguments, as it walks folders."""
    found: set[Path] = set()
    for arg in args:
        path = invoked / str(arg).split("::")[0]
        if path.is_file() and path.suffix in PAGE_SUFFIXES:
            found.add(path.resolve())
        elif path.is_dir():
            found.update(p.resolve() for p in path.rglob("*") if p.suffix in PAGE_SUFFIXES and p.is_file()
                         and not _ignored(p.relative_to(path).parts[:-1], norecurse))
    return sorted(found)


def _ignored(folders: tuple[str, ...], norecurse: list[str]) -> bool:
    return any(part == ".ipynb_checkpoints" or any(fnmatch.fnmatch(part, pat) for pat in norecurse)
               for part in folders)


def images_of(ctx: RunContext) -> cache.Images:
    sandbox = str(ctx.engine().images.get(ctx.image).id)
    return cache.Images(sandbox, ctx.seed.name if ctx.seed else "")


def decide(ctx: RunContext, pages: list[Path], results: Path, store: Path | None, fresh: bool,
           shard: str | None, say=print, network_window: datetime.timedelta = datetime.timedelta(0)) -> Selection:
    """Work out and write down what the workers leave out; the run's Selection for its end."""
    sel = Selection()
    harness = cache.harness_version()
    images = images_of(ctx)
    for path in pages:
        name = ctx.page_name(path)
        sel.facts[name] = cache.page_facts(path, name, [ctx.snippets], images, harness)
    skip: set[str] = set()
    if shard:
        index, count = shards.parse_spec(shard)
        known = shards.load_durations()
        seconds = {n: known.get(n, shards.estimate(f.examples)) for n, f in sel.facts.items()}
        mine = shards.split(seconds, count)[index - 1]
        sel.shard = {"index": index, "count": count, "pages": mine}
        skip |= set(sel.facts) - set(mine)
        say(f"[handbook] shard {index} of {count}: {len(mine)} of {len(sel.facts)} pages, "
            f"about {sum(seconds[p] for p in mine):.0f} s of {sum(seconds.values()):.0f} s")
    if store is not None:
        sel.store = cache.Store(store)
        if not fresh:
            candidates = [f for n, f in sel.facts.items() if n not in skip]
            found = cache.hits(candidates, sel.store, lambda: _gpu_usable(ctx), network_window)
            lines = []
            for name, entry in sorted(found.items()):
                lines += [json.dumps(r) + "\n" for r in cache.cached_records(entry)]
                say(f"{name}: cached pass from {entry['verified']}"
                    + (_network_note(entry, network_window) if sel.facts[name].network else ""))
            if found:  # pytest's own summary then counts only what ran ("no tests ran" when nothing did)
                say(f"[handbook] {len(found)} of {len(candidates)} page(s) reused from the cache, "
                    f"{len(candidates) - len(found)} to run (FRESH=1 runs them all)")
            part = record.parts_dir(results) / CACHED_PART
            part.parent.mkdir(parents=True, exist_ok=True)
            part.write_text("".join(lines), encoding="utf-8")
            skip |= set(found)
    sel.left_out = skip
    folder = record.parts_dir(results)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / SKIP_FILE).write_text(json.dumps(sorted(skip)), encoding="utf-8")
    return sel


def _network_note(entry: dict[str, Any], window: datetime.timedelta) -> str:
    until = cache.rerun_after(entry, window)
    today = datetime.datetime.now(datetime.UTC).date()
    at = "now" if until is None else until.strftime("%H:%M UTC" if until.date() == today else "%Y-%m-%d %H:%M UTC")
    return f" (a network page: runs again after {at}, or now with NETWORK_TTL=0)"


def _gpu_usable(ctx: RunContext) -> bool:
    from .gpu import probe

    return probe(ctx.client).usable


def left_out(results: Path | None) -> set[str]:
    """The pages the controller told this process to leave out (none without a decision)."""
    if results is None:
        return set()
    try:
        return set(json.loads((record.parts_dir(results) / SKIP_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return set()


def finish(sel: Selection, data: dict[str, Any], say=print) -> None:
    """After the merge: store what this run verified."""
    if sel.store is None:
        return
    stored = cache.remember(data, sel.facts, sel.store)
    if stored:
        say(f"[handbook] recorded {len(stored)} verified page(s) in {sel.store.folder} for the next run")


def collects_pages(args: list[str], tests: Path) -> bool:
    """Whether a run with these arguments may collect pages, and so needs the engine and the images.

    A page, or any folder outside the harness's own tests (docs/, or a folder of pages
    anywhere on the machine), may hold pages; the harness's unit tests need no engine.
    """
    for arg in args:
        path = Path(str(arg).split("::")[0])
        if path.suffix in PAGE_SUFFIXES:
            return True
        if path.is_dir() and not path.resolve().is_relative_to(tests) and _holds_pages(path):
            return True
    return False


def _holds_pages(folder: Path) -> bool:
    return any(next(folder.rglob("*" + suffix), None) for suffix in PAGE_SUFFIXES)
