"""Pages that must FAIL: a harness that passes a broken page is the worst bug here."""
import pytest
from pagerun import PAGES, run_pages

pytestmark = pytest.mark.docker

CASES = [
    ("wrong-output.md", 4, ["output differs from the page", "-the wrong answer", "+the right answer"]),
    ("makefile-spaces.md", 3, ["Makefile does not parse", "missing separator"]),
    ("dockerfile-broken.md", 3, ["Dockerfile does not build", "this-command-does-not-exist"]),
    ("nonzero-exit.md", 6, ["unexpected exit status", "$ cat no-such-file", "exit status: 1 (expected 0)",
                            "No such file or directory"]),
    ("timeout.md", 5, ["timed out", "$ sleep 30"]),
    ("page-timeout.md", 6, ["timed out", "$ sleep 30"]),
    ("duplicate-file.md", 7, ["/home/reader/notes.txt was already written with other content at line 3",
                              "mark this block `rewrite`"]),
    ("python-print.md", 6, ["printed output differs", "-11", "+10"]),
]


@pytest.mark.parametrize("page, line, phrases", CASES, ids=[c[0] for c in CASES])
def test_broken_page_fails_with_page_line_and_diff(page, line, phrases, tmp_path):
    out = run_pages(PAGES / page, tmp_path=tmp_path)
    assert out.code == 1, out.output
    assert f"tests/pages/{page}:{line}: " in out.output, out.output
    for phrase in phrases:
        assert phrase in out.output, f"{phrase!r} missing from:\n{out.output}"
    assert "1 failed" in out.output


def test_a_good_page_passes(tmp_path):
    out = run_pages(PAGES / "all-pass.md", tmp_path=tmp_path)
    assert out.code == 0, out.output
    assert "1 passed" in out.output


BAD_INPUT = [
    ("not-utf8.md", 3, "page is not UTF-8"),
    ("unknown-option.md", 3, "unknown option 'netwrok'"),
    ("bad-value.md", 3, "bad value 'soon' for option 'timeout'"),
    ("unterminated.md", 3, "unterminated code fence"),
    ("empty-prompt.md", 6, "prompt `$` without a command"),
    ("no-command.md", 4, "comes before the first `$ ` command"),
    ("escaping-title.md", 3, "file title '../../etc/evil.py' escapes the working directory"),
    ("missing-image.md", 4, "image 'handbook-no-such-image:0' does not exist"),
]


@pytest.mark.parametrize("page, line, phrase", BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_input_is_an_error_naming_page_and_line(page, line, phrase, tmp_path):
    out = run_pages(PAGES / "bad" / page, tmp_path=tmp_path)
    assert out.code == 1, out.output
    assert f"tests/pages/bad/{page}:{line}: " in out.output, out.output
    assert phrase in out.output, out.output
    assert "Traceback" not in out.output and "INTERNALERROR" not in out.output



def test_the_terminal_is_80_columns_wide(tmp_path):
    """A reader's terminal: `stty size` says 50 80, and `ls` lays out its columns in 80."""
    out = run_pages(PAGES / "terminal-80.md", tmp_path=tmp_path)
    assert out.code == 0, out.output
    assert "2 passed" in out.output


def test_a_pages_data_files_are_in_its_working_directory(tmp_path):
    """`files=` copies files beside the page into the sandbox, byte for byte (a lesson's zip)."""
    out = run_pages(PAGES / "data-files" / "page.md", tmp_path=tmp_path)
    assert out.code == 0, out.output
    assert "1 passed" in out.output


def test_a_page_may_ask_for_more_disk(tmp_path):
    """`<!-- test-page: disk=8g -->` raises the page's disk bound (default 4 GiB)."""
    out = run_pages(PAGES / "disk-option.md", tmp_path=tmp_path)
    assert out.code == 0, out.output
    assert "1 passed" in out.output
