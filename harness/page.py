"""What a page's blocks share while the page runs, and nothing about running them.

A Page holds the sandbox (started on first use), its shell and Python
process, the files written so far, the secrets learnt, the Makefiles waiting
for their dry run, the edits update mode will apply, and the page's timings.
The runners read and change it; the dispatcher decides what runs; this module
imports neither, so the page's teardown (which runs blocks) lives with the
dispatcher.
"""
from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import interrupts
from .context import RunContext
from .errors import SandboxFailed
from .fences import Block
from .outcome import Edit
from .plan import Plan, images_used
from .pyblocks import PyRunner
from .sandbox import DEFAULT_DISK, Sandbox
from .shell import Shell, ShellGone


@dataclass
class MakeCheck:
    """A Makefile shown whose targets' dry run waits until the page first runs make (or ends)."""

    block: Block
    directory: str
    name: str


@dataclass
class Page:
    path: str
    plan: Plan
    ctx: RunContext
    name: str = ""
    sandbox: Sandbox | None = None
    python: PyRunner | None = None
    written: dict[str, tuple[str, int]] = field(default_factory=dict)  # path in the sandbox -> (content, line)
    edits: list[Edit] = field(default_factory=list)
    shell_gone: str | None = None
    broken: str | None = None  # why the sandbox could not start, or was stopped
    counter: int = 0  # scripts written so far
    began: float | None = None
    examples_seconds: float = 0.0  # time spent running the page's own content in the sandbox
    secrets: dict[str, str] = field(default_factory=dict)  # value -> name, from blocks' `secrets=`
    first_failure: int | None = None  # line of the page's first failing block
    failed_setup: int | None = None  # line of a setup block that failed: the page stops there
    make_checks: dict[str, MakeCheck] = field(default_factory=dict)  # Makefile path in the sandbox -> check
    gpu_in_sandbox: bool = False  # the sandbox holds the GPU, for its own engine (CDI)
    gpu_decided: bool = False  # whether it does is decided (dispatch.prepare), before the sandbox starts
    # how the sandbox is made: the dispatcher sets these for GPU pages
    create: dict[str, Any] | None = None
    before_engine: Any = None
    subpages: list[Page] = field(default_factory=list)  # containers of their own (GPU), closed with the page
    last_timings: dict[str, Any] = field(default_factory=dict)  # where the page's time went, once it closed
    prestarted: bool = False  # its sandbox was started while the page before it ran
    box_wait: float = 0.0  # how long the first block waited for a prestarted sandbox
    looked_ahead: bool = False  # the next page's sandbox was started when this one began
    _starting: threading.Thread | None = None

    def __post_init__(self) -> None:
        self.name = self.name or self.ctx.page_name(self.path)

    # -- the sandbox -----------------------------------------------------------
    def box(self) -> Sandbox:
        if self._starting is not None:  # started ahead (prestart): wait for it
            waited = time.monotonic()
            self._starting.join()
            self._starting = None
            self.box_wait += time.monotonic() - waited
        if self.sandbox is None and not self.broken:
            self._start_box()
        if self.broken or self.sandbox is None:
            raise SandboxFailed(f"not run: {self.broken}")
        return self.sandbox

    def prestart(self) -> None:
        """Start the sandbox in the background, before the page's first block asks for it.

        Not for a page whose sandbox may get the GPU until that is decided (dispatch.prepare)."""
        if (self.sandbox is not None or self._starting is not None or self.broken
                or (self.plan.gpu_engine and not self.gpu_decided)):
            return
        self.prestarted = True
        self._starting = interrupts.background(self._start_box, f"prestart:{self.name[-40:]}")

    def _start_box(self) -> None:
        box = Sandbox(self.ctx.engine(), self.ctx.image, self.name, engine=self.plan.engine,
                      disk=self.plan.options.get("disk", DEFAULT_DISK),
                      seed=self._seed() if self.plan.engine else None,
                      create=self.create, before_engine=self.before_engine)
        try:
            box.start(engine_in_background=True)
            box.copy_in(self.plan.options.get("files", ()))
        except Exception as e:  # noqa: BLE001 - every block of the page reports it
            box.remove()
            self.broken = f"the page's sandbox did not start: {e}"
            return
        if self.prestarted and any(b.kind in ("console", "bash", "file") for b in self.plan.blocks):
            # Its shell too (a tenth of a second a page). If it fails here, the first block
            # starts it again and reports why, with its own line.
            with contextlib.suppress(Exception):
                box.shell()
        self.sandbox = box

    def sh(self) -> Shell:
        if self.shell_gone:
            raise ShellGone(f"not run: the page's shell is gone ({self.shell_gone})")
        return self.box().shell()

    def stop(self, why: str) -> None:
        """Nothing else runs on this page: its sandbox is removed now."""
        self.shell_gone = self.broken = why
        if self.sandbox is not None:
            self.sandbox.remove()

    def _seed(self) -> Path | None:
        """Seed the page's engine with just the base images it uses: loading is most of its start."""
        from .images import BASES, seed_archive

        names = images_used(self.plan, list(BASES))
        if not names:
            return None
        if self.ctx.seed and sorted(BASES) == names:
            return self.ctx.seed
        return seed_archive(names)

    def close(self) -> None:
        """Remove what the page started; record where its time went."""
        if self._starting is not None:  # prestarted, and no block ever asked for it
            self._starting.join()
            self._starting = None
        for sub in self.subpages:
            sub.close()
        if self.python:
            self.python.close()
        removing = time.monotonic()
        if self.sandbox:
            remove_later(self.sandbox)
        if self.began is not None:
            self.record_timings(self.sandbox.timings if self.sandbox else {}, time.monotonic() - removing)

    def timings(self, box: dict[str, float], removal: float) -> dict[str, Any]:
        began = self.began if self.began is not None else time.monotonic()
        engine, seed = box.get("engine", 0.0), box.get("seed", 0.0)
        start = self.box_wait if self.prestarted else box.get("container", 0.0)  # what the page waited for
        record: dict[str, Any] = {"page": self.name, "total": time.monotonic() - began,
                                  "sandbox": start + removal, "engine": engine, "seed": seed,
                                  # the engine starts while the first blocks run: what the page waited for it
                                  "engine_wait": box.get("engine_wait", engine + seed),
                                  "examples": self.examples_seconds, "prestarted": self.prestarted,
                                  # when, and in which process: a run's timeline shows where workers idled
                                  "began_at": round(time.time() - (time.monotonic() - began), 3),
                                  "ended_at": round(time.time(), 3), "pid": os.getpid()}
        record["harness"] = record["total"] - sum(record[k] for k in ("sandbox", "engine_wait", "examples"))
        return record

    def record_timings(self, box: dict[str, float], removal: float) -> None:
        self.last_timings = self.timings(box, removal)  # the page's end record carries it to the results file

    # -- what reports show -----------------------------------------------------
    def redact(self, text: str) -> str:
        # longest first, so that a secret containing another is hidden whole
        for value in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(value, f"[secret {self.secrets[value]}]")
        return text

    def where(self, line: int) -> str:
        return f"{self.name}:{line}"


_REMOVING: list[threading.Thread] = []


def remove_later(box: Sandbox) -> None:
    """Remove a finished page's sandbox in the background: removing an engine's store takes
    seconds that the next page need not wait for. `removals_done` waits for them all."""
    def remove() -> None:
        try:
            box.remove()
        except Exception as e:  # noqa: BLE001 - the run's labelled sweep removes what is left
            print(f"\n[handbook] could not remove the sandbox of {box.page}: {e}")
    _REMOVING.append(interrupts.background(remove, f"remove:{box.page[-40:]}"))


def removals_done(timeout: float = 120) -> None:
    """Before the process ends: the sandboxes it is still removing are gone."""
    while _REMOVING:
        _REMOVING.pop().join(timeout)
