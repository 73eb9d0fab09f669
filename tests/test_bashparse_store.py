"""bash's answers on whether a command is complete are kept between runs, and only reused
for the same text and the same bash (no Docker)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness import bashparse

OPEN = "for f in a b; do"  # bash wants more
CLOSED = "echo 'one; two'"  # quoted: asked, and complete


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(bashparse, "_answers", {})
    monkeypatch.setattr(bashparse, "_used", set())
    monkeypatch.setattr(bashparse, "_new", False)
    monkeypatch.setattr(bashparse, "_store", None)
    bashparse.incomplete.cache_clear()
    yield
    bashparse.incomplete.cache_clear()


def no_bash(script: str) -> tuple[bool, str]:
    raise AssertionError(f"bash was asked again: {script!r}")


@pytest.mark.usefixtures("fresh")
def test_answers_are_kept_and_the_next_run_asks_bash_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    store = tmp_path / "bash-complete.json"
    bashparse.remember_in(store)
    assert bashparse.incomplete(OPEN) is True and bashparse.incomplete(CLOSED) is False
    bashparse.save()
    assert len(json.loads(store.read_text())) == 2

    # the next run: a new process, with the store
    monkeypatch.setattr(bashparse, "_answers", {})
    bashparse.incomplete.cache_clear()
    monkeypatch.setattr(bashparse, "_check", no_bash)
    bashparse.remember_in(store)
    assert bashparse.incomplete(OPEN) is True and bashparse.incomplete(CLOSED) is False


@pytest.mark.usefixtures("fresh")
def test_another_bash_asks_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    store = tmp_path / "bash-complete.json"
    bashparse.remember_in(store)
    bashparse.incomplete(OPEN)
    bashparse.save()
    monkeypatch.setattr(bashparse, "_answers", {})
    bashparse.incomplete.cache_clear()
    monkeypatch.setattr(bashparse, "_bash_identity", lambda: "/usr/local/bin/bash:999:1")
    asked = []
    monkeypatch.setattr(bashparse, "_check", lambda script: asked.append(script) or (False, "unexpected end of file"))
    bashparse.remember_in(store)
    assert bashparse.incomplete(OPEN) is True and asked


@pytest.mark.usefixtures("fresh")
@pytest.mark.parametrize("content", ["not json", "[1, 2]", '{"k": "yes"}'])
def test_a_damaged_store_is_ignored(tmp_path: Path, content: str):
    store = tmp_path / "bash-complete.json"
    store.write_text(content)
    bashparse.remember_in(store)
    assert bashparse.incomplete(OPEN) is True and bashparse.incomplete(CLOSED) is False
    bashparse.save()
    assert all(isinstance(v, bool) for v in json.loads(store.read_text()).values())
