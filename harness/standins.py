"""Build the two base images from Debian packages where no registry answers.

Pages `FROM debian:trixie-slim` and `FROM python:3.13-slim-trixie`. Where no
container registry answers (CI here), these stand in for them: debootstrap a
minimal trixie (Debian 13), make it behave like the official image, import it;
then add Debian's python3 on top. Both are labelled org.handbook.standin=true.

The recipes are also what the base images are cached under (base_inputs):
changing one rebuilds that image, and what is built on it.
(cuda_image.py builds the third stand-in, for NVIDIA's CUDA image.)
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import docker
import docker.errors

from .cabundle import CA_IN_IMAGE, ca_env_lines
from .engine import LOG_DIR, apt_install, can_install, run_logged
from .errors import ProvisionError
from .imagecache import WORK_DIR, cli_build, digest, fresh_dir, image_id, image_labels

DEBIAN = "debian:trixie-slim"
PYTHON = "python:3.13-slim-trixie"
BASES = (DEBIAN, PYTHON)
SUITE = "trixie"
MIRROR = "http://deb.debian.org/debian"
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# What the official images' build (debuerreotype) does to make a Debian root
# fit for a container; the stand-in should behave like the image it replaces.
SLIM_DPKG_CFG = """\
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
"""
_APT_CLEAN = "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"
APT_DOCKER_CLEAN = f"""\
DPkg::Post-Invoke {{ "{_APT_CLEAN}"; }};
APT::Update::Post-Invoke {{ "{_APT_CLEAN}"; }};
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
"""
APT_NO_LANGUAGES = 'Acquire::Languages "none";\n'
# Without it, installing a package with a service (docker.io in the sandbox)
# would try to start that service inside the build.
POLICY_RC_D = "#!/bin/sh\nexit 101\n"
DEBIAN_SOURCES = f"""\
Types: deb
URIs: {MIRROR}
Suites: {SUITE} {SUITE}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: {MIRROR}-security
Suites: {SUITE}-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""

# Like the official python image: python and pip work system-wide as root.
# Debian's EXTERNALLY-MANAGED marker would refuse `pip install` outside a venv.
PYTHON_STANDIN_DOCKERFILE = f"""\
FROM {DEBIAN}
ENV LANG=C.UTF-8
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
      python3 python3-venv python3-pip \\
 && rm -rf /var/lib/apt/lists/* \\
 && ln -s /usr/bin/python3 /usr/local/bin/python \\
 && rm -f /usr/lib/python3.*/EXTERNALLY-MANAGED
CMD ["python3"]
"""


def base_inputs(client: docker.DockerClient, name: str, ca: Path | None) -> str:
    """The hash base image `name` is cached under, pulled or built: its recipe and the CA bundle."""
    if name == DEBIAN:
        return digest(name, SUITE, MIRROR, SLIM_DPKG_CFG, APT_DOCKER_CLEAN, APT_NO_LANGUAGES,
                      POLICY_RC_D, DEBIAN_SOURCES, PATH_ENV, CA_IN_IMAGE, ca)
    # The python stand-in is built on the debian one: it changes with it.
    return digest(name, PYTHON_STANDIN_DOCKERFILE, image_id(client, DEBIAN), CA_IN_IMAGE, ca)


# ---------------------------------------------------------------- debian:trixie-slim

def ensure_debootstrap() -> None:
    if shutil.which("debootstrap"):
        return
    if not can_install():
        raise ProvisionError("No registry answers, so the base images must be built locally, "
                             "which needs debootstrap: install it (apt-get install debootstrap) "
                             "and run again as root.")
    apt_install(["debootstrap"])


def write(root: Path, path: str, text: str, mode: int = 0o644) -> None:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    target.chmod(mode)


def slim(root: Path) -> None:
    write(root, "/etc/dpkg/dpkg.cfg.d/docker", SLIM_DPKG_CFG)
    doc = root / "usr/share/doc"
    subprocess.run(["find", str(doc), "-xdev", "-not", "-name", "copyright",
                    "-not", "-type", "d", "-delete"], check=True)
    subprocess.run(["find", str(doc), "-xdev", "-depth", "-mindepth", "1", "-type", "d",
                    "-empty", "-delete"], check=True)
    for sub in ("groff", "info", "linda", "lintian/overrides", "locale", "man"):
        path = root / "usr/share" / sub
        if path.is_dir():
            fresh_dir(path)


def fit_for_containers(root: Path, ca: Path | None) -> None:
    """Make a debootstrapped root behave like the official image."""
    slim(root)
    write(root, "/usr/sbin/policy-rc.d", POLICY_RC_D, 0o755)
    write(root, "/etc/apt/apt.conf.d/docker-clean", APT_DOCKER_CLEAN)
    write(root, "/etc/apt/apt.conf.d/docker-no-languages", APT_NO_LANGUAGES)
    write(root, "/etc/apt/sources.list.d/debian.sources", DEBIAN_SOURCES)
    (root / "etc/apt/sources.list").unlink(missing_ok=True)
    # debootstrap copied these from the host; the engine provides them per container.
    for name in ("etc/hostname", "etc/resolv.conf", "etc/machine-id"):
        if (root / name).exists():
            (root / name).write_text("")
    for pattern in ("var/cache/apt/archives/*.deb", "var/cache/apt/*.bin",
                    "var/lib/apt/lists/*", "var/log/*.log", "var/log/apt/*",
                    "var/cache/ldconfig/aux-cache"):
        for path in root.glob(pattern):
            if path.is_file():
                path.unlink()
    if ca:
        (root / CA_IN_IMAGE.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ca, root / CA_IN_IMAGE.lstrip("/"))


def import_messages(answer: str) -> list[dict]:
    """The engine's answer to an import: JSON objects one after another (progress, the new
    image's id, or an error that came after the upload was accepted)."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while at < len(answer):
        if answer[at].isspace():
            at += 1
            continue
        message, at = decoder.raw_decode(answer, at)
        found.append(message)
    return found


def import_root(client: docker.DockerClient, root: Path, name: str, ca: Path | None, inputs: str) -> None:
    """`docker import` of the root folder as image `name`, through the engine's API.

    Imported under a tag of its own first, and named `name` only once whole: a half-read
    root would otherwise carry the right inputs label and be reused as if it were good.
    """
    changes = ["CMD [\"bash\"]", f"ENV {PATH_ENV}"]
    changes += [f"ENV {line}" for line in ca_env_lines(ca)]
    changes += [f"LABEL {k}={v}" for k, v in image_labels(inputs, standin=True).items()]
    repository, _, tag = name.rpartition(":")
    partial = f"{repository}:import-{os.getpid()}"
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = LOG_DIR / "import-debian.log"
    try:
        # --numeric-owner: file owners must be the root's uids, not the host's names.
        with subprocess.Popen(["tar", "-C", str(root), "--numeric-owner", "-c", "."],
                              stdout=subprocess.PIPE) as tar:
            try:
                answer = client.api.import_image(src=tar.stdout, repository=repository,
                                                 tag=partial.rpartition(":")[2], changes=changes,
                                                 stream_src=True)
            except docker.errors.APIError as e:
                raise ProvisionError(f"the engine refused to import {name}: {e}") from e
        log.write_text(answer)
        if tar.returncode != 0:
            raise ProvisionError(f"tar of {root} failed (exit {tar.returncode}); {name} was not imported")
        refused = [m["error"] for m in import_messages(answer) if m.get("error")]
        if refused:
            raise ProvisionError(f"importing {name} failed: {refused[-1]}; full answer: {log}")
        client.images.get(partial).tag(repository, tag)
    finally:
        with contextlib.suppress(docker.errors.ImageNotFound):
            client.images.remove(partial)  # only the tag goes, when `name` holds the image


def build_debian_standin(client: docker.DockerClient, name: str, ca: Path | None, inputs: str) -> None:
    ensure_debootstrap()
    root = WORK_DIR / "rootfs"
    shutil.rmtree(root, ignore_errors=True)
    try:
        run_logged(["debootstrap", "--variant=minbase", SUITE, str(root), MIRROR],
                   "debootstrap")
        fit_for_containers(root, ca)
        import_root(client, root, name, ca, inputs)
    finally:
        shutil.rmtree(root, ignore_errors=True)


# ---------------------------------------------------------------- python:3.13-slim-trixie

def build_python_standin(name: str, inputs: str) -> None:
    context = fresh_dir(WORK_DIR / "python-standin")
    (context / "Dockerfile").write_text(PYTHON_STANDIN_DOCKERFILE)
    cli_build(context, name, image_labels(inputs, standin=True), "build-python-standin")
