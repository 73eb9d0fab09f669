"""Conventions of published lessons, and verdicts a reader can trust (issue 11), on real pages."""
import pytest
from pagerun import PAGES, run_pages

from harness.console import split_console
from harness.errors import PageError


@pytest.mark.docker
def test_makefile_before_its_data_tabs_and_loose_whitespace_pass(tmp_path):
    out = run_pages(PAGES / "conventions-pass.md", tmp_path=tmp_path)
    assert out.code == 0, out.output
    assert "5 passed" in out.output, out.output


@pytest.mark.docker
def test_a_makefile_target_is_dry_run_before_the_page_first_runs_make(tmp_path):
    out = run_pages(PAGES / "makefile-missing-source.md", tmp_path=tmp_path)
    assert out.code == 1, out.output
    assert ("tests/pages/makefile-missing-source.md:3: Makefile check failed for target out.txt "
            "(before the page first runs make, at line 11)") in out.output, out.output
    assert "No rule to make target 'in.txt'" in out.output


@pytest.mark.docker
def test_a_makefile_the_page_never_runs_is_dry_run_at_the_end_of_the_page(tmp_path):
    out = run_pages(PAGES / "makefile-never-made.md", tmp_path=tmp_path)
    assert out.code == 1, out.output
    assert ("tests/pages/makefile-never-made.md:3: Makefile check failed for target report.txt "
            "(at the end of the page, which never runs make)") in out.output, out.output


@pytest.mark.docker
def test_exit_statuses_earlier_failures_diffs_and_terminal_output(tmp_path):
    out = run_pages(PAGES / "exit-status-meaning.md", tmp_path=tmp_path)
    assert out.code == 1, out.output
    text = out.output
    first, kill, wrong, drawn = (text.split(f"tests/pages/exit-status-meaning.md:{n}: ")[1].split("___")[0]
                                 for n in (4, 8, 12, 17))
    # a program's own status above 128 is not blamed on a signal; a real signal still says so
    assert "exit status: 129 (expected 0)" in first and "signal" not in first, first
    assert "exit status: 137 (128+9: probably killed by signal 9, SIGKILL" in kill, kill
    # every failure after the first points at it
    assert "earlier block" not in first
    for later in (kill, wrong, drawn):
        assert "an earlier block on this page failed, at line 3" in later, later
    # a wrong exit status comes with the output diff
    assert "exit status: 3 (expected 0)" in wrong and "-missing\n    +found" in wrong, wrong
    # what the terminal showed, not the bytes that drew it
    shown = drawn.split("output differs:")[1]
    assert "-built!\n    +built" in shown and "step" not in shown and "\x1b" not in shown, drawn
    assert "4 failed" in text


@pytest.mark.docker
def test_a_failed_setup_block_stops_the_page(tmp_path):
    out = run_pages(PAGES / "setup-fails.md", tmp_path=tmp_path)
    assert out.code == 1, out.output
    assert "this setup block failed, so the page stops here" in out.output, out.output
    assert "tests/pages/setup-fails.md:9: not run: the setup block at line 4 failed" in out.output, out.output


# -- verdicts on published lessons' own habits (tests/pages/lessons/) ----------------------

LESSONS = PAGES / "lessons"


@pytest.mark.docker
def test_typed_commands_without_an_output_fence_run_as_commands(tmp_path):
    # a bash fence of `$ ` commands with no output fence after it used to run as a script,
    # so every `$` was "command not found", and a `cd` in it never moved the page's shell
    out = run_pages(LESSONS / "prompted-no-output.md", tmp_path=tmp_path)
    assert out.code == 0, out.output
    assert "4 passed" in out.output, out.output
    assert "command not found" not in out.output, out.output


@pytest.mark.docker
def test_a_failing_typed_command_without_an_output_fence_is_named(tmp_path):
    out = run_pages(LESSONS / "prompted-no-output-fails.md", tmp_path=tmp_path)
    assert out.code == 1, out.output
    text = out.output
    assert "tests/pages/lessons/prompted-no-output-fails.md:5: unexpected exit status" in text, text
    assert "$ cd no-such-place" in text and "exit status: 1 (expected 0)" in text, text
    assert "$: command not found" not in text, text


@pytest.mark.docker
def test_output_shown_among_typed_commands_is_compared(tmp_path):
    out = run_pages(LESSONS / "prompted-no-output-wrong.md", tmp_path=tmp_path)
    assert out.code == 1, out.output
    text = out.output
    assert "tests/pages/lessons/prompted-no-output-wrong.md:5: output differs from the page" in text, text
    assert "-rose" in text and "+tulip" in text, text


@pytest.mark.docker
def test_a_wrapped_line_in_a_bash_fence_continues_the_command_as_pasted(tmp_path):
    # a reader pastes a bash fence: bash takes a line without `> ` as the rest of an open
    # command; the page used to be one error ("the command is incomplete"), none of it run
    out = run_pages(LESSONS / "pasted-wrapped-line.md", tmp_path=tmp_path)
    assert out.code == 0, out.output
    assert "2 passed" in out.output, out.output


def test_a_wrapped_line_still_needs_its_angle_in_a_console_block():
    with pytest.raises(PageError, match=r"p\.md:1: the command is incomplete"):
        split_console("$ for n in 1 2; do echo $n;\ndone\n", [1, 2], "p.md", 0)
    cmds = split_console("$ for n in 1 2; do echo $n;\ndone\n1\n2\n", [1, 2, 3, 4], "p.md", 0, pasted=True)
    assert [(c.text, c.expected) for c in cmds] == [("for n in 1 2; do echo $n;\ndone", ["1", "2"])]


@pytest.mark.docker
def test_a_prompt_before_an_open_command_ends_is_still_incomplete(tmp_path):
    out = run_pages(LESSONS / "pasted-unfinished.md", tmp_path=tmp_path)
    assert out.code == 1, out.output
    assert ("tests/pages/lessons/pasted-unfinished.md:4: the command is incomplete: "
            "bash waits for more input after line 4") in out.output, out.output


@pytest.mark.docker
def test_a_bash_fence_with_only_a_prompt_says_so(tmp_path):
    # it used to run `$` as a script and fail with "bash: $: command not found"
    out = run_pages(LESSONS / "lone-prompt.md", tmp_path=tmp_path)
    assert out.code == 1, out.output
    text = out.output
    assert ("tests/pages/lessons/lone-prompt.md:5: the block shows only a prompt (`$`), "
            "no command to run") in text, text
    assert 'skip="' in text and "command not found" not in text, text
