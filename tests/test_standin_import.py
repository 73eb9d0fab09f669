"""The debian stand-in's last step: a root folder becomes an image through the engine's API.

Building the real stand-in takes a debootstrap (minutes, and it would replace the
shared debian:trixie-slim); the import step is what changed hands from the CLI to
the SDK, so it is tried here on a tiny root, under a tag of this test's own.
"""
from __future__ import annotations

import contextlib
import io
import os
import tarfile
import uuid

import docker
import docker.errors
import pytest

from harness import labels
from harness.cabundle import CA_IN_IMAGE
from harness.engine import ensure_engine
from harness.errors import ProvisionError
from harness.imagecache import INPUTS
from harness.standins import PATH_ENV, import_messages, import_root

pytestmark = pytest.mark.docker


@pytest.fixture
def client() -> docker.DockerClient:
    return ensure_engine()


@pytest.fixture
def name(client):
    tag = f"handbook-test-import:{uuid.uuid4().hex[:12]}"
    yield tag
    with contextlib.suppress(docker.errors.ImageNotFound):
        client.images.remove(tag, force=True)


def test_a_root_folder_becomes_a_labelled_image(client, name, tmp_path):
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "hello.txt").write_text("hello\n")
    owner = 1234 if os.geteuid() == 0 else os.geteuid()
    if os.geteuid() == 0:
        os.chown(root / "etc" / "hello.txt", owner, owner)
    ca = tmp_path / "ca.crt"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")

    import_root(client, root, name, ca, "inputs-of-this-test")

    image = client.images.get(name)
    config = image.attrs["Config"]
    assert config["Cmd"] == ["bash"]
    assert PATH_ENV in config["Env"] and f"PIP_CERT={CA_IN_IMAGE}" in config["Env"]
    assert image.labels[INPUTS] == "inputs-of-this-test" and image.labels[labels.STANDIN] == "true"
    # the file is there, owned by its uid as a number (not mapped through the host's user names)
    box = client.containers.create(name, labels=labels.for_run())
    try:
        stream, _ = box.get_archive("/etc/hello.txt")
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as archive:
            assert archive.getmember("hello.txt").uid == owner
    finally:
        box.remove(force=True)


def test_a_root_that_cannot_be_read_fails_clearly(client, name, tmp_path):
    with pytest.raises(ProvisionError, match=r"tar of .*missing failed"):
        import_root(client, tmp_path / "missing", name, None, "x")


def test_the_engines_answer_is_read_as_a_stream_of_messages():
    answer = '{"status":"sha256:abc"}\r\n{"errorDetail":{"message":"no space"},"error":"no space"}\n'
    assert [m.get("error") for m in import_messages(answer)] == [None, "no space"]


def test_a_failed_import_leaves_no_image_under_the_name(client, name, tmp_path):
    with pytest.raises(ProvisionError):
        import_root(client, tmp_path / "missing", name, None, "x")
    with pytest.raises(docker.errors.ImageNotFound):
        client.images.get(name)
    assert not client.images.list(name=name.split(":")[0])  # nor under the import's own tag
