"""Console sessions as readers see them, and the conventions published lessons use.

Each page in tests/pages/sessions/ runs through the harness in its own pytest, as a
contributor would run it.
"""
import shutil
import time

import pytest
from pagerun import PAGES, run_pages

from harness.console import split_console
from harness.errors import PageError
from harness.options import NONZERO, parse_options, status_ok

SESSIONS = PAGES / "sessions"


def _clean(out):
    assert "Traceback" not in out.output and "INTERNALERROR" not in out.output, out.output


# -- pure parsing: no engine needed ------------------------------------------------------

def test_a_quoted_output_line_after_a_complete_command_is_output():
    cmds = split_console("$ echo hi\n> hi\n$ echo 'a\n> b'\na\nb\n", [1, 2, 3, 4, 5, 6], "p.md", 0)
    assert [(c.text, c.expected) for c in cmds] == [("echo hi", ["> hi"]), ("echo 'a\nb'", ["a", "b"])]


def test_an_incomplete_command_is_a_page_error_naming_its_line():
    with pytest.raises(PageError) as e:
        split_console('$ echo ok\nok\n$ echo "abc\ndef"\n', [3, 4, 5, 6], "p.md", 2)
    assert str(e.value).startswith("p.md:5: the command is incomplete: bash waits for more input")
    with pytest.raises(PageError, match=r"p\.md:1: the command is incomplete"):
        split_console("$ for f in *.txt; do\n", [1], "p.md", 0)


def test_another_prompt_lets_output_start_with_dollar():
    cmds = split_console("% cat notes\n$ ls\n> more\n% true\n", [1, 2, 3, 4], "p.md", 0, prompt="%")
    assert [(c.text, c.expected) for c in cmds] == [("cat notes", ["$ ls", "> more"]), ("true", [])]


def test_exit_nonzero_accepts_any_failing_status_only():
    assert parse_options("exit=nonzero", "p.md", 1) == {"exit": NONZERO}
    assert [status_ok(NONZERO, s) for s in (0, 1, 2, 128, 255, None)] == [False, True, True, True, True, False]
    with pytest.raises(PageError, match="or `nonzero`"):
        parse_options("exit=failing", "p.md", 1)


# -- pages run through the harness ---------------------------------------------------------

PASSING = [
    ("quoted-output.md", "1 passed"),
    ("skipped-illustration.md", "1 passed, 1 skipped"),
    ("history.md", "4 passed"),
    ("carpentries-pair.md", "4 passed"),
    ("prompt-option.md", "1 passed"),
    ("file-saved-by-the-shell.md", "8 passed"),
]


@pytest.mark.docker
@pytest.mark.parametrize("page, summary", PASSING, ids=[p for p, _ in PASSING])
def test_pages_a_reader_would_accept_pass(page, summary, tmp_path):
    out = run_pages(SESSIONS / page, tmp_path=tmp_path)
    _clean(out)
    assert out.code == 0, out.output
    assert summary in out.output, out.output


FAILING = [
    ("incomplete-command.md", 4, ["the command is incomplete: bash waits for more input after line 4",
                                  "starts with `> `"]),
    ("carpentries-wrong-output.md", 7, ["output differs from the ```output fence", "-wrong", "+right"]),
    ("carpentries-error-but-succeeds.md", 4, ["unexpected exit status", "exit status: 0 (expected nonzero)"]),
    ("exit-nonzero.md", 10, ["unexpected exit status", "$ true", "exit status: 0 (expected nonzero)"]),
]


@pytest.mark.docker
@pytest.mark.parametrize("page, line, phrases", FAILING, ids=[p for p, _, _ in FAILING])
def test_broken_sessions_fail_with_page_and_line(page, line, phrases, tmp_path):
    began = time.monotonic()
    out = run_pages(SESSIONS / page, tmp_path=tmp_path)
    _clean(out)
    assert out.code == 1, out.output
    assert f"tests/pages/sessions/{page}:{line}: " in out.output, out.output
    for phrase in phrases:
        assert phrase in out.output, f"{phrase!r} missing from:\n{out.output}"
    assert "1 failed" in out.output and "timed out" not in out.output, out.output
    if page == "incomplete-command.md":
        assert time.monotonic() - began < 55, "waited out the block's 60 s timeout"


@pytest.mark.docker
def test_update_mode_rewrites_the_output_fence(tmp_path):
    page = tmp_path / "pair.md"
    shutil.copy(SESSIONS / "carpentries-wrong-output.md", page)
    out = run_pages(page, tmp_path=tmp_path, extra=["--update-examples"])
    _clean(out)
    assert page.read_text() == (SESSIONS / "carpentries-wrong-output.md").read_text().replace(
        "```output\nwrong\n```", "```output\nright\n```")
    assert run_pages(page, tmp_path=tmp_path).code == 0
