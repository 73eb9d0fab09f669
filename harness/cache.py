"""Incremental runs: reuse a page's recorded pass while nothing it depends on changed.

A page's key is a hash of everything its outcome depends on that the harness
can see: the page's text, the bodies of its blocks as planned (so the
snippets that `--8<--` includes), its `files=` data files, the sandbox image
and the seed of base images its own engine starts with, and the harness's own
code. An entry under the key holds the page's records from the run that last
verified it. `make test-docs` reuses an entry only when every block passed
(or was skipped for want of a GPU, and this run has none either).

The key cannot see the outside world: a package on PyPI or Debian may change
under a page with a `network` block. Such a page's pass is reused only while
it is younger than the network window (`NETWORK_TTL`, an hour unless told
otherwise), so a contributor's edit-and-rerun loop does not wait for the
online pages every time, and a rerun an hour later fetches again. A window
of 0 runs them every time. `make site` and CI run fresh, and the gate
refuses cached records, so nothing published rests on an old fetch.
"""
from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import PageError
from .loader import load
from .outcome import GPU_REASONS, PASSED, SKIPPED

NETWORK_TTL = "1h"  # how long a network page's pass stands, unless --network-ttl says otherwise
KEY_VERSION = "1"  # bump when what a key covers changes, so old entries stop matching
HARNESS_DIR = Path(__file__).resolve().parent


def harness_version(folder: Path = HARNESS_DIR) -> str:
    """A hash of the harness's own files: its Python and the helpers it copies into containers."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                       and p.suffix not in (".pyc", ".pyo")):
        h.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


@dataclass(frozen=True)
class Images:
    """What the pages ran on: the sandbox image's id, and the seed archive's name (which is a
    hash of the base images' ids, see images.seed_archive)."""

    sandbox: str
    seed: str


@dataclass(frozen=True)
class PageFacts:
    """What the cache needs to know of one page, read before anything runs."""

    name: str  # docs/git.md
    key: str | None  # None: the page cannot be planned, so it always runs (and fails with its line)
    network: bool  # a block may use the network: reused only inside the network window
    examples: int  # results-file records a complete run of the page has (its page end aside)


def page_facts(path: Path, name: str, snippet_dirs: list[Path], images: Images, harness: str) -> PageFacts:
    h = hashlib.sha256()
    for part in (KEY_VERSION, name, harness, images.sandbox, images.seed):
        h.update(part.encode() + b"\0")
    raw = path.read_bytes()
    h.update(raw + b"\0")
    if path.suffix == ".ipynb":
        return PageFacts(name, h.hexdigest(), False, 1)
    try:
        _, plan = load(path, name, snippet_dirs)
    except (PageError, OSError):
        return PageFacts(name, None, False, 0)
    blocks = plan.blocks + plan.teardown
    for b in blocks:  # bodies as planned: snippets included
        h.update(f"{b.line}:{b.kind}\0".encode() + b.body.encode() + b"\0")
    for rel, data_file in plan.options.get("files", ()):
        h.update(rel.encode() + b"\0" + data_file.read_bytes() + b"\0")
    network = any(b.options.get("network") for b in blocks)
    examples = sum(1 for b in plan.blocks if not (b.kind == "display" and "skip" not in b.options))
    return PageFacts(name, h.hexdigest(), network, examples)


class Store:
    """Entries as files: <folder>/<key>.json, each a page's records and when they were verified."""

    def __init__(self, folder: Path):
        self.folder = folder

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            entry = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return entry if isinstance(entry, dict) and entry.get("key") == key else None

    def put(self, key: str, entry: dict[str, Any]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f"{key}.json.tmp"
        tmp.write_text(json.dumps({**entry, "key": key}, indent=1) + "\n", encoding="utf-8")
        tmp.replace(self.folder / f"{key}.json")


def _gpu_skip(r: dict[str, Any]) -> bool:
    return r.get("status") == SKIPPED and r.get("reason") in GPU_REASONS


def verified(records: list[dict[str, Any]], facts: PageFacts) -> bool:
    """Whether these records are a complete pass of the page: every example has one, each passed
    (or skipped for want of a GPU), and a Markdown page's end passed too."""
    blocks = [r for r in records if r.get("kind") != "page"]
    ends = [r for r in records if r.get("kind") == "page"]
    if len(blocks) != facts.examples or not blocks:
        return False
    if not facts.name.endswith(".ipynb") and (len(ends) != 1 or ends[0].get("status") != PASSED):
        return False
    return all(r.get("status") == PASSED or _gpu_skip(r) for r in blocks)


_DURATION = re.compile(r"(\d+)([smh]?)")
_UNIT_S = {"": 1, "s": 1, "m": 60, "h": 3600}


def parse_window(text: str) -> datetime.timedelta:
    """`--network-ttl`'s value: whole seconds, minutes or hours (0, 90s, 30m, 1h)."""
    found = _DURATION.fullmatch(text.strip())
    if found is None:
        raise ValueError(f"--network-ttl={text!r} is not a duration: say 0, 90s, 30m or 1h")
    return datetime.timedelta(seconds=int(found[1]) * _UNIT_S[found[2]])


def _when(stamp: object) -> datetime.datetime | None:
    try:
        when = datetime.datetime.fromisoformat(str(stamp))
    except ValueError:
        return None
    return when if when.tzinfo else None  # the harness writes UTC with its offset; anything else is not ours


def rerun_after(entry: dict[str, Any], window: datetime.timedelta) -> datetime.datetime | None:
    """When a network page's entry stops standing; None when it already has (or its time is unreadable)."""
    when, now = _when(entry.get("verified")), datetime.datetime.now(datetime.UTC)
    if when is None or when > now or window <= datetime.timedelta(0):  # a time ahead of the clock proves nothing
        return None
    return when + window if when + window > now else None


def hits(facts: Iterable[PageFacts], store: Store, gpu_usable: Callable[[], bool],
         network_window: datetime.timedelta = datetime.timedelta(0)) -> dict[str, dict[str, Any]]:
    """Page -> its cache entry, for every page this run may reuse instead of running.

    A network page's entry stands only inside the network window; a window of 0 reruns them all.
    """
    found = {}
    for page in facts:
        if page.key is None:
            continue
        entry = store.get(page.key)
        if entry is None or not verified(entry.get("records", []), page):
            continue
        if page.network and rerun_after(entry, network_window) is None:
            continue
        if any(_gpu_skip(r) for r in entry["records"]) and gpu_usable():
            continue  # it was verified without a GPU; this machine has one, so its GPU blocks run
        found[page.name] = entry
    return found


def cached_records(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """An entry's records as this run's results file holds them: marked with when they were verified."""
    return [{**r, "cached": entry["verified"]} for r in entry["records"]]


def remember(data: dict[str, Any], facts: dict[str, PageFacts], store: Store) -> list[str]:
    """Store every page this run verified (not one it reused); the pages stored."""
    if not data["run"].get("image_id"):
        return []
    by_page: dict[str, list[dict[str, Any]]] = {}
    for r in data["blocks"] + data["pages"]:
        by_page.setdefault(r["page"], []).append(r)
    stored = []
    for name, records in sorted(by_page.items()):
        page = facts.get(name)
        if page is None or page.key is None or any("cached" in r for r in records):
            continue
        if not verified(records, page):
            continue
        run = {k: data["run"].get(k) for k in ("image", "image_id", "seed", "commit", "dirty")}
        store.put(page.key, {"page": name, "verified": data["run"]["finished"], "run": run, "records": records})
        stored.append(name)
    return stored
