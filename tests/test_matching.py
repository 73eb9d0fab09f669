"""Output matching: both kinds of `...`, colours, whitespace, and update mode."""
import pytest

from harness.console import split_console
from harness.matching import matches, normalize, updated


@pytest.mark.parametrize("patterns, lines, ok", [
    (["a", "...", "z"], ["a", "b", "c", "z"], True),
    (["a", "...", "z"], ["a", "z"], True),
    (["a", "...", "z"], ["a", "b"], False),
    (["size: ... MB"], ["size: 12.5 MB"], True),
    (["size: ... MB"], ["size: 12.5 GB"], False),
    (["...x...y"], ["1x2y"], True),
    (["..."], [], True),
    ([], ["unexpected"], False),
    (["a"], ["a", "b"], False),
    (["a.b"], ["axb"], False),  # patterns are literal apart from `...`
])
def test_wildcards(patterns, lines, ok):
    assert matches(patterns, lines) is ok


def test_colours_trailing_space_and_carriage_returns_are_ignored():
    assert normalize("\x1b[1;31mError\x1b[0m   \r\n 10%\r100%\n\n") == ["Error", "100%"]


def test_update_keeps_wildcards_that_still_match():
    assert updated(["Hello ...", "...", "done"], ["Hello world", "x", "y", "finished"]) == \
        ["Hello ...", "...", "finished"]
    assert updated(["a", "b"], ["a", "c", "b"]) == ["a", "c", "b"]
    assert updated(["same"], ["same"]) == ["same"]


def test_console_commands_continuations_and_venv_prompts():
    body = "$ echo one \\\n> two\none two\n(.venv) $ python3 -V\nPython 3.11.2\n"
    cmds = split_console(body, list(range(10, 15)), "p.md", 9)
    assert [(c.text, c.expected, c.line) for c in cmds] == [
        ("echo one \\\ntwo", ["one two"], 10),
        ("python3 -V", ["Python 3.11.2"], 13),
    ]
