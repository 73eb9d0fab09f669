"""The page's shell, driven on the host's own bash: no container needed.

The shell must always know whose output it holds: a command that bash would
still wait on is noticed at once (not at the timeout), and the shell goes on
in step. Its history holds the page's commands only.
"""
import shutil
import signal

import pytest

from harness.shell import Shell

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="the page's shell is bash; none on this host")


def reader_bash(home) -> list[str]:
    # a reader's bash with its own empty history file, never the host user's
    return ["env", "-i", f"HOME={home}", f"HISTFILE={home}/history", "TERM=dumb", "PATH=/usr/bin:/bin",
            "bash", "--norc", "--noprofile", "--noediting", "-i"]


@pytest.fixture
def shell(tmp_path):
    sh = Shell(reader_bash(tmp_path))
    yield sh
    sh.close()


def test_an_incomplete_command_is_noticed_at_once_and_the_shell_stays_in_step(shell):
    result = shell.run('echo "abc', timeout=90)
    assert result.incomplete and not result.timed_out and not result.gone, result
    assert result.seconds < 60, "waited for the timeout instead of noticing bash's continuation prompt"
    after = shell.run("echo next", timeout=30, typed=True)
    assert (after.output, after.status) == ("next\n", 0)


def test_a_page_that_sets_its_own_continuation_prompt_cannot_hide_an_incomplete_command(shell):
    shell.run("PS2='more> '", timeout=30, typed=True)
    result = shell.run("echo 'abc", timeout=90)
    assert result.incomplete and result.seconds < 60, result


def test_continuation_prompts_are_not_output(shell):
    result = shell.run('for i in 1 2; do\n  echo "$i"\ndone', timeout=30, typed=True)
    assert (result.output, result.status, result.incomplete) == ("1\n2\n", 0, False)
    here = shell.run("cat <<EOF\n> quoted\nEOF", timeout=30, typed=True)
    assert (here.output, here.status) == ("> quoted\n", 0)


def test_history_holds_only_the_commands_a_page_typed(shell):
    shell.run("echo one", timeout=30, typed=True)
    shell.query("pwd")
    shell.run("true", timeout=30)  # the harness's own, like `make -n` checks and bash blocks
    shell.run("echo two", timeout=30, typed=True)
    listed = shell.run("history", timeout=30, typed=True).output.split("\n")
    assert [line.split(None, 1)[1] for line in listed if line.strip()] == ["echo one", "echo two", "history"]


def test_lines_bash_does_not_ask_for_are_never_sent(shell):
    # the plan decides continuation with bash; should the page's shell disagree, it stays in step
    result = shell.run("echo a\necho b", timeout=30, typed=True)
    assert (result.output, result.status, result.unsent) == ("a\n", 0, 1)
    after = shell.run("echo c", timeout=30, typed=True)
    assert (after.output, after.status, after.unsent) == ("c\n", 0, 0)


def test_a_shell_started_from_a_harness_thread_takes_stop_signals(tmp_path):
    # Pages' shells are started ahead in the harness's threads, which block SIGINT and SIGTERM;
    # the process behind the shell (the docker CLI in a run) must not inherit that mask.
    from harness.interrupts import background

    started: list[Shell] = []
    thread = background(lambda: started.append(Shell(reader_bash(tmp_path))), "shell-ahead")
    thread.join(30)
    sh = started[0]
    try:
        with open(f"/proc/{sh.child.pid}/status") as status:
            blocked = next(line.split()[1] for line in status if line.startswith("SigBlk:"))
        stops = (1 << (signal.SIGINT - 1)) | (1 << (signal.SIGTERM - 1))
        assert int(blocked, 16) & stops == 0, f"SigBlk {blocked}"
    finally:
        sh.close()
