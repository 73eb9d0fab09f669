"""A helper's exec that the runtime could not start is asked again; a command that ran and
failed is not (no Docker: a stand-in container)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

import harness.sandbox as sandbox_module
from harness.sandbox import EXEC_ATTEMPTS, Sandbox

NOT_STARTED = (126, b"OCI runtime exec failed: exec failed: unable to start container process: waiting for init "
                    b"preliminary setup: read init-p: connection reset by peer: unknown\r\n")


class Container:
    def __init__(self, answers: list[tuple[int, bytes]]):
        self.answers, self.calls = list(answers), 0

    def exec_run(self, argv, user="root", detach=False):
        self.calls += 1
        code, out = self.answers.pop(0)
        return SimpleNamespace(exit_code=code, output=out)


def box_with(answers: list[tuple[int, bytes]], monkeypatch: pytest.MonkeyPatch) -> tuple[Sandbox, Container]:
    monkeypatch.setattr(sandbox_module.time, "sleep", lambda s: None)
    box = Sandbox.__new__(Sandbox)
    box.container = Container(answers)  # type: ignore[assignment]
    return box, box.container  # type: ignore[return-value]


def test_a_process_the_runtime_could_not_start_is_started_again(monkeypatch):
    box, container = box_with([NOT_STARTED, NOT_STARTED, (0, b"Loaded image: debian:trixie-slim\n")], monkeypatch)
    assert box.exec_root(["docker", "load", "-q", "-i", "seed.tar"]) == (0, "Loaded image: debian:trixie-slim\n")
    assert container.calls == 3


def test_a_command_that_ran_and_failed_is_not_run_again(monkeypatch):
    box, container = box_with([(1, b"open seed.tar: no such file or directory\n")], monkeypatch)
    assert box.exec_root(["docker", "load", "-i", "seed.tar"])[0] == 1
    assert container.calls == 1


def test_the_runtime_failing_every_time_is_reported(monkeypatch):
    box, container = box_with([NOT_STARTED] * EXEC_ATTEMPTS, monkeypatch)
    code, out = box.exec_root(["true"])
    assert code == 126 and out.startswith("OCI runtime exec failed") and container.calls == EXEC_ATTEMPTS


@pytest.mark.parametrize("failures, started", [(2, True), (EXEC_ATTEMPTS, False)])
def test_the_pages_shell_is_started_again_when_the_runtime_could_not_start_it(monkeypatch, failures, started):
    from harness.errors import ShellGone

    tries = []

    class Shell:
        def __init__(self, argv):
            tries.append(argv)
            if len(tries) <= failures:
                raise ShellGone(f"the page's shell did not start: {NOT_STARTED[1]!r}")

    monkeypatch.setattr(sandbox_module, "Shell", Shell)
    monkeypatch.setattr(sandbox_module, "docker_cli", lambda: "docker")
    box, _ = box_with([], monkeypatch)
    box._shell, box.reader, box.container.id = None, True, "c0ffee"  # type: ignore[union-attr]
    if started:
        assert isinstance(box.shell(), Shell) and len(tries) == failures + 1
    else:
        with pytest.raises(ShellGone, match="OCI runtime exec failed"):
            box.shell()
        assert len(tries) == EXEC_ATTEMPTS


def test_a_shell_that_bash_itself_ended_is_not_started_again(monkeypatch):
    from harness.errors import ShellGone

    tries = []

    class Shell:
        def __init__(self, argv):
            tries.append(argv)
            raise ShellGone("the page's shell did not start: 'bash: cannot set terminal process group'")

    monkeypatch.setattr(sandbox_module, "Shell", Shell)
    monkeypatch.setattr(sandbox_module, "docker_cli", lambda: "docker")
    box, _ = box_with([], monkeypatch)
    box._shell, box.reader, box.container.id = None, True, "c0ffee"  # type: ignore[union-attr]
    with pytest.raises(ShellGone):
        box.shell()
    assert len(tries) == 1
