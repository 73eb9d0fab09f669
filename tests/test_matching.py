"""Output matching: both kinds of `...`, colours, whitespace, and update mode."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.console import split_console
from harness.matching import diff, matches, normalize, updated


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


# -- update mode never weakens a page (issue 11, item 10) -------------------------------------

def test_update_corrects_a_wrong_literal_line_in_place_instead_of_feeding_it_to_a_wildcard():
    assert updated(["one", "TWO", "..."], ["one", "two", "three"]) == ["one", "two", "..."]


def test_update_lets_a_wildcard_absorb_only_the_lines_no_literal_line_can_take():
    assert updated(["...", "total: 3"], ["a", "b", "total: 4"]) == ["...", "total: 4"]
    assert updated(["head", "...", "TAIL"], ["head", "x", "y", "tail"]) == ["head", "...", "tail"]
    # a literal line with no counterpart left is dropped; an extra output line is added
    assert updated(["a", "gone", "b"], ["a", "b"]) == ["a", "b"]
    assert updated(["a", "b"], ["a", "new", "b"]) == ["a", "new", "b"]


LINE = st.text(alphabet="abc ", min_size=0, max_size=4).map(str.rstrip)
PATTERN = st.one_of(LINE, st.just("..."), st.sampled_from(["a...", "...b", "a...c"]))


@settings(max_examples=300, deadline=None)
@given(patterns=st.lists(PATTERN, max_size=7), lines=st.lists(LINE, max_size=7), loose=st.booleans())
def test_an_updated_page_matches_the_output_it_was_updated_from_and_keeps_every_wildcard(patterns, lines, loose):
    new = updated(patterns, lines, loose)
    assert matches(new, lines, loose)
    assert [p for p in new if p == "..."] == [p for p in patterns if p == "..."]
    if matches(patterns, lines, loose):
        assert new == patterns


@st.composite
def page_from_output(draw):
    """An output, and a page made from it: some runs of lines replaced by `...`, some lines changed."""
    lines = draw(st.lists(st.text(alphabet="abc", min_size=1, max_size=3), min_size=1, max_size=8))
    page, changed = [], []
    i = 0
    while i < len(lines):
        action = draw(st.sampled_from(["keep", "keep", "change", "wildcard"]))
        if action == "wildcard" and (not page or page[-1] != "..."):
            page.append("...")
            i += draw(st.integers(1, len(lines) - i))
            continue
        if action == "change":
            changed.append(len(page))
            page.append(lines[i].upper())  # a wrong literal line: matches no output line
        else:
            page.append(lines[i])
        i += 1
    return lines, page, changed


@settings(max_examples=300, deadline=None)
@given(page_from_output())
def test_update_never_weakens_a_page(case):
    lines, page, changed = case
    new = updated(page, lines)
    assert matches(new, lines)
    # same shape: no literal line dropped, every wildcard where it was, only the wrong lines corrected
    assert len(new) == len(page)
    for k, (old, now) in enumerate(zip(page, new, strict=False)):
        if k in changed:
            assert now in lines
        else:
            assert now == old


# -- what a terminal shows (items 9 and TABs) -----------------------------------------------

def test_tabs_compare_expanded_to_eight_columns_as_a_terminal_shows_them():
    actual = normalize("a.txt\tb.txt\nlonger-name.txt\tc\n")
    assert actual == ["a.txt\tb.txt", "longer-name.txt\tc"]
    assert matches(["a.txt   b.txt", "longer-name.txt c"], actual)
    assert not matches(["a.txt b.txt", "longer-name.txt c"], actual)
    # a page updated from it gets the spaces a reader copies from the terminal
    assert updated(["x"], actual) == ["a.txt   b.txt", "longer-name.txt c"]


def test_diffs_make_tabs_visible_and_keep_the_alignment():
    shown = diff(["a b", "z"], normalize("a\tb\ny"))
    assert "+a→      b" in shown
    assert "(→ marks a TAB)" in shown
    assert "\t" not in shown


# -- whitespace=loose (item 6) -------------------------------------------------------------

def test_loose_whitespace_ignores_runs_of_spaces_leading_spaces_and_blank_lines():
    actual = normalize("  name    size\n\n  data.csv   12 KB\n")
    assert not matches(["name size", "data.csv 12 KB"], actual)
    assert matches(["name size", "data.csv 12 KB"], actual, loose=True)
    assert matches(["name size", "", "", "data.csv ... KB"], actual, loose=True)
    assert not matches(["name size", "data.csv 13 KB"], actual, loose=True)
    assert not matches(["namesize", "data.csv 12 KB"], actual, loose=True)  # a space is still a space


def test_loose_update_keeps_the_pages_blank_lines_and_corrects_the_rest():
    assert updated(["name size", "", "data.csv 13 KB"], ["name   size", "data.csv 12 KB"], loose=True) == \
        ["name size", "", "data.csv 12 KB"]
