"""Compare what a command printed with what the page says it prints.

Trailing whitespace and ANSI colour codes are ignored. A line that is only
`...` stands for any number of lines; `...` inside a line stands for any
text on that line. The same alignment that decides a match also drives
update mode, so that rewriting a page keeps the wildcards that still fit.
"""
from __future__ import annotations

import difflib
import re
from functools import lru_cache

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[()][A-Z0-9]")
ELLIPSIS = "..."


ERASE_LINE = re.compile(r"\x1b\[0?K")


def _as_shown(line: str) -> str:
    """What a terminal shows for a line drawn with \r, backspace and erase-to-end-of-line."""
    if "\r" not in line and "\b" not in line and "\x1b[" not in line:
        return line
    shown: list[str] = []
    col = 0
    i = 0
    while i < len(line):
        erase = ERASE_LINE.match(line, i)
        if erase:
            del shown[col:]
            i = erase.end()
            continue
        ansi = ANSI.match(line, i)
        if ansi:
            i = ansi.end()
            continue
        ch = line[i]
        if ch == "\r":
            col = 0
        elif ch == "\b":
            col = max(0, col - 1)
        elif col < len(shown):
            shown[col] = ch
            col += 1
        else:
            shown.append(ch)
            col += 1
        i += 1
    return "".join(shown)


def normalize(text: str) -> list[str]:
    lines = [_as_shown(l).rstrip() for l in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def normalize_expected(lines: list[str]) -> list[str]:
    out = [l.rstrip() for l in lines]
    while out and not out[-1]:
        out.pop()
    return out


@lru_cache(maxsize=4096)
def _line_regex(pattern: str) -> re.Pattern:
    return re.compile(".*".join(re.escape(p) for p in pattern.split(ELLIPSIS)), re.S)


def line_matches(pattern: str, line: str) -> bool:
    if ELLIPSIS not in pattern:
        return pattern == line
    return _line_regex(pattern).fullmatch(line) is not None


def is_wildcard_line(pattern: str) -> bool:
    return pattern.strip() == ELLIPSIS


def matches(patterns: list[str], lines: list[str]) -> bool:
    """True when the expected lines (with wildcards) match the actual lines."""
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


def updated(patterns: list[str], lines: list[str]) -> list[str]:
    """New expected lines: the actual output, keeping every pattern line that still fits.

    A longest-common-subsequence alignment in which a pattern line pairs with
    an actual line it matches and a `...` line swallows any run of lines.
    """
    if matches(patterns, lines):
        return list(patterns)
    m, n = len(patterns), len(lines)
    best = [[0] * (n + 1) for _ in range(m + 1)]  # pattern lines kept aligning patterns[i:] with lines[j:]
    reach = [[0] * (n + 1) for _ in range(m + 1)]  # reach[i][j] = max(best[i][k] for k >= j)
    for i in range(m - 1, -1, -1):
        for j in range(n, -1, -1):
            if is_wildcard_line(patterns[i]):
                score = max(best[i + 1][j], 1 + reach[i + 1][j])
            else:
                score = best[i + 1][j]
                if j < n:
                    score = max(score, best[i][j + 1])
                    if line_matches(patterns[i], lines[j]):
                        score = max(score, 1 + best[i + 1][j + 1])
            best[i][j] = score
            reach[i][j] = max(score, reach[i][j + 1] if j < n else 0)
    for j in range(n, -1, -1):
        reach[m][j] = 0
    out, i, j = [], 0, 0
    while i < m:
        if is_wildcard_line(patterns[i]) and best[i][j] == 1 + reach[i + 1][j]:
            out.append(patterns[i])
            # swallow as many lines as still leave the later patterns their matches,
            # but leave as many trailing lines as the page had literal lines after it
            target = reach[i + 1][j]
            if target:
                j = max(k for k in range(j, n + 1) if best[i + 1][k] == target)
            else:
                j = max(j, n - sum(not is_wildcard_line(p) for p in patterns[i + 1:]))
        elif j < n and not is_wildcard_line(patterns[i]) and line_matches(patterns[i], lines[j]) \
                and best[i][j] == 1 + best[i + 1][j + 1]:
            out.append(patterns[i])
            j += 1
        elif best[i][j] == best[i + 1][j]:
            pass  # this pattern line no longer fits: drop it
        else:
            out.append(lines[j])
            j += 1
            continue
        i += 1
    out.extend(lines[j:])
    return out


def diff(patterns: list[str], lines: list[str]) -> str:
    return "\n".join(
        difflib.unified_diff(patterns, lines, "expected (page)", "actual (sandbox)", lineterm="", n=3)
    )
