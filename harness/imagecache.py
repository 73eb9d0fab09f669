"""Build an image only when what it is built from changed.

Every image the harness builds is labelled with a hash of its inputs (recipe,
the files its Dockerfile copies, parent image, CA bundle). When an image with
that hash exists, nothing is rebuilt, so a warm run takes a fraction of a
second. Files count by their content and mode, never by their timestamps: a
fresh clone or a `touch` rebuilds nothing.

This module is the bottom of the image modules (standins.py builds the base
images' stand-ins, provision.py decides what to build and in which order,
cuda_image.py adds the GPU image): it holds what they share (the cache and work
folders, the one log they all write to, the lock that serialises provisioning)
and imports none of them.
"""
from __future__ import annotations

import contextlib
import fcntl
import functools
import glob
import hashlib
import json
import logging
import os
import shlex
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import docker
import docker.errors
from docker.models.images import Image

from . import labels
from .endpoint import engine_key
from .engine import ROOT, docker_cli, run_logged

# One log for all of image provisioning, whichever module writes: `make images` prints it,
# and bench listens to it by this name.
log = logging.getLogger("harness.images")

CACHE_DIR = ROOT / "build" / "cache"
WORK_DIR = ROOT / "build" / f"images{engine_key()}"  # one per engine: a remote engine builds apart
INPUTS = f"{labels.PREFIX}.inputs"  # sha256 of what an image was built from

F = TypeVar("F", bound=Callable[..., Any])


# ---------------------------------------------------------------- the hash

def digest(*parts: str | bytes | Path | None) -> str:
    """sha256 over the parts; a Path counts by its content, None as absent."""
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, Path):
            part = part.read_bytes()
        elif part is None:
            part = b"\0none"
        elif isinstance(part, str):
            part = part.encode()
        # Length-prefixed, so that moving bytes between parts changes the hash.
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()


def _instructions(dockerfile: str) -> Iterator[tuple[str, str]]:
    """(INSTRUCTION, arguments) per instruction, continuation lines joined, comments dropped."""
    pending = ""
    for line in dockerfile.splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        whole = (pending + stripped).strip()
        pending = ""
        word, _, rest = whole.partition(" ")
        yield word.upper(), rest.strip()
    if pending.strip():
        word, _, rest = pending.strip().partition(" ")
        yield word.upper(), rest.strip()


def copied_files(dockerfile: Path, context: Path) -> list[Path]:
    """The files of `context` that `dockerfile`'s COPY and ADD instructions read, sorted.

    Sources from another stage (`--from=`), URLs and heredocs (whose text is in the
    Dockerfile itself) are not files of the context; a directory counts as every file in it.
    """
    found: set[Path] = set()
    for word, rest in _instructions(dockerfile.read_text()):
        if word not in ("COPY", "ADD"):
            continue
        args = json.loads(rest) if rest.startswith("[") else shlex.split(rest)
        if any(a.startswith("--from=") for a in args) or len(args) < 2:
            continue
        for source in (a for a in args[:-1] if not a.startswith(("--", "<<"))):
            if "://" in source:
                continue
            for match in glob.glob(source.lstrip("/"), root_dir=context):
                path = context / match
                found.update(p for p in ([path] if path.is_file() else path.rglob("*")) if p.is_file())
    return sorted(found)


def build_inputs(dockerfile: Path, context: Path, *more: str | bytes | Path | None) -> str:
    """The hash an image built from `dockerfile` in `context` is cached under: the Dockerfile,
    each file it copies (its path in the context, its content, whether it is executable, since
    COPY keeps modes), then `more` (parent image id, CA bundle...). Timestamps do not count."""
    files: list[str | bytes | Path | None] = []
    for path in copied_files(dockerfile, context):
        files += [path.relative_to(context).as_posix(), "x" if os.access(path, os.X_OK) else "-", path]
    return digest(dockerfile, *files, *more)


# ---------------------------------------------------------------- the cache

def image_labels(inputs: str, standin: bool = False) -> dict[str, str]:
    # Images inherit their parent's labels: say "false" outright, or the
    # sandbox (FROM the debian stand-in) would claim to be a stand-in too.
    return {labels.HARNESS: "1", labels.CACHE: "true", INPUTS: inputs,
            labels.STANDIN: "true" if standin else "false"}


def cached(client: docker.DockerClient, name: str, inputs: str) -> Image | None:
    """The image `name`, if it was built from `inputs`.

    Only the image the tag names counts: images built FROM ours inherit its
    labels, inputs hash included, so a label search alone could find a child.
    """
    try:
        image = client.images.get(name)
    except docker.errors.ImageNotFound:
        return None
    return image if (image.labels or {}).get(INPUTS) == inputs else None


def image_id(client: docker.DockerClient, name: str) -> str | None:
    try:
        return client.images.get(name).id
    except docker.errors.ImageNotFound:
        return None


def drop_image(client: docker.DockerClient, ref: str | None) -> None:
    """Remove an image we replaced, unless something still uses it."""
    if not ref:
        return
    # Gone already (ImageNotFound), or still used by a container or a child image (409
    # Conflict): either way there is nothing to do, and cleaning up must not fail a build.
    with contextlib.suppress(docker.errors.APIError):
        client.images.remove(ref, noprune=False)


def fresh_dir(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def cli_build(context: Path, tag: str, label_map: dict[str, str], log_name: str,
              dockerfile: Path | None = None) -> None:
    """BuildKit build with the CLI: the SDK cannot use BuildKit, and the
    sandbox's Dockerfile should build the way pages build theirs."""
    cmd = [docker_cli(), "build", "--progress=plain", "-t", tag]
    if dockerfile is not None:
        cmd += ["-f", str(dockerfile)]
    for key, value in label_map.items():
        cmd += ["--label", f"{key}={value}"]
    run_logged([*cmd, str(context)], log_name, env=dict(os.environ, DOCKER_BUILDKIT="1"))


# ---------------------------------------------------------------- one at a time, timed

_lock = threading.RLock()
_lock_depth = 0


def serialized(func: F) -> F:
    """One provisioning at a time, across processes too (pytest-xdist workers,
    two `make` runs): two builds of the same image would only race."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        global _lock_depth
        with _lock:
            if _lock_depth:
                return func(*args, **kwargs)
            CACHE_DIR.mkdir(parents=True, exist_ok=True)
            with (CACHE_DIR / f".provision{engine_key()}.lock").open("w") as lock_file:
                fcntl.flock(lock_file, fcntl.LOCK_EX)
                _lock_depth += 1
                try:
                    return func(*args, **kwargs)
                finally:
                    _lock_depth -= 1
    return wrapper  # type: ignore[return-value]


def timed(what: str) -> Callable[[Callable[..., tuple[Any, str]]], Callable[..., Any]]:
    """Log how long a step took and whether it built or reused (the step returns
    (result, action)); `what` is formatted with the step's arguments after the client."""
    def decorate(func: Callable[..., tuple[Any, str]]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            start = time.monotonic()
            result, action = func(*args, **kwargs)
            log.info("%-28s %-8s %6.1f s", what.format(*args[1:]), action,
                     time.monotonic() - start)
            return result
        return wrapper
    return decorate
