"""Properties of the output matcher (harness/matching.py), over generated pages and outputs.

The example-based tests in test_matching.py pin down behaviour case by case;
these say what must hold for any page and any output, in both whitespace
modes: update mode always produces a page that passes, a page passes against
its own text, and normalising output twice changes nothing. No Docker.
"""
from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from harness.matching import is_wildcard_line, matches, normalize, normalize_expected, updated

# Letters, spaces, TABs and dots, so that `...` appears inside lines as well as alone, and
# spacing differs in the ways loose mode forgives (runs, leading spaces, TABs).
CHARS = st.sampled_from(list("ab .\tZé"))
RAW_LINE = st.text(CHARS, max_size=8)
# What the page says: literal lines, wildcard lines (also indented), lines with inline `...`.
PAGE_LINE = st.one_of(RAW_LINE, st.sampled_from(["...", "  ...", "a...", "...b", "a ... b", "....", ""]))
# What a command prints, before the terminal draws it: colours, carriage returns, backspaces.
NOISE = st.sampled_from(["\x1b[31m", "\x1b[0m", "\r", "\b", "\r\n", "   ", "\t"])
RAW_OUTPUT = st.lists(st.one_of(RAW_LINE, NOISE, st.just("\n")), max_size=24).map("".join)

MODES = st.booleans()  # loose


def page(lines: list[str]) -> list[str]:
    return normalize_expected(lines)  # as the harness reads a block's expected lines


PROFILE = settings(max_examples=400, deadline=None)


@PROFILE
@given(expected=st.lists(PAGE_LINE, max_size=8), output=RAW_OUTPUT, loose=MODES)
@example(expected=["..."], output="", loose=False)
@example(expected=["a", "", "b"], output="a\n\n\nb\n", loose=True)
def test_a_page_updated_from_an_output_matches_that_output(expected, output, loose):
    actual = normalize(output)
    new = updated(page(expected), actual, loose)
    assert matches(new, actual, loose), (new, actual)


@PROFILE
@given(expected=st.lists(PAGE_LINE, max_size=8), output=RAW_OUTPUT, loose=MODES)
@example(expected=[], output="...", loose=False)
def test_update_keeps_every_wildcard_line_and_changes_nothing_that_passes(expected, output, loose):
    actual = normalize(output)
    before = page(expected)
    new = updated(before, actual, loose)
    kept = iter(p for p in new if is_wildcard_line(p))
    assert all(any(w == k for k in kept) for w in before if is_wildcard_line(w))  # in order
    # An output line that is itself `...` is copied in as it is, and then reads as a wildcard:
    # the page syntax has no way to write a literal `...` line. Nothing else adds one.
    added = sum(map(is_wildcard_line, new)) - sum(map(is_wildcard_line, before))
    assert added <= sum(map(is_wildcard_line, actual))
    if matches(before, actual, loose):
        assert new == before


@PROFILE
@given(expected=st.lists(PAGE_LINE, max_size=8), output=RAW_OUTPUT, loose=MODES)
def test_updating_twice_is_updating_once(expected, output, loose):
    actual = normalize(output)
    once = updated(page(expected), actual, loose)
    assert updated(once, actual, loose) == once


@PROFILE
@given(output=RAW_OUTPUT, loose=MODES)
def test_an_output_pasted_into_the_page_matches_itself(output, loose):
    lines = normalize(output)
    assert matches(lines, lines, loose)


@PROFILE
@given(lines=st.lists(PAGE_LINE, max_size=8), loose=MODES)
def test_a_page_matches_its_own_lines(lines, loose):
    # `...` in the page's text stands for itself too, so a page is always one of its own outputs
    assert matches(page(lines), page(lines), loose)


@PROFILE
@given(output=RAW_OUTPUT)
def test_normalising_is_idempotent(output):
    once = normalize(output)
    assert normalize("\n".join(once)) == once
    assert normalize_expected(once) == once


def _as_regex(pattern: str, line: str) -> bool:
    """The definition: each `...` is any text (what a regular expression of `.*`s says)."""
    import re

    return re.fullmatch(".*".join(re.escape(p) for p in pattern.split("...")), line, re.S) is not None


@PROFILE
@given(pattern=st.lists(st.sampled_from(["a", "b", ".", "..."]), max_size=6).map("".join),
       line=st.text(st.sampled_from(list("ab.")), max_size=10))
@example(pattern="a...a", line="a")  # the two ends must not share the one character
@example(pattern="ab...ba", line="aba")
@example(pattern="....", line=".")
@example(pattern="...b...b", line="b")  # a middle piece may not use the end's characters
@example(pattern="a...b...a", line="aba")
def test_one_line_matches_as_its_definition_says(pattern, line):
    from harness.matching import line_matches

    assert line_matches(pattern, line) == _as_regex(pattern, line)
