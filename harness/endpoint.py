"""Which Docker engine this run uses, and how to reach it: the same one the docker CLI would.

The SDK and the CLI must agree, since the page's shell is a `docker exec` of the CLI. The CLI
takes DOCKER_HOST, else the Docker context (DOCKER_CONTEXT, or the current one in its config),
else the local socket. The SDK finds contexts only beside a config.json, and
`docker --config DIR context create` writes none, so contexts are read here as the CLI reads
them. An ssh:// engine (in DOCKER_HOST or in a context) is reached through a socket that this
machine's ssh forwards (sshforward.py); DOCKER_HOST then names that socket for the CLI and for
the pytest workers, and HANDBOOK_ENGINE_VIA the engine behind it.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import docker
import docker.tls

from . import sshforward
from .errors import EngineUnavailable

VIA = "HANDBOOK_ENGINE_VIA"  # the ssh:// engine that DOCKER_HOST's local socket leads to


def client_from_env(timeout: float) -> docker.DockerClient:
    """A client for the engine the docker CLI would use."""
    endpoint = context_endpoint()
    url = endpoint.get("base_url") or os.environ.get("DOCKER_HOST", "")
    if url.startswith("ssh://"):
        opened = sshforward.forward(url)
        # the CLI and the workers this process starts take the forward, not a second ssh
        os.environ["DOCKER_HOST"], os.environ[VIA] = opened.docker_host, url
        os.environ.pop("DOCKER_CONTEXT", None)
        return docker.DockerClient(base_url=opened.docker_host, timeout=timeout)
    if endpoint:
        return docker.DockerClient(timeout=timeout, **endpoint)
    return docker.from_env(timeout=timeout, use_context=False)


def context_endpoint() -> dict[str, Any]:
    """`base_url` (and `tls`) of the Docker context in use; {} for DOCKER_HOST or the default context."""
    if os.environ.get("DOCKER_HOST"):
        return {}
    config = Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")
    name = os.environ.get("DOCKER_CONTEXT")
    if not name:
        try:
            name = json.loads((config / "config.json").read_text(encoding="utf-8")).get("currentContext")
        except (OSError, ValueError, AttributeError):
            name = None
    if not name or name == "default":
        return {}
    context_id = hashlib.sha256(name.encode()).hexdigest()  # the CLI's folder name for a context
    try:
        meta = json.loads((config / "contexts" / "meta" / context_id / "meta.json").read_text(encoding="utf-8"))
        endpoint = meta["Endpoints"]["docker"]
        found: dict[str, Any] = {"base_url": endpoint["Host"]}
    except (OSError, ValueError, KeyError, TypeError):
        raise EngineUnavailable(f"Docker context {name!r} is not in {config / 'contexts'} "
                                "(`docker context ls` lists the contexts there)") from None
    tls = config / "contexts" / "tls" / context_id / "docker"
    if tls.is_dir():
        cert = (str(tls / "cert.pem"), str(tls / "key.pem")) if (tls / "cert.pem").is_file() else None
        ca = str(tls / "ca.pem") if (tls / "ca.pem").is_file() else None
        found["tls"] = docker.tls.TLSConfig(client_cert=cert, ca_cert=ca,
                                            verify=bool(ca) and not endpoint.get("SkipTLSVerify"))
    return found


def named() -> str:
    """The engine that DOCKER_HOST, an ssh forward or DOCKER_CONTEXT names; '' for the default."""
    return os.environ.get(VIA) or os.environ.get("DOCKER_HOST") or os.environ.get("DOCKER_CONTEXT") or ""


def is_remote(client: docker.DockerClient) -> bool:
    """Whether the engine may be on another machine: reached over TCP or SSH (DOCKER_HOST or a
    Docker context), not a local socket. Files reach containers through the API either way
    (transfer.py); what a remote engine cannot have is this machine's devices (the GPU)."""
    if os.environ.get(VIA):
        return True
    # docker-py names a unix socket or a named pipe http+docker://localhost (localnpipe)
    return not str(client.api.base_url).startswith("http+docker://local")


def engine_key() -> str:
    """'' for the default engine, '-<hash>' for one that is named: what the build folders and the
    provisioning lock are per engine, so that building the images on a second engine does not
    keep runs on the first one waiting. An ssh forward's socket changes every run; the engine
    behind it does not, so the key is the ssh:// address."""
    where = named()
    return f"-{hashlib.sha256(where.encode()).hexdigest()[:12]}" if where else ""
