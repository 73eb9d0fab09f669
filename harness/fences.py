"""Parse a handbook page into the blocks the harness runs.

Sybil's stock CodeBlockParser skips fences that carry attributes such as
`title="app.py"`, and those are exactly the fences that MkDocs Material
renders best, so this parser reads the raw info string itself. It knows the
Markdown that pages use: backtick and tilde fences, fences indented inside
admonitions, content tabs and list items, longer fences around shorter ones,
option comments before a fence, and hidden blocks inside a comment.
"""
from __future__ import annotations

import itertools
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .errors import PageError
from .options import parse_options

OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
COMMENT = re.compile(r"<!--\s*test:(?P<body>.*?)-->", re.S)
SNIPPET = re.compile(r"""^\s*-+8<-+\s+(["'])(?P<path>[^"']+)\1\s*$""")

CONSOLE = {"console"}
SCRIPT = {"bash", "sh", "shell"}
PYTHON = {"python", "py", "python3"}
MUST_BE_FILES = {"dockerfile", "makefile", "make"}
# A script fence right before one of these is a session, and this fence its combined output
# (the Carpentries Workbench's convention); `error` also says that the script fails.
OUTPUTS = {"output", "error"}


@dataclass
class Block:
    """One fenced block, with what the page says about it."""

    kind: str  # console | bash | python | file | display
    lang: str
    attrs: dict
    options: dict
    body: str  # content with the fence's indentation removed and snippets expanded
    line: int  # 1-based line of the opening fence
    start: int  # offset where the block's text (comment included) starts
    end: int  # offset just after the closing fence
    indent: str
    body_lines: list[int] = field(default_factory=list)  # page line of each body line; 0 if from a snippet
    hidden: bool = False
    output: Block | None = None  # a bash block's ```output or ```error fence (the Carpentries pair)

    @property
    def title(self) -> str | None:
        return self.attrs.get("title")


def parse_info(info: str, path: str, line: int) -> tuple[str, dict]:
    """`python title="a.py"` or `{ .python title="a.py" }` -> ("python", {...})."""
    info = info.strip()
    if info.startswith("{") and info.endswith("}"):
        info = info[1:-1].strip()
    try:
        words = shlex.split(info)
    except ValueError as e:
        raise PageError(path, line, f"cannot read the fence's info string {info!r}: {e}") from None
    lang, attrs = "", {}
    for i, word in enumerate(words):
        key, eq, value = word.partition("=")
        if eq:
            attrs[key] = value
        elif word.startswith("."):
            lang = lang or word[1:]
        elif word.startswith("#"):
            attrs["id"] = word[1:]
        elif i == 0:
            lang = word
        else:
            raise PageError(path, line, f"unexpected word {word!r} in the fence's info string")
    return lang.lower(), attrs


def _line_offsets(text: str) -> list[int]:
    offsets = [0]
    for m in re.finditer("\n", text):
        offsets.append(m.end())
    return offsets


def _dedent(line: str, width: int) -> str:
    i = 0
    while i < width and i < len(line) and line[i] == " ":
        i += 1
    return line[i:]


def _expand_snippets(lines, numbers, snippet_dirs, path):
    out, out_numbers = [], []
    for text, number in zip(lines, numbers, strict=False):
        m = SNIPPET.match(text)
        if not m:
            out.append(text)
            out_numbers.append(number)
            continue
        for base in snippet_dirs:
            candidate = Path(base) / m["path"]
            if candidate.is_file():
                break
        else:
            raise PageError(path, number, f"snippet {m['path']!r} not found in {', '.join(map(str, snippet_dirs))}")
        try:
            included = candidate.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise PageError(path, number, f"snippet {m['path']!r} is not UTF-8") from None
        included_lines = included.split("\n")
        if included_lines and included_lines[-1] == "":
            included_lines.pop()
        out.extend(included_lines)
        out_numbers.extend([0] * len(included_lines))
    return out, out_numbers


def classify(lang: str, attrs: dict, path: str, line: int) -> str:
    if "title" in attrs:
        if lang in CONSOLE:
            raise PageError(path, line, "a console block cannot have a title (titled blocks are files)")
        return "file"
    if lang in CONSOLE:
        return "console"
    if lang in SCRIPT:
        return "bash"
    if lang in PYTHON:
        return "python"
    if lang in MUST_BE_FILES:
        raise PageError(path, line, f"a {lang} block needs title=\"PATH\" so that it can be written and checked")
    return "display"


def check_title(title: str, path: str, line: int) -> None:
    p = PurePosixPath(title)
    if not title.strip():
        raise PageError(path, line, "empty title: a file block needs title=\"PATH\"")
    if p.is_absolute() or title.startswith("~"):
        raise PageError(path, line, f"file title {title!r} must be a path relative to the working directory")
    if ".." in p.parts:
        raise PageError(path, line, f"file title {title!r} escapes the working directory")


def _scan_fences(text: str, lines: list[str], path: str, first: int, last: int):
    """Yield (open_line_index, close_line_index, indent, lang, attrs) for fences in lines[first:last]."""
    i = first
    while i < last:
        m = OPEN.match(lines[i])
        if not m or (m["fence"][0] == "`" and "`" in m["info"]):
            i += 1
            continue
        fence = m["fence"]
        close = re.compile(r"^[ \t]*" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}[ \t]*$")
        j = i + 1
        while j < last and not close.match(lines[j]):
            j += 1
        if j >= last:
            raise PageError(path, i + 1, f"unterminated code fence {fence!r} (opened here, never closed)")
        lang, attrs = parse_info(m["info"], path, i + 1)
        yield i, j, m["indent"].replace("\t", "    "), lang, attrs
        i = j + 1


def parse_page(text: str, path: str, snippet_dirs=()) -> list[Block]:
    """Every block on the page, in order, or a PageError naming page and line."""
    lines = text.split("\n")
    offsets = _line_offsets(text)
    line_of = lambda offset: text.count("\n", 0, offset)  # noqa: E731  (0-based)

    comments = []  # (start_line, end_line, body_text, start_offset, end_offset)
    for m in COMMENT.finditer(text):
        comments.append((line_of(m.start()), line_of(m.end() - 1), m["body"], m.start(), m.end()))
    unclosed = re.search(r"<!--\s*test:(?!.*?-->)", text, re.S)
    if unclosed:
        raise PageError(path, line_of(unclosed.start()) + 1, "option comment `<!-- test:` is never closed with `-->`")

    hidden_ranges = []
    blocks: list[Block] = []
    pending: dict[int, tuple] = {}  # line a comment ends on -> comment
    for start_line, end_line, body, s_off, e_off in comments:
        head, _, rest = body.partition("\n")
        options = parse_options(head, path, start_line + 1)
        fences = list(_scan_fences(text, lines, path, start_line + 1, end_line + 1)) if rest.strip() else []
        if fences:
            if len(fences) != 1:
                raise PageError(path, start_line + 1, "a hidden block comment must hold exactly one fence")
            if not (options.get("setup") or options.get("teardown")):
                raise PageError(path, start_line + 1,
                                "a fence inside a test comment must be marked `setup` or `teardown`")
            blocks.append(_make_block(fences[0], lines, offsets, options, path, snippet_dirs, s_off, e_off,
                                      hidden=True))
            hidden_ranges.append((start_line, end_line))
        else:
            if options.get("setup") or options.get("teardown"):
                raise PageError(path, start_line + 1, "a setup/teardown comment must hold its fence inside the comment")
            pending[end_line] = (options, s_off, start_line)

    inside_hidden = lambda n: any(a <= n <= b for a, b in hidden_ranges)  # noqa: E731
    for fence in _scan_fences(text, lines, path, 0, len(lines)):
        open_i = fence[0]
        if inside_hidden(open_i):
            continue
        # an option comment applies to the fence right after it (blank lines allowed)
        k = open_i - 1
        while k >= 0 and not lines[k].strip():
            k -= 1
        options, s_off = {}, offsets[open_i]
        if k in pending:
            options, s_off, _ = pending.pop(k)
        blocks.append(_make_block(fence, lines, offsets, options, path, snippet_dirs, s_off, None, hidden=False))
    for _, (_, _, start_line) in sorted(pending.items()):
        raise PageError(path, start_line + 1, "option comment is not followed by a code block")
    blocks.sort(key=lambda b: b.start)
    _pair_outputs(blocks, text)
    return blocks


def _pair_outputs(blocks: list[Block], text: str) -> None:
    """Join each visible bash block to an output or error fence right after it (blank lines only between)."""
    for script, shown in itertools.pairwise(blocks):
        if script.kind == "bash" and not script.hidden and shown.kind == "display" and shown.lang in OUTPUTS \
                and not shown.hidden and not text[script.end:shown.start].strip():
            script.output = shown


def _make_block(fence, lines, offsets, options, path, snippet_dirs, s_off, e_off, hidden):
    open_i, close_i, indent, lang, attrs = fence
    body = [_dedent(text, len(indent)) for text in lines[open_i + 1 : close_i]]
    numbers = list(range(open_i + 2, close_i + 1))
    body, numbers = _expand_snippets(body, numbers, snippet_dirs, path)
    kind = classify(lang, attrs, path, open_i + 1)
    if kind == "file":
        check_title(attrs["title"], path, open_i + 1)
    if kind == "display" and set(options) - {"skip"}:
        raise PageError(path, open_i + 1,
                        f"options {sorted(options)} given to a {lang or 'plain'} block, which is not run")
    end = offsets[close_i] + len(lines[close_i])
    if e_off is not None:
        end = max(end, e_off)
    return Block(
        kind=kind, lang=lang, attrs=attrs, options=options,
        body="\n".join(body) + ("\n" if body else ""),
        line=open_i + 1, start=s_off, end=end, indent=indent,
        body_lines=numbers, hidden=hidden,
    )
