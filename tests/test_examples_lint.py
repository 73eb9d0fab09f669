"""The handbook's Python examples pass ruff's lint and a formatter's check, without running them.

Readers copy these examples into their own projects, so they should be code a
reviewer would accept: no unused imports, imports in order, current syntax,
formatted as the formatter would. pytest-examples does the checking (its
`EvalExample.lint_ruff` and `lint_black`); nothing here executes an example,
the harness does that in a sandbox.

The examples are found the way the harness finds them (harness.loader), not by
pytest-examples' own finder: the harness's parser is the one that knows the
page conventions (titled fences, fences inside admonitions, hidden blocks,
`--8<--` snippets), so both agree on what a block is and where it starts.
Every Python block of docs/**/*.md is an example, and so is every Python file
under snippets/, whole. A block that only includes a snippet is checked once, as
the snippet file.

`make check` runs this module; `make update-examples-format` is not offered on
purpose: a reader's example is fixed by hand, and its expected output checked.
"""
from __future__ import annotations

import dataclasses
import re
import symtable
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytest_examples import CodeExample, EvalExample
from pytest_examples.config import ExamplesConfig

from harness.fences import PYTHON, Block
from harness.loader import plan_text

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SNIPPETS = ROOT / "snippets"

# The pages' own width: their longest lines of Python are 99 characters. The site's code box
# shows about 90 before it scrolls, so a few lines scroll a little; wrapping them would not read better.
LINE_LENGTH = 100


# pycodestyle errors (E, long lines included), pyflakes (F), import order (I), pyupgrade (UP):
# what a reviewer of a data scientist's code asks for, and no more.
SELECT = "E,F,I,UP"


@dataclass
class ExampleRules(ExamplesConfig):
    """pytest-examples' settings, with the ruff rules fixed here rather than taken from ruff.

    `--isolated`: ruff reads an example from stdin, and would otherwise take the harness's
    stricter settings (pyproject.toml) from the folder; `--select`: recent ruff releases
    enable far more than pyflakes and pycodestyle by default; concise output starts each
    problem with `-:LINE:COL`, which pytest-examples turns into the page's `page:line`."""

    # Names that earlier Python blocks of the page defined: the page's blocks share one
    # Python process, so ruff must not call them undefined (F821) in a later block.
    builtins: tuple[str, ...] = ()
    # The modules the examples write themselves (units.py, prices.py...): isort puts their
    # imports in a group of their own, after the installed packages, as a reader would.
    first_party: tuple[str, ...] = ()

    def ruff_config(self) -> tuple[str, ...]:
        args = ("--isolated", "--output-format=concise", f"--select={SELECT}", *super().ruff_config())
        if self.builtins:
            args += ("--config", f"builtins = {list(self.builtins)!r}")
        if self.first_party:
            args += ("--config", f"lint.isort.known-first-party = {list(self.first_party)!r}")
        return args


RULES = ExampleRules(
    line_length=LINE_LENGTH,
    ruff_line_length=LINE_LENGTH,
    target_version="py311",  # the Python that the pages run (Debian 13's 3.13 and up), as pyupgrade knows it
    quotes="double",  # as ruff format and black write strings
)


@dataclass(frozen=True)
class Example:
    """One example: where it is, for the test id and the messages, and its source."""

    where: str
    example: CodeExample
    known: tuple[str, ...] = ()  # names the page's earlier Python blocks defined
    file: str | None = None  # the file a titled block writes
    skip: str | None = None  # why the page exempts it


# ```python lint="skip"```: pytest-examples' own prefix setting, in the fence's info string.
# The harness ignores attributes it does not know, and the site renders it as an HTML
# attribute, so a reader never sees it (a noqa comment in the code they would).
SKIP_ATTR = ("lint", "skip")


def is_python(block: Block) -> bool:
    """A python block, or a file block that is Python (by language or by name)."""
    if block.kind == "python":
        return True
    return block.kind == "file" and (block.lang in PYTHON or (block.title or "").endswith(".py"))


def defined_names(source: str) -> set[str]:
    """The names a block binds at module level (assignments, imports, defs, loop targets...)."""
    try:
        table = symtable.symtable(source, "<block>", "exec")
    except SyntaxError:
        return set()  # ruff reports it where the block is checked
    return {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()}


def page_examples(page: Path) -> list[Example]:
    return examples_in(page.read_text(encoding="utf-8"), page.relative_to(ROOT).as_posix(), page.parent)


def examples_in(text: str, rel: str, page_dir: Path) -> list[Example]:
    """The Python examples of a page's text, as the harness parses it."""
    plan = plan_text(text, rel, [SNIPPETS], page_dir)
    found: list[Example] = []
    session: set[str] = set()  # what the page's Python process holds so far
    for block in plan.blocks:
        if not is_python(block) or (block.body_lines and not any(block.body_lines)):
            continue  # not Python, or only a snippet, checked as its file
        # pytest-examples numbers ruff's lines from start_line + 1: the fence is the line before the body
        example = CodeExample.create(block.body, path=Path(rel), start_line=block.line, prefix=block.lang)
        skip = None
        if block.attrs.get(SKIP_ATTR[0]) == SKIP_ATTR[1]:
            skip = f"{rel}:{block.line}: the fence says lint=\"skip\": it shows a bad pattern on purpose"
        if block.kind == "python":
            found.append(Example(f"{rel}:{block.line}", example, tuple(sorted(session)), skip=skip))
            session |= defined_names(block.body)
        else:  # a file: a module of its own
            found.append(Example(f"{rel}:{block.line}", example, file=block.title, skip=skip))
    return found


class WholeFile(CodeExample):
    """A snippet file, checked as the module it is.

    pytest-examples takes an example in a `.py` file to be one from a docstring, and
    squeezes the two blank lines between functions to one; a whole file keeps PEP 8's two."""

    def in_py_file(self) -> bool:
        return False


def snippet_example(path: Path) -> Example:
    rel = path.relative_to(ROOT).as_posix()
    return Example(rel, WholeFile.create(path.read_text(encoding="utf-8"), path=Path(rel)))


def all_examples() -> list[Example]:
    found = [e for page in sorted(DOCS.rglob("*.md")) for e in page_examples(page)]
    found += [snippet_example(p) for p in sorted(SNIPPETS.rglob("*.py"))]
    return found


def own_modules(examples: list[Example]) -> tuple[str, ...]:
    """Top-level module names of the Python files the examples are (greet.py -> greet,
    stationlib/stationlib/__init__.py -> stationlib)."""
    names = set()
    for item in examples:
        path = Path(item.example.path if item.where.startswith("snippets/") else item.file or "")
        if path.suffix == ".py":
            names.add(path.parent.name if path.name == "__init__.py" else path.stem)
    return tuple(sorted(names))


EXAMPLES = all_examples()
RULES = dataclasses.replace(RULES, first_party=own_modules(EXAMPLES))


@pytest.fixture
def eval_example(tmp_path: Path, request: pytest.FixtureRequest) -> EvalExample:
    # pytest-examples' own plugin is off (pytest.ini: -p no:examples) because its
    # --update-examples would clash with the harness's; its checker works without it.
    checker = EvalExample(tmp_path=tmp_path, pytest_request=request)
    checker.config = RULES
    return checker


def rules_for(item: Example) -> ExampleRules:
    return dataclasses.replace(RULES, builtins=item.known)


def test_examples_are_found():
    """The finder sees the kinds of examples the pages have: python blocks, titled files, snippets."""
    wheres = [e.where for e in EXAMPLES]
    assert any(w.startswith("docs/") and e.example.prefix == "python" for w, e in zip(wheres, EXAMPLES, strict=True))
    assert any(w.startswith("snippets/") for w in wheres)
    lines = (ROOT / "docs" / "contributing.md").read_text().split("\n")
    fence = next(i for i, text in enumerate(lines, start=1) if text.startswith('```python title="greet.py"'))
    assert f"docs/contributing.md:{fence}" in wheres
    assert "docs/command-line.md:534" not in wheres  # ```python title="mean_score.py" is a snippet: checked as its file


def test_a_fence_marked_lint_skip_is_skipped_with_its_reason(tmp_path: Path):
    text = 'Bad on purpose:\n\n```python lint="skip"\nimport os\n```\n\n```python\nimport os\n```\n'
    marked, plain = examples_in(text, "docs/x.md", tmp_path)
    assert marked.skip is not None and marked.skip.startswith("docs/x.md:3: ")
    assert plain.skip is None and plain.where == "docs/x.md:7"


@pytest.mark.parametrize("item", EXAMPLES, ids=[e.where for e in EXAMPLES])
def test_example_passes_ruff(item: Example, eval_example: EvalExample):
    if item.skip:
        pytest.skip(item.skip)
    eval_example.config = rules_for(item)
    eval_example.lint_ruff(item.example)


@pytest.mark.parametrize("item", EXAMPLES, ids=[e.where for e in EXAMPLES])
def test_example_is_formatted(item: Example, eval_example: EvalExample):
    if item.skip:
        pytest.skip(item.skip)
    eval_example.lint_black(for_black(item.example))


def for_black(example: CodeExample) -> CodeExample:
    """The example as black should see it: an empty `#>` line (a blank line of output) kept as it is.

    `#> ` lines are the harness's expected output, not comments to reformat. pytest-examples
    protects `#> text` from black's `# >`, but not a bare `#>`; this does the same for it."""
    return dataclasses.replace(example, source=EMPTY_OUTPUT.sub(r"\1#> (blank)", example.source))


EMPTY_OUTPUT = re.compile(r"^( *)#>$", re.M)
