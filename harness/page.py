"""What a page's blocks share while the page runs, and nothing about running them.

A Page holds the sandbox (started on first use), its shell and Python
process, the files written so far, the secrets learnt, the Makefiles waiting
for their dry run, the edits update mode will apply, and the page's timings.
The runners read and change it; the dispatcher decides what runs; this module
imports neither, so the page's teardown (which runs blocks) lives with the
dispatcher.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    # how the sandbox is made: the dispatcher sets these for GPU pages
    create: dict[str, Any] | None = None
    before_engine: Any = None
    subpages: list[Page] = field(default_factory=list)  # containers of their own (GPU), closed with the page
    last_timings: dict[str, Any] = field(default_factory=dict)  # where the page's time went, once it closed

    def __post_init__(self) -> None:
        self.name = self.name or self.ctx.page_name(self.path)

    # -- the sandbox -----------------------------------------------------------
    def box(self) -> Sandbox:
        if self.broken:
            raise SandboxFailed(f"not run: {self.broken}")
        if self.sandbox is None:
            box = Sandbox(self.ctx.engine(), self.ctx.image, self.name, engine=self.plan.engine,
                          disk=self.plan.options.get("disk", DEFAULT_DISK),
                          seed=self._seed() if self.plan.engine else None,
                          create=self.create, before_engine=self.before_engine)
            try:
                box.start(engine_in_background=True)
                box.copy_in(self.plan.options.get("files", ()))
            except Exception as e:
                box.remove()
                self.broken = f"the page's sandbox did not start: {e}"
                raise SandboxFailed(self.broken) from e
            self.sandbox = box
        return self.sandbox

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
        for sub in self.subpages:
            sub.close()
        if self.python:
            self.python.close()
        removing = time.monotonic()
        if self.sandbox:
            self.sandbox.remove()
        if self.began is not None:
            self.record_timings(self.sandbox.timings if self.sandbox else {}, time.monotonic() - removing)

    def timings(self, box: dict[str, float], removal: float) -> dict[str, Any]:
        began = self.began if self.began is not None else time.monotonic()
        engine, seed = box.get("engine", 0.0), box.get("seed", 0.0)
        record: dict[str, Any] = {"page": self.name, "total": time.monotonic() - began,
                                  "sandbox": box.get("container", 0.0) + removal, "engine": engine, "seed": seed,
                                  # the engine starts while the first blocks run: what the page waited for it
                                  "engine_wait": box.get("engine_wait", engine + seed),
                                  "examples": self.examples_seconds}
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
