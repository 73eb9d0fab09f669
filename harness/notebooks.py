"""Notebook pages: executed whole in a sandbox; committed without outputs.

The executed copy is kept under build/notebooks/ so that the site can show
the outputs of the tested run while the repository holds none.
"""
from __future__ import annotations

import io
import json
import tarfile
import time
from pathlib import Path

import pytest

from .context import CONTEXT_KEY
from .errors import NotebookFailure
from .outcome import Outcome, Reason, plain
from .record import block_record
from .report import render
from .sandbox import HOME, Sandbox

TIMEOUT = 300


class NotebookFile(pytest.File):
    def collect(self):
        yield NotebookItem.from_parent(self, name="notebook")


class NotebookItem(pytest.Item):
    hb_record: dict | None = None  # this notebook's line of the results file

    def runtest(self) -> None:
        ctx = self.config.stash[CONTEXT_KEY]
        name = ctx.page_name(self.path)
        outcome, timings = self._run(ctx, name)
        self.hb_record = block_record(name, 0, "notebook", outcome, timings=timings)
        if outcome.problems:
            raise NotebookFailure(render(outcome, name))

    def _run(self, ctx, name: str) -> tuple[Outcome, dict]:
        path = Path(self.path)
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            return plain(1, f"not a readable notebook: {e}", Reason.PAGE), {}
        cells = nb.get("cells", [])
        dirty = [i + 1 for i, c in enumerate(cells)
                 if c.get("cell_type") == "code" and (c.get("outputs") or c.get("execution_count"))]
        if dirty:
            return plain(1, f"cell(s) {dirty} were committed with outputs; strip them (nbstripout) so that "
                            "only the tested run's outputs reach the site", Reason.PAGE), {}
        began, examples = time.monotonic(), 0.0
        box = Sandbox(ctx.engine(), ctx.image, name)
        try:
            box.start()
            work = f"{HOME}/notebook"
            box.write_file(f"{work}/{path.name}", path.read_bytes())
            ran = time.monotonic()
            code, out = box.exec_root(
                ["sh", "-c", f"cd {work} && /opt/jupyter/bin/python /opt/hb/run_notebook.py "
                             f"{path.name} executed.ipynb {TIMEOUT}"], user="reader")
            examples = time.monotonic() - ran
            executed = _fetch(box, f"{work}/executed.ipynb")
        finally:
            removing = time.monotonic()
            box.remove()
            removal = time.monotonic() - removing
            total = time.monotonic() - began
            sandbox = box.timings.get("container", 0.0) + removal
            timings = {"page": name, "total": total, "sandbox": sandbox, "engine": 0.0, "seed": 0.0,
                       "examples": examples, "harness": total - sandbox - examples}
        if executed is not None:
            target = ctx.root / "build" / "notebooks" / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(executed)
        outcome = Outcome(seconds=examples)
        if code != 0:
            outcome = plain(0, out.strip()[-3000:], Reason.PYTHON)
            outcome.seconds = examples
        return outcome, timings

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, NotebookFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, 0, f"{self.path.name}: notebook"


def _fetch(box: Sandbox, path: str) -> bytes | None:
    if box.container is None:
        return None
    try:
        stream, _ = box.container.get_archive(path)
    except Exception:  # noqa: BLE001 - no executed copy when the kernel never started
        return None
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
        member = tar.extractfile(tar.getmembers()[0])
        return member.read() if member else None
