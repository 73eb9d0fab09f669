"""Merge the results files of shard runs into one, for `make site RESULTS="build/shards/*"`.

CI runs `make test-docs SHARD=K/N` on N runners and the deploy job builds
the site from their results without running anything. That is only honest
if together they are one run: every page of the handbook in exactly one
shard, all at the same commit (this checkout's), all on the same images.
Anything else is refused, naming what is wrong; the gate then judges the
merged file as it judges any run.

  python -m site_hooks.shards SHARD_DIR_OR_FILE... --out build/results.json
"""
from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from . import results

ROOT = results.ROOT


class Refused(Exception):
    """The shard results do not make one run; the message lists every reason."""


def _read(path: Path) -> dict[str, Any]:
    if "*" in str(path) or "?" in str(path):
        raise Refused(f"{path} matches no shard's results: run make test-docs SHARD=K/N first, or fetch them")
    file = path / "results.json" if path.is_dir() else path
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        missing = [k for k in ("run", "blocks", "pages") if k not in data]
        if missing:
            raise ValueError(f"it has no {', '.join(missing)}")
    except (OSError, ValueError, TypeError) as e:
        raise Refused(f"{results._rel(file)} cannot be read as a shard's results: {e!r}") from None
    data["_from"] = results._rel(file)
    return dict(data)


def _name(data: dict[str, Any]) -> str:
    shard = data["run"].get("shard") or {}
    return f"shard {shard.get('index', '?')}-of-{shard.get('count', '?')} ({data['_from']})"


def merge(paths: list[Path], pages: list[str], head: str) -> dict[str, Any]:
    """One results file from the shards' files, or Refused with every reason it cannot be."""
    shards = [_read(p) for p in paths]
    problems: list[str] = []
    for data in shards:
        if not data["run"].get("shard"):
            problems.append(f"{data['_from']} is not a shard's results (its run has no shard): "
                            "make test-docs SHARD=K/N writes them")
    shards = [d for d in shards if d["run"].get("shard")]
    for what, key in (("commits", "commit"), ("sandbox images", "image_id"), ("seed images", "seed")):
        seen: dict[str, list[str]] = {}
        for data in shards:
            seen.setdefault(str(data["run"].get(key) or ""), []).append(_name(data))
        if len(seen) > 1:
            problems.append(f"two {what}: " + "; ".join(f"{v or '(none)'} in {', '.join(n)}"
                                                       for v, n in seen.items()))
    commits = {d["run"].get("commit") for d in shards}
    if len(commits) == 1 and head and head not in commits:
        problems.append(f"the shards ran at commit {next(iter(commits))}, this checkout is at {head}")
    counts = {d["run"]["shard"].get("count") for d in shards}
    if len(counts) > 1:
        problems.append(f"shards of different splits: N = {', '.join(map(str, sorted(counts)))}")
    owner: dict[str, list[str]] = {}
    for data in shards:
        for page in data["run"]["shard"].get("pages", []):
            owner.setdefault(page, []).append(_name(data))
    for page in pages:
        if page not in owner:
            problems.append(f"{page}: in no shard")
    for page, names in sorted(owner.items()):
        if len(names) > 1:
            problems.append(f"{page}: in {len(names)} shards ({', '.join(names)})")
        if page not in pages:
            problems.append(f"{page}: in {names[0]} but not a page of the handbook now")
    if problems:
        raise Refused("\n".join(problems))
    return _combined(shards)


def _combined(shards: list[dict[str, Any]]) -> dict[str, Any]:
    first = shards[0]["run"]
    run = {k: first.get(k) for k in ("image", "image_id", "machine", "commit", "seed")}
    run.update({
        "finished": max(str(d["run"].get("finished") or "") for d in shards),
        "merged": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "dirty": any(d["run"].get("dirty") for d in shards),
        "exit_status": max(int(d["run"].get("exit_status") or 0) for d in shards),
        "args": sorted({str(a) for d in shards for a in d["run"].get("args", [])}),
        "shards": [_name(d) for d in shards],
    })
    blocks = [r for d in shards for r in d["blocks"]]
    pages = [r for d in shards for r in d["pages"]]
    return {"version": shards[0].get("version"), "run": run,
            "blocks": sorted(blocks, key=lambda r: (r["page"], r["line"])),
            "pages": sorted(pages, key=lambda r: r["page"])}


def _head(root: Path) -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                              timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def main(argv: list[str] | None = None, root: Path = ROOT) -> int:
    parser = argparse.ArgumentParser(prog="python -m site_hooks.shards", description=__doc__.split("\n")[0])
    parser.add_argument("shards", nargs="+", type=Path, help="shard folders (build/shards/K-of-N) or results files")
    parser.add_argument("--out", type=Path, default=root / results.REPORT)
    args = parser.parse_args(argv)
    pages = [p.resolve().relative_to(root).as_posix() for p in results.pages_in(root / "docs")]
    try:
        data = merge(args.shards, pages, _head(root))
    except Refused as e:
        print("make site: refusing to merge the shard results; they are not one run of the handbook:",
              file=sys.stderr)
        for line in str(e).splitlines():
            print(f"  {line}", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(f"make site: merged {len(data['run']['shards'])} shards ({len(pages)} pages) into {results._rel(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
