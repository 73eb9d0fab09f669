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

from .errors import NotebookFailure
from .evaluate import Settings, page_name, write_timings
from .sandbox import HOME, Sandbox

TIMEOUT = 300


class NotebookFile(pytest.File):
    def collect(self):
        yield NotebookItem.from_parent(self, name="notebook")


class NotebookItem(pytest.Item):
    def runtest(self):
        path = Path(self.path)
        name = page_name(path)
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise NotebookFailure(f"{name}:1: not a readable notebook: {e}") from None
        cells = nb.get("cells", [])
        dirty = [i + 1 for i, c in enumerate(cells)
                 if c.get("cell_type") == "code" and (c.get("outputs") or c.get("execution_count"))]
        if dirty:
            raise NotebookFailure(f"{name}: cell(s) {dirty} were committed with outputs; strip them "
                                  f"(nbstripout) so that only the tested run's outputs reach the site")
        began, examples = time.monotonic(), 0.0
        box = Sandbox(Settings.engine(), Settings.image, name)
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
            write_timings(name, began, box.timings, time.monotonic() - removing, examples)
        if executed is not None:
            target = Settings.root / "build" / "notebooks" / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(executed)
        if code != 0:
            raise NotebookFailure(f"{name}: {out.strip()[-3000:]}")

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
