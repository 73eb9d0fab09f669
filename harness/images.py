"""Provide the images every page needs, without a container registry.

Pages `FROM debian:trixie-slim` and `FROM python:3.13-slim-trixie`, and run
in the sandbox image built from the top-level Dockerfile. Where no registry
answers (CI here), the two base images are stand-ins built from Debian packages:
debootstrap a minimal trixie (Debian 13) and import it, then add Debian's python3 on top.
A seed archive (`docker save` of the base images) lets each page's own nested
engine start with them, since it cannot pull either.

Every image built here is labelled with a hash of its inputs (recipe, files,
parent image, CA bundle); when an image with that hash exists, nothing is
rebuilt, so a warm run takes a fraction of a second.

Setting
-------
HANDBOOK_CA_BUNDLE
    The CA bundle that containers must trust, for networks whose HTTPS goes
    through a TLS-intercepting proxy (pip fails with CERTIFICATE_VERIFY_FAILED
    otherwise). Default: /etc/ssl/certs/ca-certificates.crt when it exists.
    An empty value disables it. The bundle is baked into the base images at
    /usr/local/share/handbook/ca-bundle.crt, and PIP_CERT, SSL_CERT_FILE,
    REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE point at it, so images built from
    them (the sandbox, and what pages build) inherit the trust.

Run `python -m harness.images` (make does, before the tests) to build or reuse
everything and print what it did.
"""
from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import docker
import docker.errors
import requests.exceptions

from harness import labels
from harness.engine import (
    ROOT,
    EngineUnavailable,
    StepFailed,
    apt_install,
    can_install,
    docker_cli,
    engine_key,
    ensure_engine,
    run_logged,
)

log = logging.getLogger(__name__)

INPUTS = f"{labels.PREFIX}.inputs"  # sha256 of what an image was built from

CA_ENV = "HANDBOOK_CA_BUNDLE"
DEFAULT_CA = Path("/etc/ssl/certs/ca-certificates.crt")
# Outside /usr/local/share/ca-certificates, so update-ca-certificates (run when
# a page installs ca-certificates) neither drops nor rewrites it.
CA_IN_IMAGE = "/usr/local/share/handbook/ca-bundle.crt"
CA_VARS = ("PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")

DEBIAN = "debian:trixie-slim"
PYTHON = "python:3.13-slim-trixie"
BASES = (DEBIAN, PYTHON)
SUITE = "trixie"
MIRROR = "http://deb.debian.org/debian"
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

SANDBOX_REPO = "handbook-sandbox"
SANDBOX_DOCKERFILE = ROOT / "Dockerfile"
# Everything the Dockerfile reads: a change to any of them means a new image.
SANDBOX_INPUTS = (ROOT / "requirements" / "sandbox-jupyter.in",
                  ROOT / "requirements" / "sandbox-jupyter.txt")
SANDBOX_GRACE_HOURS = 24
CACHE_DIR = ROOT / "build" / "cache"
WORK_DIR = ROOT / "build" / f"images{engine_key()}"

PULL_PROBE_TIMEOUT = 5  # seconds: where no registry answers, do not wait for one

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


class ProvisionError(RuntimeError):
    """An image could not be provided; the message says why and where the log is."""


# ---------------------------------------------------------------- helpers

def ca_bundle() -> Path | None:
    """The CA bundle containers must trust (see HANDBOOK_CA_BUNDLE), or None."""
    value = os.environ.get(CA_ENV)
    if value is None:
        return DEFAULT_CA if DEFAULT_CA.is_file() else None
    if not value:
        return None
    path = Path(value)
    if not path.is_file():
        raise ProvisionError(f"{CA_ENV}={value}: no such file (set it empty to trust no extra CA)")
    return path


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


def image_labels(inputs: str, standin: bool = False) -> dict[str, str]:
    # Images inherit their parent's labels: say "false" outright, or the
    # sandbox (FROM the debian stand-in) would claim to be a stand-in too.
    return {labels.HARNESS: "1", labels.CACHE: "true", INPUTS: inputs,
            labels.STANDIN: "true" if standin else "false"}


def ca_env_lines(ca: Path | None) -> list[str]:
    return [f"{var}={CA_IN_IMAGE}" for var in CA_VARS] if ca else []


def cached(client: docker.DockerClient, name: str, inputs: str):
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


_lock = threading.RLock()
_lock_depth = 0


def serialized(func):
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
    return wrapper


def timed(what: str):
    """Log how long a step took and whether it built or reused (the step returns
    (result, action))."""
    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            start = time.monotonic()
            result, action = func(*args, **kwargs)
            log.info("%-28s %-8s %6.1f s", what.format(*args[1:]), action,
                     time.monotonic() - start)
            return result
        return wrapper
    return decorate


# ---------------------------------------------------------------- base images

def registry_has(name: str) -> bool:
    """Whether a registry answers for `name`, asked through the engine (which
    knows its proxies) with a short timeout."""
    try:
        docker.from_env(timeout=PULL_PROBE_TIMEOUT).api.inspect_distribution(name)
        return True
    except (docker.errors.DockerException, requests.exceptions.RequestException, OSError):
        return False


def layer_on_pulled(client, name: str, ca: Path | None, inputs: str) -> None:
    """Pulled images do not trust our CA bundle yet: add it, and our labels."""
    run_logged([docker_cli(), "pull", name], f"pull-{name.replace(':', '-')}")
    context = fresh_dir(WORK_DIR / f"pulled-{name.replace(':', '-')}")
    lines = [f"FROM {name}"]
    if ca:
        shutil.copyfile(ca, context / "ca-bundle.crt")
        lines += [f"COPY ca-bundle.crt {CA_IN_IMAGE}", "ENV " + " ".join(ca_env_lines(ca))]
    (context / "Dockerfile").write_text("\n".join(lines) + "\n")
    cli_build(context, name, image_labels(inputs), f"build-{name.replace(':', '-')}")


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


def import_root(root: Path, name: str, ca: Path | None, inputs: str) -> None:
    changes = ["CMD [\"bash\"]", f"ENV {PATH_ENV}"]
    changes += [f"ENV {line}" for line in ca_env_lines(ca)]
    changes += [f"LABEL {k}={v}" for k, v in image_labels(inputs, standin=True).items()]
    cmd = [docker_cli(), "import"]
    for change in changes:
        cmd += ["--change", change]
    # --numeric-owner: file owners must be the root's uids, not the host's names.
    with subprocess.Popen(["tar", "-C", str(root), "--numeric-owner", "-c", "."],
                          stdout=subprocess.PIPE) as tar:
        run_logged([*cmd, "-", name], "import-debian", stdin=tar.stdout)


def build_debian_standin(name: str, ca: Path | None, inputs: str) -> None:
    ensure_debootstrap()
    root = WORK_DIR / "rootfs"
    shutil.rmtree(root, ignore_errors=True)
    try:
        run_logged(["debootstrap", "--variant=minbase", SUITE, str(root), MIRROR],
                   "debootstrap")
        fit_for_containers(root, ca)
        import_root(root, name, ca, inputs)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def build_python_standin(name: str, inputs: str) -> None:
    context = fresh_dir(WORK_DIR / "python-standin")
    (context / "Dockerfile").write_text(PYTHON_STANDIN_DOCKERFILE)
    cli_build(context, name, image_labels(inputs, standin=True), "build-python-standin")


def base_inputs(client: docker.DockerClient, name: str, ca: Path | None) -> str:
    if name == DEBIAN:
        return digest(name, SUITE, MIRROR, SLIM_DPKG_CFG, APT_DOCKER_CLEAN, APT_NO_LANGUAGES,
                      POLICY_RC_D, DEBIAN_SOURCES, PATH_ENV, CA_IN_IMAGE, ca)
    # The python stand-in is built on the debian one: it changes with it.
    return digest(name, PYTHON_STANDIN_DOCKERFILE, image_id(client, DEBIAN), CA_IN_IMAGE, ca)


@timed("{0}")
def ensure_base_image(client: docker.DockerClient, name: str):
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
        build_debian_standin(name, ca, inputs)
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
    return digest(SANDBOX_DOCKERFILE, *SANDBOX_INPUTS, image_id(client, DEBIAN), ca_bundle())


def age_hours(image) -> float:
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
def _sandbox(client: docker.DockerClient):
    inputs = sandbox_inputs(client)
    tag = f"{SANDBOX_REPO}:{inputs[:12]}"
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
def _seed(client: docker.DockerClient, names: list[str]):
    pairs = sorted((name, client.images.get(name).id) for name in names)
    path = CACHE_DIR / f"seed-{digest(*(f'{n}={i}' for n, i in pairs))[:16]}.tar"
    if path.exists():
        return path, "reused"
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    part = path.with_suffix(f".part{os.getpid()}")
    try:
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
def ensure_all() -> dict:
    """Everything a test run needs: {"sandbox": tag, "base": {name: id}, "seed": path}."""
    base = ensure_base_images()
    client = ensure_engine()
    sandbox = _sandbox(client)
    seed = _seed(client, list(BASES))
    return {"sandbox": sandbox, "base": base, "seed": seed}


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    start = time.monotonic()
    try:
        result = ensure_all()
    except (ProvisionError, StepFailed, EngineUnavailable) as exc:
        print(f"harness.images: FAILED: {exc}", file=sys.stderr)
        return 1
    print(f"sandbox image {result['sandbox']}, seed {result['seed'].relative_to(ROOT)}; "
          f"done in {time.monotonic() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
