"""Which way a block runs, and what a page's order means for it.

The dispatcher reads the block's options and the page's plan and sends the
block to a runner in the page's sandbox, to a container of its own
(`image=`, GPU blocks on a page without its own engine), or nowhere (skips).
Around every runner: the sandbox's limits, the secrets the page declared
(no outcome ever holds their values), and the page's order: after a failed
setup block nothing runs, and a failure after an earlier one says so. The
page's end (pending Makefile checks, teardown blocks) runs here too, since it
runs blocks.
"""
from __future__ import annotations

import shlex
import time
from collections.abc import Iterable

from . import cdi, containers, gpu, interrupts, limits, updates
from .errors import EngineStopped, NetworkUnavailable, SandboxFailed, ShellGone
from .fences import Block
from .outcome import Outcome, Problem, Reason, plain, skipped
from .page import Page
from .plan import DOCKER_WORD, GPUS_FLAG
from .runners import RUNNERS, kind_of
from .runners.makefiles import pending_checks
from .sandbox import Sandbox

STOPPED = (ShellGone, EngineStopped, SandboxFailed)


def evaluate(page: Page, block: Block) -> Outcome:
    """A block as the page's test sees it, in the context of the blocks before it."""
    if page.failed_setup is not None and "skip" not in block.options:
        return plain(block.line, f"not run: the setup block at line {page.failed_setup} failed", Reason.SETUP)
    out = run_block(page, block)
    if not out.problems:
        return out
    if block.options.get("setup"):
        page.failed_setup = block.line
        out.notes.append("this setup block failed, so the page stops here: its later blocks are not run")
    if page.first_failure is None:
        page.first_failure = block.line
    else:
        out.notes.append(f"note: an earlier block on this page failed, at line {page.first_failure}; "
                         "this failure may be a consequence of that one")
    return out


def run_block(page: Page, block: Block) -> Outcome:
    """Run one block; its outcome never shows a value the page declared secret."""
    if page.began is None:
        page.began = time.monotonic()
    out = _route(page, block)
    if block.options.get("secrets") and page.sandbox and not page.shell_gone:
        _learn_secrets(page, block.options["secrets"])
    page.edits += out.edits
    return out.mapped(page.redact) if page.secrets else out


def _route(page: Page, block: Block) -> Outcome:
    opts = block.options
    if "skip" in opts:
        return skipped(f"skipped: {opts['skip']}", Reason.MARKED_SKIP)
    prepare(page)
    access = None
    if opts.get("gpu"):
        access = gpu.probe(page.ctx.engine())
        if not access.usable:
            return skipped(f"GPU block skipped: {access.reason}", Reason.GPU_UNAVAILABLE)
    try:
        if access is not None and not (page.plan.gpu_engine or _drives_docker(page, block)):
            return containers.in_gpu_container(page, block, access)
        if access is not None:
            refused = _gpu_in_sandbox(page, block)
            if refused is not None:
                return refused
        if "image" in opts:
            return containers.in_image(page, block)
        box = page.box()
        if block.start in page.plan.engine_blocks:
            box.wait_engine(seeded=block.start not in page.plan.version_blocks)
        box.set_online(bool(opts.get("network")))
        before = limits.process_count(box)
        out = RUNNERS[kind_of(page, block)](page, block)
        return limits.check(page, block.line, out, before)
    except NetworkUnavailable as e:
        return plain(block.line, str(e), Reason.NETWORK)
    except STOPPED as e:
        return plain(block.line, str(e), Reason.SANDBOX)


def prepare(page: Page) -> None:
    """Decide, once and before its sandbox starts, whether a page whose GPU blocks drive its own
    engine gets the GPU in its sandbox: then the sandbox can be started ahead (ahead.py) too."""
    if page.plan.gpu_engine and not page.gpu_decided and page.sandbox is None and not page.broken:
        page.gpu_decided = True
        _give_gpu(page, gpu.probe(page.ctx.engine()))


def _learn_secrets(page: Page, names: Iterable[str]) -> None:
    shell = page.sh()
    for name in names:
        # UPPER_CASE names are environment variables; anything else is a file in the working directory
        command = f"printenv {name}" if name.isupper() else f"cat -- {shlex.quote(name)}"
        try:
            value = shell.query(command + " 2>/dev/null", 10).strip()
        except ShellGone:
            return
        if len(value) >= 6:
            page.secrets[value] = name


def _drives_docker(page: Page, block: Block) -> bool:
    return bool(DOCKER_WORD.search(page.plan.typed.get(block.start, "")))


def _give_gpu(page: Page, access: gpu.Access) -> None:
    """Before the sandbox starts: on a page whose GPU blocks drive its own engine, the sandbox gets the GPU."""
    if access.usable:
        page.create = containers.gpu_create(access)
        page.before_engine = _write_cdi_spec if page.create is not None else None
        page.gpu_in_sandbox = page.create is not None


def _gpu_in_sandbox(page: Page, block: Block) -> Outcome | None:
    """On a page whose GPU blocks drive its own engine, every GPU block runs in the page's sandbox,
    which holds the GPU and a CDI spec for it: `docker run --device nvidia.com/gpu=all` works there
    as on a reader's machine, and the files the page writes are where its `docker build` looks."""
    if GPUS_FLAG.search(page.plan.typed.get(block.start, "")):
        if not gpu.host_has_toolkit():
            return skipped("GPU block skipped: `docker run --gpus` needs the NVIDIA Container Toolkit "
                           "in the page's engine, and this host has none to hand it; the page's engine gets "
                           "the GPU through CDI only (`--device nvidia.com/gpu=all`)", Reason.GPU_TOOLKIT)
        return skipped("GPU block skipped: handing the host's NVIDIA Container Toolkit to a page's "
                       "engine (for `--gpus`) is not built yet; only CDI (`--device nvidia.com/gpu=all`) is",
                       Reason.GPU_TOOLKIT)
    page.box()
    if not page.gpu_in_sandbox:
        return plain(block.line, "the page's sandbox was not given the GPU, so its engine cannot pass it on",
                     Reason.SANDBOX)
    return None


def _write_cdi_spec(box: Sandbox) -> None:
    """Before the page's engine starts: the CDI spec for the GPU its sandbox was given."""
    code, out = box.exec_root(["sh", "-c", cdi.DISCOVER])
    found = cdi.Found.parse(out)
    if not found.nodes:
        raise SandboxFailed(f"the sandbox was given the GPU, but holds no /dev/nvidia* nodes:\n{out}")
    code, out = box.exec_root(["sh", "-c", cdi.write_command(found)])
    if code != 0:
        raise SandboxFailed(f"could not write the CDI spec {cdi.SPEC_PATH}:\n{out}")


def finish(page: Page) -> Outcome:
    """The page's end: Makefile checks left, teardown blocks, then remove everything; update mode's edits."""
    out = Outcome()
    try:
        if interrupts.stopping():
            return out  # Ctrl-C or SIGTERM: remove the sandbox now, run nothing more of the page
        over = page.sandbox.over_disk(force=True) if page.sandbox is not None and not page.broken else ""
        if over:
            out.add(Problem(page.plan.blocks[-1].line if page.plan.blocks else 0, over, Reason.SANDBOX, plain=True))
            page.stop("the page wrote more than its disk bound")
        if page.sandbox is not None and not page.shell_gone and page.make_checks:
            page.sandbox.wait_engine()  # a dry run expands the Makefile's variables, `$(shell docker ...)` too
            out.add(*pending_checks(page, "at the end of the page, which never runs make"))
        if page.sandbox is not None and not page.shell_gone:
            for block in page.plan.teardown:
                out.merge(run_block(page, block))
    finally:
        page.close()
        if page.ctx.update and page.edits:
            updates.apply(page.path, page.edits)
    return out.mapped(page.redact) if page.secrets else out
