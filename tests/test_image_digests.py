"""The content hash that tags the images: what changes it, and what must not.

The sandbox image is `handbook-sandbox:<first 12 of the hash>`, and an image is
reused while the hash it was built from is unchanged. A hash that misses an
input serves a stale image; one that counts timestamps rebuilds on every fresh
clone. No Docker needed: the parent image comes from a stand-in client.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import docker.errors
import pytest

from harness import imagecache, provision
from harness.imagecache import build_inputs, copied_files, digest

DOCKERFILE = """\
FROM debian:trixie-slim
# COPY commented/out.txt /nowhere
COPY requirements/app.txt /tmp/app.txt
COPY --chmod=755 scripts/ \\
     /opt/scripts/
RUN echo hello
"""


@pytest.fixture
def context(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    for name, text in {"requirements/app.txt": "pandas==2.2.3\n", "scripts/run.sh": "echo run\n",
                       "scripts/deep/more.sh": "echo more\n", "README.md": "not copied\n",
                       "commented/out.txt": "not copied either\n"}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def inputs(context: Path, *more: str | None) -> str:
    return build_inputs(context / "Dockerfile", context, *more)


def test_the_hash_is_the_same_for_the_same_inputs(context, tmp_path_factory):
    other = tmp_path_factory.mktemp("clone") / "ctx"
    shutil.copytree(context, other)  # another checkout of the same files
    assert inputs(context) == inputs(other)


def test_editing_the_dockerfile_changes_the_hash(context):
    before = inputs(context)
    (context / "Dockerfile").write_text(DOCKERFILE.replace("echo hello", "echo hi"))
    assert inputs(context) != before


def test_editing_a_copied_file_changes_the_hash(context):
    before = inputs(context)
    (context / "requirements/app.txt").write_text("pandas==2.2.4\n")
    assert inputs(context) != before


def test_a_file_added_to_a_copied_folder_changes_the_hash(context):
    before = inputs(context)
    (context / "scripts/deep/new.sh").write_text("echo new\n")
    assert inputs(context) != before


def test_making_a_copied_file_executable_changes_the_hash(context):
    before = inputs(context)
    (context / "scripts/run.sh").chmod(0o755)  # COPY keeps modes: the image changes
    assert inputs(context) != before


def test_files_the_dockerfile_does_not_copy_do_not_count(context):
    before = inputs(context)
    (context / "README.md").write_text("edited\n")
    (context / "commented/out.txt").write_text("edited\n")
    assert inputs(context) == before


def test_touching_files_does_not_change_the_hash(context):
    before = inputs(context)
    for path in context.rglob("*"):
        os.utime(path, (1_000_000_000, 1_000_000_000))
    assert inputs(context) == before


def test_the_parent_image_and_the_ca_bundle_count(context, tmp_path_factory):
    ca = tmp_path_factory.mktemp("ca") / "ca.crt"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    plain = inputs(context, "sha256:aaa", None)
    assert inputs(context, "sha256:bbb", None) != plain
    assert build_inputs(context / "Dockerfile", context, "sha256:aaa", ca) != plain


def test_what_the_dockerfile_copies(tmp_path):
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "b.cfg").write_text("b")
    (tmp_path / "c.cfg").write_text("c")
    (tmp_path / "Dockerfile").write_text(
        "FROM x AS build\n"
        "COPY --from=build /out /out\n"                     # another stage: no file of ours
        'COPY ["a.txt", "/a.txt"]\n'                        # the JSON form
        "add *.cfg /etc/\n"                                 # lower case, a glob
        "ADD https://example.org/x.tgz /x.tgz\n"            # a URL
        "COPY <<EOF /etc/motd\nhello\nEOF\n"                # a heredoc: its text is in the Dockerfile
        "COPY missing.txt /m\n"                             # absent: the build says so, not the hash
    )
    assert copied_files(tmp_path / "Dockerfile", tmp_path) == [tmp_path / n for n in ("a.txt", "b.cfg", "c.cfg")]


def test_parts_are_length_prefixed_and_absence_is_not_emptiness():
    assert digest("ab", "c") != digest("a", "bc")
    assert digest(None) != digest("")
    assert digest("x") == digest(b"x")


class FakeImages:
    def __init__(self, ids: dict[str, str]):
        self.ids = ids

    def get(self, name: str):
        if name not in self.ids:
            raise docker.errors.ImageNotFound(name)
        return SimpleNamespace(id=self.ids[name], labels={})


def test_the_sandbox_tag_follows_its_dockerfile_its_copies_and_its_parent(context, monkeypatch):
    monkeypatch.setenv("HANDBOOK_CA_BUNDLE", "")
    monkeypatch.setattr(provision, "ROOT", context)
    monkeypatch.setattr(provision, "SANDBOX_DOCKERFILE", context / "Dockerfile")
    client = SimpleNamespace(images=FakeImages({provision.DEBIAN: "sha256:one"}))
    tag = provision.sandbox_tag(provision.sandbox_inputs(client))
    assert tag.startswith(provision.SANDBOX_REPO + ":") and len(tag.split(":")[1]) == 12

    os.utime(context / "requirements/app.txt", (1, 1))
    assert provision.sandbox_tag(provision.sandbox_inputs(client)) == tag
    (context / "requirements/app.txt").write_text("pandas==3.0.0\n")
    edited = provision.sandbox_tag(provision.sandbox_inputs(client))
    assert edited != tag
    client.images.ids[provision.DEBIAN] = "sha256:two"  # a new debian base: a new sandbox
    assert provision.sandbox_tag(provision.sandbox_inputs(client)) != edited


def test_the_real_sandbox_hash_covers_the_requirements_it_copies():
    copied = copied_files(provision.SANDBOX_DOCKERFILE, imagecache.ROOT)
    assert imagecache.ROOT / "requirements" / "sandbox-jupyter.txt" in copied
