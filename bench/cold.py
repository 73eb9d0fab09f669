"""Cold provisioning, measured without a registry, a mirror, or the shared images.

A cold run is a warm run plus provisioning: building the base images, the
sandbox image and the seed archive. Deleting the cached images to time that
would take them away from everyone else on this engine, and rebuilding them
would fetch packages from Debian and PyPI, which a benchmark must not do.
So the provisioning is split into its parts:

- work that is local (importing the stand-in's root filesystem, saving the
  seed archive) is done again now, into throwaway tags and files;
- work that downloads (debootstrap, apt-get, pip) is read from the engine's
  own record of the last cold build: the stand-in's root filesystem keeps
  the time debootstrap wrote its first file, and every image and layer
  keeps the time it was committed. Nothing is fetched to get these.
"""
from __future__ import annotations

import subprocess
import tarfile
import time
from datetime import datetime, timezone

from .common import WORK, Bench, summary

WINDOW = 3600  # seconds: a cold build step longer than this is not one step of one provisioning


def _created(image) -> float:
    return datetime.fromisoformat(image.attrs["Created"]).timestamp()


def _export_rootfs(bench: Bench, name: str, target) -> float:
    """`docker export` of a container of `name` into `target`; returns its seconds."""
    from harness import labels

    container = bench.client.containers.create(name, ["true"], network_mode="none", labels=labels.for_run())
    began = time.monotonic()
    try:
        with target.open("wb") as out:
            for chunk in container.export():
                out.write(chunk)
    finally:
        container.remove(force=True)
    return time.monotonic() - began


def _first_write(rootfs, created: float) -> float | None:
    """When debootstrap began: the earliest mtime in the root filesystem within the hour before
    the image was committed (files from packages keep their build dates, years earlier)."""
    with tarfile.open(rootfs) as tar:
        stamps = [m.mtime for m in tar.getmembers() if created - WINDOW <= m.mtime <= created]
    return min(stamps) if stamps else None


def _step(start: float | None, end: float | None, source: str) -> dict:
    seconds = end - start if start is not None and end is not None else None
    if seconds is not None and not 0 <= seconds <= WINDOW:
        seconds, source = None, source + " (not built in the same provisioning: no duration to read)"
    return {"seconds": seconds, "source": source}


def measure_cold(bench: Bench) -> dict:
    from harness import images
    from harness.engine import docker_cli

    client = bench.client
    work = WORK / "cold"
    work.mkdir(parents=True, exist_ok=True)
    debian, python, sandbox = (client.images.get(n) for n in (images.DEBIAN, images.PYTHON, bench.image))
    standin = (debian.labels or {}).get("org.handbook.standin") == "true"
    t_debian, t_python, t_sandbox = _created(debian), _created(python), _created(sandbox)

    rootfs = work / "rootfs.tar"
    export_s = _export_rootfs(bench, images.DEBIAN, rootfs)
    began_debootstrap = _first_write(rootfs, t_debian) if standin else None

    # the import step again, into a tag of our own that nothing else uses
    tag = f"handbook-bench-cold:{bench.run_id}"
    imports = []
    for _ in range(2):
        began = time.monotonic()
        with rootfs.open("rb") as stream:
            subprocess.run([docker_cli(), "import", "-", tag], stdin=stream, check=True, capture_output=True)
        imports.append(time.monotonic() - began)
        subprocess.run([docker_cli(), "image", "rm", "-f", tag], check=False, capture_output=True)
    rootfs.unlink()

    # the seed archive saved anew, into a throwaway file (the cached one stays as it is)
    saves = []
    for _ in range(2):
        part = work / "seed.tar"
        began = time.monotonic()
        subprocess.run([docker_cli(), "save", "-o", str(part), *images.BASES], check=True, capture_output=True)
        saves.append(time.monotonic() - began)
        part.unlink()

    steps = {
        "debootstrap_and_import": _step(began_debootstrap, t_debian,
                                        "recorded: first file debootstrap wrote in the stand-in's root "
                                        "filesystem, to the stand-in image's commit")
        if standin else {"seconds": None, "source": "debian:trixie-slim was pulled, not built: no record"},
        "python_standin": _step(t_debian, t_python, "recorded: debian image commit to python image commit "
                                                    "(apt-get of python3, pip, venv)"),
        "sandbox_image": _step(t_python, t_sandbox, "recorded: python image commit to sandbox image commit "
                                                    "(apt-get of git, make, docker.io...; pip of Jupyter)"),
        "seed_save": {"seconds": summary(saves)["median"], "source": "measured now: `docker save` of the base "
                                                                     "images into a throwaway file"},
    }
    known = [s["seconds"] for s in steps.values() if s["seconds"] is not None]
    return {
        "steps": steps,
        "provisioning_s": sum(known),
        "complete": len(known) == len(steps),
        "import_now_s": summary(imports),
        "export_now_s": export_s,
        "seed_save_now_s": summary(saves),
        "recorded_at": datetime.fromtimestamp(t_sandbox, timezone.utc).isoformat(timespec="seconds"),
    }


def warm_provisioning(bench: Bench, runs: int) -> dict:
    """`python -m harness.images` with everything cached, as `make images` runs it."""
    import sys

    from .common import ROOT

    walls = []
    for _ in range(runs):
        began = time.monotonic()
        subprocess.run([sys.executable, "-m", "harness.images"], cwd=ROOT, check=True, capture_output=True,
                       env=bench.pytest_env(provisioned=False))
        walls.append(time.monotonic() - began)
    return summary(walls)
