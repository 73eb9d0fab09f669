"""Compare what a command printed with what the page says it prints.

The output is first drawn as a terminal would show it (terminal.py: colours,
cursor movement, carriage returns), and trailing whitespace is ignored. TABs
are compared expanded to 8-column stops, as the reader sees them. A line that
is only `...` stands for any number of lines; `...` inside a line stands for
any text on that line. With `loose` (the `whitespace=loose` option) runs of
spaces count as one space, leading spaces and blank lines are ignored.

The same alignment that decides a match also drives update mode, so that
rewriting a page corrects its literal lines in place and keeps its wildcards.
"""
from __future__ import annotations

import difflib

from .terminal import expand, render, show_tabs

ELLIPSIS = "..."


def normalize(text: str) -> list[str]:
    """The lines a terminal shows for a command's output, without trailing whitespace or blank lines."""
    lines = [line.rstrip() for line in render(text.replace("\r\n", "\n"))]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def normalize_expected(lines: list[str]) -> list[str]:
    out = [line.rstrip() for line in lines]
    while out and not out[-1]:
        out.pop()
    return out


def _key(line: str, loose: bool) -> str:
    """What a line is compared as."""
    line = expand(line)
    return " ".join(line.split()) if loose else line


def _keys(lines: list[str], loose: bool) -> tuple[list[str], list[int]]:
    """Comparison keys, and the index of the line each came from (loose drops blank lines)."""
    keys, where = [], []
    for i, line in enumerate(lines):
        key = _key(line, loose)
        if loose and not key:
            continue
        keys.append(key)
        where.append(i)
    return keys, where


def line_matches(pattern: str, line: str) -> bool:
    """Whether `line` is `pattern`, each `...` in it standing for any text.

    Each piece between two `...` is found at its leftmost place after the one
    before, which is where any match could put it, so a line is read once. A
    regular expression of `.*`s backtracks instead: for a pattern with a few
    `...` against a long line that does not match, the DP below tries every
    pair of lines, and that backtracking was most of some pages' harness time.
    """
    if ELLIPSIS not in pattern:
        return pattern == line
    first, *middle, last = pattern.split(ELLIPSIS)
    end = len(line) - len(last)
    if end < len(first) or not line.startswith(first) or not line.endswith(last):
        return False
    at = len(first)
    for piece in middle:
        found = line.find(piece, at, end)
        if found < 0:
            return False
        at = found + len(piece)
    return True


def is_wildcard_line(pattern: str) -> bool:
    return pattern.strip() == ELLIPSIS


def matches(patterns: list[str], lines: list[str], loose: bool = False) -> bool:
    """True when the expected lines (with wildcards) match the actual lines."""
    return _matches(_keys(patterns, loose)[0], _keys(lines, loose)[0])


def _matches(patterns: list[str], lines: list[str]) -> bool:
    m, n = len(patterns), len(lines)
    # ok[j] after processing pattern i: can patterns[i:] match lines[j:]
    ok = [False] * (n + 1)
    ok[n] = True
    for i in range(m - 1, -1, -1):
        new = [False] * (n + 1)
        if is_wildcard_line(patterns[i]):
            new[n] = ok[n]
            for j in range(n - 1, -1, -1):
                new[j] = ok[j] or new[j + 1]
        else:
            for j in range(n - 1, -1, -1):
                new[j] = ok[j + 1] and line_matches(patterns[i], lines[j])
        ok = new
    return ok[0]


def updated(patterns: list[str], lines: list[str], loose: bool = False) -> list[str]:
    """New expected lines that match `lines`, and check as much as `patterns` did.

    An edit-distance alignment: a literal pattern line that matches an actual
    line is kept; one that no longer matches is corrected in place (replaced
    by the actual line it stands against) rather than dropped; a `...` line
    is always kept, and absorbs only the lines that no literal line can take.
    Costs are (edits, lines absorbed by a `...`), compared in that order, so a
    wildcard never swallows a line that a literal line could be corrected to.
    Lines written into the page have their TABs expanded, as a reader copies them.
    """
    if matches(patterns, lines, loose):
        return list(patterns)
    keys_p, where_p = _keys(patterns, loose)
    keys_l, where_l = _keys(lines, loose)
    m, n = len(keys_p), len(keys_l)
    edit = n + 1  # one edit costs more than any number of absorbed lines
    # cost[i][j]: the cheapest alignment of keys_p[i:] with keys_l[j:]
    cost = [[0] * (n + 1) for _ in range(m + 1)]
    for j in range(n + 1):
        cost[m][j] = (n - j) * edit  # the output's extra lines are added to the page
    for i in range(m - 1, -1, -1):
        row, below = cost[i], cost[i + 1]
        wild = is_wildcard_line(keys_p[i])
        row[n] = below[n] + (0 if wild else edit)
        for j in range(n - 1, -1, -1):
            if wild:
                row[j] = min(below[j], row[j + 1] + 1)
            else:
                same = line_matches(keys_p[i], keys_l[j])
                row[j] = min(below[j + 1] + (0 if same else edit), below[j] + edit, row[j + 1] + edit)
    out: list[str] = []
    i = j = 0
    shown = 0  # original pattern lines handled so far (loose mode skips blank ones: they stay)

    def keep_skipped(upto: int) -> None:
        nonlocal shown
        out.extend(patterns[shown:upto])
        shown = upto

    def actual(k: int) -> str:
        return expand(lines[where_l[k]]).rstrip()

    while i < m:
        keep_skipped(where_p[i])
        here = cost[i][j]
        if is_wildcard_line(keys_p[i]):
            if j < n and here == cost[i][j + 1] + 1:
                j += 1  # absorbed
                continue
            out.append(patterns[where_p[i]])
        elif j < n and here == cost[i + 1][j + 1] and line_matches(keys_p[i], keys_l[j]):
            out.append(patterns[where_p[i]])
            j += 1
        elif j < n and here == cost[i + 1][j + 1] + edit:
            out.append(actual(j))  # corrected in place
            j += 1
        elif j < n and here == cost[i][j + 1] + edit:
            out.append(actual(j))  # a new line before this pattern line
            j += 1
            continue
        # else: the pattern line has no counterpart left in the output: dropped
        shown = where_p[i] + 1
        i += 1
    keep_skipped(len(patterns))
    out.extend(actual(k) for k in range(j, n))
    return out


def diff(patterns: list[str], lines: list[str], loose: bool = False) -> str:
    """A unified diff of expected against actual, with TABs shown as `→`."""
    keys_p, where_p = _keys(patterns, loose)
    keys_l, where_l = _keys(lines, loose)
    out = ["--- expected (page)", "+++ actual (sandbox)"]
    matcher = difflib.SequenceMatcher(None, keys_p, keys_l, autojunk=False)
    for group in matcher.get_grouped_opcodes(3):
        a0, a1, b0, b1 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        out.append(f"@@ -{_span(a0, a1)} +{_span(b0, b1)} @@")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out.extend(" " + show_tabs(lines[where_l[k]]) for k in range(j1, j2))
                continue
            out.extend("-" + show_tabs(patterns[where_p[k]]) for k in range(i1, i2))
            out.extend("+" + show_tabs(lines[where_l[k]]) for k in range(j1, j2))
    if any("\t" in line for line in patterns + lines) and len(out) > 2:
        out.append("(→ marks a TAB)")
    return "\n".join(out) if len(out) > 2 else ""


def _span(start: int, stop: int) -> str:
    """A hunk range as unified diffs write it: first line (1-based) and count."""
    count = stop - start
    if count == 1:
        return str(start + 1)
    return f"{start + 1 if count else start},{count}"
