"""Fuzz the page parser: any text gives blocks or a PageError naming page and line, never a crash."""
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.errors import PageError
from harness.fences import parse_page
from harness.plan import plan_page

# Pieces of Markdown the parser cares about, mixed with arbitrary text.
PIECES = st.sampled_from([
    "```", "````", "~~~", "```console", "```python title=\"a.py\"", "```bash", "``` { .sh title='x' }",
    "<!-- test: network -->", "<!-- test: timeout=5 exit=1 -->", "<!-- test: setup", "<!-- test: bogus -->",
    "-->", "$ echo hi", "$ ", "> more", "...", "    ", "!!! note", "=== \"Tab\"", "--8<-- \"nope.py\"",
    "#> 1", "print(1)", "\t", "```dockerfile", "title=\"../x\"", "```python title=\"/etc/x\"",
])
LINES = st.lists(st.one_of(PIECES, st.text(max_size=20)), max_size=30)


@settings(max_examples=400, deadline=None)
@given(LINES)
def test_any_page_gives_blocks_or_a_page_error(lines):
    text = "\n".join(lines)
    try:
        blocks = parse_page(text, "fuzz.md", snippet_dirs=[])
        plan = plan_page(blocks, "fuzz.md")
    except PageError as e:
        assert str(e).startswith(f"fuzz.md:{e.line}: ")
        assert 1 <= e.line <= text.count("\n") + 1
        return
    for b in plan.blocks:
        assert 1 <= b.line <= text.count("\n") + 1
        assert 0 <= b.start <= b.end <= len(text)
