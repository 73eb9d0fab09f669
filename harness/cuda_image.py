"""A stand-in for NVIDIA's CUDA base image, for the GPU blocks where no registry answers.

The handbook's GPU examples run `nvidia/cuda:12.4.1-base-ubuntu22.04`-style containers.
Neither that image nor a registry is at hand on the machines that test them, so this
module builds `handbook-cuda:<hash>` from the local `debian:trixie-slim`: Python 3
(for gpu_check.py), the `reader` user (uid 1000, as in the sandbox, so the image can
also be a page's sandbox on the GPU machine), NVIDIA's two environment variables, and
snippets/docker/gpu/gpu_check.py as /usr/local/bin/gpu_check.py.

Like the real CUDA images, it holds no driver: libcuda.so.1, nvidia-smi and the device
nodes come from the host when the container starts (see harness/gpu.py). Unlike them,
it has no CUDA runtime library either; gpu_check.py needs none, as it talks to the
driver directly.

The image is labelled with a hash of its inputs and reused while they are unchanged,
as imagecache.py does for the other images. `python -m harness.cuda_image` builds
or reuses it and prints its tag and size.
"""
from __future__ import annotations

import logging
import shutil
import sys
import time

import docker

from . import labels
from .engine import ROOT, ensure_engine
from .errors import EngineUnavailable, ProvisionError, StepFailed
from .imagecache import (
    WORK_DIR,
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
from .provision import ensure_base_image
from .standins import DEBIAN

REPO = "handbook-cuda"
STANDS_IN_FOR = "nvidia/cuda:12.4.1-base-ubuntu22.04"
STANDIN_FOR = f"{labels.PREFIX}.standin-for"
GPU_CHECK = ROOT / "snippets" / "docker" / "gpu" / "gpu_check.py"

# python3 rather than python3-minimal: the minimal one lacks ctypes and json.
# The image travels to the GPU machine inside a 64 MiB allowance, so the RUN drops
# the compiled bytecode (Python works without it) and apt's logs.
DOCKERFILE = f"""\
# Stands in for {STANDS_IN_FOR}: no CUDA and no driver inside; the host's driver
# is mounted in when the container starts.
FROM {DEBIAN}
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 \\
 && rm -rf /var/lib/apt/lists/* /var/log/apt /var/log/dpkg.log /var/cache/debconf/*-old \\
 && find /usr/lib/python3* -name __pycache__ -type d -prune -exec rm -rf {{}} + \\
 && useradd --create-home --uid 1000 --shell /bin/bash reader
ENV NVIDIA_VISIBLE_DEVICES=all NVIDIA_DRIVER_CAPABILITIES=compute,utility
COPY gpu_check.py /usr/local/bin/gpu_check.py
"""


def cuda_inputs(client: docker.DockerClient) -> str:
    return digest(REPO, STANDS_IN_FOR, DOCKERFILE, GPU_CHECK, image_id(client, DEBIAN))


def drop_older(client: docker.DockerClient, keep: str) -> None:
    for image in client.images.list(name=REPO, filters={"label": labels.HARNESS}):
        for tag in image.tags:
            if tag != keep:
                drop_image(client, tag)


@timed(REPO)
def _cuda(client: docker.DockerClient) -> tuple[str, str]:
    ensure_base_image(client, DEBIAN)
    inputs = cuda_inputs(client)
    tag = f"{REPO}:{inputs[:12]}"
    action = "reused"
    if cached(client, tag, inputs) is None:
        context = fresh_dir(WORK_DIR / "cuda-standin")
        (context / "Dockerfile").write_text(DOCKERFILE)
        shutil.copyfile(GPU_CHECK, context / "gpu_check.py")
        label_map = {**image_labels(inputs, standin=True), STANDIN_FOR: STANDS_IN_FOR}
        cli_build(context, tag, label_map, "build-cuda-standin")
        action = "built"
    drop_older(client, keep=tag)
    return tag, action


@serialized
def ensure_cuda_image(client: docker.DockerClient) -> str:
    """Build (or reuse) the CUDA stand-in image; return its tag, `handbook-cuda:<hash>`."""
    return _cuda(client)


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    start = time.monotonic()
    try:
        client = ensure_engine()
        tag = ensure_cuda_image(client)
    except (ProvisionError, StepFailed, EngineUnavailable) as exc:
        print(f"harness.cuda_image: FAILED: {exc}", file=sys.stderr)
        return 1
    size = client.images.get(tag).attrs.get("Size", 0)
    print(f"{tag} ({size / 2**20:.1f} MiB); done in {time.monotonic() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
