"""Provide every image a test run needs, in order, without a container registry.

First the two base images (pulled where a registry answers, built by
standins.py where none does), then the sandbox image from the top-level
Dockerfile on top of them, then the seed archive (`docker save` of the base
images) that each page's own nested engine starts with, since it cannot pull
either. Each step reuses what imagecache.py finds built from the same inputs.

describe_sandbox reads the reader's machine from the sandbox image, for the
stamps. images.py is the entry point (`python -m harness.images`) and the name
the rest of the harness imports these from.
"""
from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import docker
import docker.errors
import requests.exceptions
from docker.models.images import Image

from . import labels
from .cabundle import CA_IN_IMAGE, ca_bundle, ca_env_lines
from .endpoint import client_from_env
from .engine import ROOT, docker_cli, ensure_engine, run_logged
from .errors import ProvisionError
from .imagecache import (
    CACHE_DIR,
    WORK_DIR,
    build_inputs,
    cached,
    cli_build,
    digest,
    drop_image,
    fresh_dir,
    image_id,
    image_labels,
    serialized,
    timed,
)
from .standins import BASES, DEBIAN, PYTHON, base_inputs, build_debian_standin, build_python_standin

SANDBOX_REPO = "handbook-sandbox"
SANDBOX_DOCKERFILE = ROOT / "Dockerfile"
SANDBOX_GRACE_HOURS = 24
PULL_PROBE_TIMEOUT = 5  # seconds: where no registry answers, do not wait for one


# ---------------------------------------------------------------- base images

def registry_has(name: str) -> bool:
    """Whether a registry answers for `name`, asked through the engine (which
    knows its proxies) with a short timeout."""
    try:
        client_from_env(PULL_PROBE_TIMEOUT).api.inspect_distribution(name)
        return True
    except (docker.errors.DockerException, requests.exceptions.RequestException, OSError):
        return False


def layer_on_pulled(client: docker.DockerClient, name: str, ca: Path | None, inputs: str) -> None:
    """Pulled images do not trust our CA bundle yet: add it, and our labels."""
    repository, _, tag = name.rpartition(":")
    try:
        client.images.pull(repository, tag=tag)
    except docker.errors.APIError as e:
        raise ProvisionError(f"pulling {name} failed: {e}") from e
    context = fresh_dir(WORK_DIR / f"pulled-{name.replace(':', '-')}")
    lines = [f"FROM {name}"]
    if ca:
        shutil.copyfile(ca, context / "ca-bundle.crt")
        lines += [f"COPY ca-bundle.crt {CA_IN_IMAGE}", "ENV " + " ".join(ca_env_lines(ca))]
    (context / "Dockerfile").write_text("\n".join(lines) + "\n")
    cli_build(context, name, image_labels(inputs), f"build-{name.replace(':', '-')}")


@timed("{0}")
def ensure_base_image(client: docker.DockerClient, name: str) -> tuple[str, str]:
    ca = ca_bundle()
    inputs = base_inputs(client, name, ca)
    image = cached(client, name, inputs)
    if image is not None:
        return image.id, "reused"
    old = image_id(client, name)
    if registry_has(name):
        layer_on_pulled(client, name, ca, inputs)
        action = "pulled"
    elif name == DEBIAN:
        build_debian_standin(client, name, ca, inputs)
        action = "built"
    elif name == PYTHON:
        build_python_standin(name, inputs)
        action = "built"
    else:
        raise ProvisionError(f"no registry answers for {name}, and there is no stand-in for it")
    drop_image(client, old)
    return client.images.get(name).id, action


@serialized
def ensure_base_images() -> dict[str, str]:
    """Pull or build `debian:trixie-slim` and `python:3.13-slim-trixie`: {name: id}."""
    client = ensure_engine()
    return {name: ensure_base_image(client, name) for name in BASES}


# ---------------------------------------------------------------- sandbox

def sandbox_inputs(client: docker.DockerClient) -> str:
    """The sandbox's Dockerfile and what it copies, the image it is built FROM, the CA bundle."""
    return build_inputs(SANDBOX_DOCKERFILE, ROOT, image_id(client, DEBIAN), ca_bundle())


def sandbox_tag(inputs: str) -> str:
    return f"{SANDBOX_REPO}:{inputs[:12]}"


def age_hours(image: Image) -> float:
    # Docker writes nanoseconds, which datetime does not parse: seconds will do.
    created = datetime.fromisoformat(image.attrs["Created"][:19]).replace(tzinfo=UTC)
    return (datetime.now(UTC) - created).total_seconds() / 3600


def drop_older_sandboxes(client: docker.DockerClient, keep: str) -> None:
    """Remove sandbox images of other inputs once they are a day old.

    Not sooner: a run from another checkout (another Dockerfile) may be using
    one between two pages, when no container holds it.
    """
    for image in client.images.list(name=SANDBOX_REPO, filters={"label": labels.HARNESS}):
        if age_hours(image) < SANDBOX_GRACE_HOURS:
            continue
        for tag in image.tags:
            if tag != keep:
                drop_image(client, tag)


@timed(SANDBOX_REPO)
def _sandbox(client: docker.DockerClient) -> tuple[str, str]:
    inputs = sandbox_inputs(client)
    tag = sandbox_tag(inputs)
    action = "reused"
    if cached(client, tag, inputs) is None:
        # The CA bundle needs no passing: the base image trusts it already.
        cli_build(ROOT, tag, image_labels(inputs), "build-sandbox", dockerfile=SANDBOX_DOCKERFILE)
        action = "built"
    # Also when reusing: an older one that was in use at the last build is free now.
    drop_older_sandboxes(client, keep=tag)
    return tag, action


@serialized
def ensure_sandbox_image() -> str:
    """Build (or reuse) the sandbox image from the top-level Dockerfile; return its tag."""
    ensure_base_images()
    return _sandbox(ensure_engine())


# One line per fact, joined by the harness: what the stamps say the reader's machine is.
ABOUT_SCRIPT = r"""
. /etc/os-release && echo "$PRETTY_NAME"
python3 -c 'import platform; print("Python", platform.python_version())'
git --version | sed 's/^git version/git/'
make --version | sed -n '1s/^GNU Make/make/p'
dockerd --version | sed 's/^Docker version \([^,+]*\).*/Docker \1/'
"""


def describe_sandbox(client: docker.DockerClient, image: str) -> str:
    """The reader's machine in one line, read from the sandbox image itself, for the stamps:
    "Debian GNU/Linux 13 (trixie), Python 3.13.5, git 2.47.3, make 4.4.1, Docker 26.1.5".
    Cached per image id, since it costs a container start."""
    image_ref = client.images.get(image).id
    path = CACHE_DIR / f"about-{image_ref.split(':')[-1][:16]}.txt"
    if path.exists():
        return path.read_text().strip()
    out = client.containers.run(image, ["sh", "-c", ABOUT_SCRIPT], remove=True, network_mode="none",
                                labels=labels.for_run(), user="root")
    about = ", ".join(line for line in out.decode("utf-8", "replace").splitlines() if line.strip())
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    path.write_text(about + "\n")
    return about


# ---------------------------------------------------------------- seed archive

@timed("seed archive")
def _seed(client: docker.DockerClient, names: list[str]) -> tuple[Path, str]:
    pairs = sorted((name, client.images.get(name).id) for name in names)
    path = CACHE_DIR / f"seed-{digest(*(f'{n}={i}' for n, i in pairs))[:16]}.tar"
    if path.exists():
        return path, "reused"
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    part = path.with_suffix(f".part{os.getpid()}")
    try:
        # The CLI, not the SDK: the SDK saves one image per archive, and the seed is one
        # archive of several images that share their layers.
        run_logged([docker_cli(), "save", "-o", str(part), *names], "seed-save")
        # `docker save` writes 0600; `docker load` in a sandbox may run as reader.
        part.chmod(0o644)
        part.rename(path)  # atomic: a reader never sees half an archive
    finally:
        part.unlink(missing_ok=True)
    return path, "saved"


@serialized
def seed_archive(names: list[str]) -> Path:
    """`docker save` of `names` into build/cache/seed-<hash of their ids>.tar, reused while unchanged."""
    return _seed(ensure_engine(), list(names))


# ---------------------------------------------------------------- all

@serialized
def ensure_all() -> dict[str, Any]:
    """Everything a test run needs: {"sandbox": tag, "base": {name: id}, "seed": path}."""
    base = ensure_base_images()
    client = ensure_engine()
    sandbox = _sandbox(client)
    seed = _seed(client, list(BASES))
    return {"sandbox": sandbox, "base": base, "seed": seed}
