"""Blocks that run in a container of their own: another image (`image=`), or the GPU's CUDA container.

Such a container shares nothing with the page's sandbox but the page: it has
no teardown blocks of its own, it runs its block through the same runner a
sandbox block would use, and its problems, time and learnt secrets belong to
the parent page.
"""
from __future__ import annotations

import dataclasses
import os
from typing import Any

import docker.errors

from . import gpu
from .fences import Block
from .outcome import Outcome, Reason, plain
from .page import Page
from .runners import RUNNERS, kind_of
from .sandbox import Sandbox


def _child(page: Page, box: Sandbox) -> Page:
    child = Page(page.path, page.plan, page.ctx, name=page.name, sandbox=box)
    child.secrets = page.secrets  # one page: what it declared secret stays hidden in every container
    return child


def _run(page: Page, child: Page, block: Block) -> Outcome:
    inner = dataclasses.replace(block, options={k: v for k, v in block.options.items() if k not in ("image", "gpu")})
    before = child.examples_seconds
    try:
        return RUNNERS[kind_of(child, inner)](child, inner)
    finally:
        page.examples_seconds += child.examples_seconds - before


def in_image(page: Page, block: Block) -> Outcome:
    """Run one block alone in a throwaway container of another image (no state shared)."""
    image = block.options["image"]
    try:
        page.ctx.engine().images.get(image)
    except docker.errors.ImageNotFound:
        return plain(block.line, f"image {image!r} does not exist (build it, or fix `image=`)", Reason.PAGE)
    box = Sandbox(page.ctx.engine(), image, page.name, engine=False, reader=image == page.ctx.image)
    child = _child(page, box)
    try:
        box.start()
    except Exception as e:  # noqa: BLE001 - the block cannot run; say why, with the image
        child.close()
        return plain(block.line, f"the block's container of {image} did not start: {e}", Reason.SANDBOX)
    try:
        return _run(page, child, block)
    finally:
        child.close()


def in_gpu_container(page: Page, block: Block, access: gpu.Access) -> Outcome:
    """GPU blocks run, in order, in one CUDA container per page that has the GPU."""
    child = next((p for p in page.subpages if p.sandbox is not None or p.broken), None)
    if child is None:
        image = block.options.get("image") or os.environ.get("HANDBOOK_CUDA_IMAGE")
        if not image:
            from .cuda_image import ensure_cuda_image

            image = ensure_cuda_image(page.ctx.engine())
        print(f"\n[handbook] {page.name}: GPU blocks run in {image}: {gpu.describe(access)}")
        box = Sandbox(page.ctx.engine(), image, page.name, create=access.create, reader=False)
        child = _child(page, box)
        page.subpages.append(child)
        try:
            box.start()
        except Exception as e:  # noqa: BLE001 - every later GPU block reports the same reason
            box.remove()
            child.sandbox = None
            child.broken = f"the page's GPU container did not start: {e}"
    return _run(page, child, block)


def gpu_create(access: gpu.Access | None) -> dict[str, Any] | None:
    return access.create if access is not None and access.usable else None
