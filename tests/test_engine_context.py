"""The harness's Docker client talks to the engine the docker CLI would (no Docker): DOCKER_HOST,
else the Docker context, read from the CLI's own files, else the local socket."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from harness.endpoint import context_endpoint
from harness.errors import EngineUnavailable


def make_context(config: Path, name: str, host: str, tls: bool = False) -> None:
    """What `docker --config DIR context create NAME --docker host=HOST` writes."""
    folder = hashlib.sha256(name.encode()).hexdigest()
    meta = config / "contexts" / "meta" / folder
    meta.mkdir(parents=True)
    (meta / "meta.json").write_text(json.dumps(
        {"Name": name, "Metadata": {}, "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": False}}}))
    if tls:
        certs = config / "contexts" / "tls" / folder / "docker"
        certs.mkdir(parents=True)
        for pem in ("ca.pem", "cert.pem", "key.pem"):
            (certs / pem).write_text("-----BEGIN-----\n")


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("DOCKER_HOST", "DOCKER_CONTEXT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    make_context(tmp_path, "build-server", "tcp://127.0.0.1:2375")
    return tmp_path


def test_docker_context_names_the_engine_without_a_config_json(config, monkeypatch):
    monkeypatch.setenv("DOCKER_CONTEXT", "build-server")
    assert context_endpoint() == {"base_url": "tcp://127.0.0.1:2375"}


def test_the_cli_configs_current_context_counts_too(config):
    (config / "config.json").write_text(json.dumps({"currentContext": "build-server"}))
    assert context_endpoint() == {"base_url": "tcp://127.0.0.1:2375"}


def test_docker_host_and_the_default_context_leave_it_to_the_sdk(config, monkeypatch):
    assert context_endpoint() == {}
    monkeypatch.setenv("DOCKER_CONTEXT", "default")
    assert context_endpoint() == {}
    monkeypatch.setenv("DOCKER_CONTEXT", "build-server")
    monkeypatch.setenv("DOCKER_HOST", "ssh://me@elsewhere")
    assert context_endpoint() == {}  # DOCKER_HOST wins, as with the CLI


def test_an_unknown_context_is_an_error_that_names_it(config, monkeypatch):
    monkeypatch.setenv("DOCKER_CONTEXT", "nowhere")
    with pytest.raises(EngineUnavailable, match="'nowhere' is not in"):
        context_endpoint()


def test_a_tls_context_brings_its_certificates(config, monkeypatch):
    make_context(config, "secure", "tcp://127.0.0.1:2376", tls=True)
    monkeypatch.setenv("DOCKER_CONTEXT", "secure")
    found = context_endpoint()
    assert found["base_url"] == "tcp://127.0.0.1:2376"
    tls = found["tls"]
    assert tls.verify is True and tls.ca_cert.endswith("ca.pem") and tls.cert[0].endswith("cert.pem")


@pytest.mark.parametrize("env, says", [
    ({"DOCKER_HOST": "tcp://127.0.0.1:9"}, "The Docker engine at tcp://127.0.0.1:9 does not answer: "),
    ({"DOCKER_CONTEXT": "nowhere"}, "Docker context 'nowhere' is not in "),
])
def test_an_engine_that_is_not_there_is_one_clear_line(tmp_path, env, says):
    from pagerun import PAGES, run_pages

    out = run_pages(PAGES / "all-pass.md", tmp_path=tmp_path, env={**env, "DOCKER_CONFIG": str(tmp_path)},
                    unset=tuple(n for n in ("DOCKER_HOST", "DOCKER_CONTEXT", "HANDBOOK_SANDBOX_IMAGE", "HANDBOOK_SEED")
                               if n not in env))
    assert out.code == 4, out.output  # pytest's usage error
    assert says in out.output and "Traceback" not in out.output and "INTERNALERROR" not in out.output, out.output
