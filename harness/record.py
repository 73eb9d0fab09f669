"""The results file: every block of a run, with its page, line, kind, outcome and seconds.

Workers append one JSON line per block (and one per page's end) to a part
file of their own while they run; the controlling process merges the parts,
with what the run verified with (image, machine, commit), into one file,
`build/results.json` for `make test-docs`. The publishing gate, the stamps
and the benchmarks read that file, never a test report's names or messages.
"""
from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from .context import RunContext
from .outcome import FAILED, Outcome, Reason
from .report import render

VERSION = 1


def parts_dir(results: Path) -> Path:
    return results.with_name(results.name + ".parts")


def block_record(page: str, line: int, kind: str, outcome: Outcome, **extra: Any) -> dict[str, Any]:
    """One line of the results file; `message` is the rendered text a reader of the report saw."""
    first = outcome.problems[0] if outcome.problems else None
    return {"page": page, "line": line, "kind": kind, "status": outcome.status, "reason": str(outcome.reason),
            "seconds": round(outcome.seconds, 4), "problem_line": outcome.line,
            "summary": " ".join((outcome.skip or (first.what if first else "")).split("\n", 1)[0].split()),
            "message": render(outcome, page, line), **extra}


def harness_error(page: str, line: int, kind: str, text: str) -> dict[str, Any]:
    """A block whose runner raised instead of returning an outcome: a bug in the harness."""
    return {"page": page, "line": line, "kind": kind, "status": FAILED, "reason": str(Reason.HARNESS),
            "seconds": 0.0, "problem_line": line, "message": text,
            "summary": "the harness failed: " + text.strip().split("\n")[-1][:200]}


class Writer:
    """A worker's part of the results file (append-only, one JSON object per line)."""

    def __init__(self, results: Path, worker: str):
        self.path = parts_dir(results) / f"{worker}-{os.getpid()}.jsonl"

    def write(self, record: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")


def start(results: Path) -> None:
    """Before a run: no parts of an earlier run may mix into this one."""
    shutil.rmtree(parts_dir(results), ignore_errors=True)
    results.unlink(missing_ok=True)


def merge(results: Path, run: dict[str, Any]) -> dict[str, Any]:
    """The parts, sorted by page and line, and the run's own record, as one file."""
    records: list[dict[str, Any]] = []
    for part in sorted(parts_dir(results).glob("*.jsonl")):
        records += [json.loads(line) for line in part.read_text(encoding="utf-8").splitlines() if line.strip()]
    records.sort(key=lambda r: (r["page"], r["kind"] == "page", r["line"]))
    data = {"version": VERSION,
            "run": {"finished": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"), **run},
            "blocks": [r for r in records if r["kind"] != "page"],
            "pages": [r for r in records if r["kind"] == "page"]}
    results.parent.mkdir(parents=True, exist_ok=True)
    tmp = results.with_name(results.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    tmp.replace(results)
    shutil.rmtree(parts_dir(results), ignore_errors=True)
    return data


def run_info(ctx: RunContext, exit_status: int, args: list[str]) -> dict[str, Any]:
    """What the run verified with, as the stamps cite it: the sandbox image, the machine, the commit."""
    return {"image": ctx.image, "image_id": _image_id(ctx), "machine": _machine(ctx) if ctx.image else "",
            "commit": _git(ctx.root, "rev-parse", "HEAD"),
            "dirty": bool(_git(ctx.root, "status", "--porcelain", "--untracked-files=no")),
            "exit_status": exit_status, "args": args, "seed": ctx.seed.name if ctx.seed else ""}


def _image_id(ctx: RunContext) -> str:
    if not ctx.image or ctx.client is None:
        return ""
    try:
        return str(ctx.engine().images.get(ctx.image).id)
    except Exception as e:  # noqa: BLE001 - the stamps then have no image to cite; the gate refuses
        print(f"\n[handbook] could not read the sandbox image's id: {e}")
        return ""


def _machine(ctx: RunContext) -> str:
    """The reader's machine the pages ran on, as the stamps name it ("" if it cannot be read)."""
    from .images import describe_sandbox

    try:
        return describe_sandbox(ctx.engine(), ctx.image)
    except Exception as e:  # noqa: BLE001 - the stamps then cite the image alone; say why
        print(f"\n[handbook] could not read what the sandbox image is: {e}")
        return ""


def _git(root: Path, *args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""
