"""`#>` lines are read when the page is planned: lint and collection catch what would fail at run time."""
from __future__ import annotations

import pytest

from harness.errors import PageError
from harness.loader import plan_text

PAGE = """# Page

```python
total = 0
for n in range(3):
    total += n
    print(n)
#> 0
#> 1
#> 2
print(total)
#> 3
```
"""


def test_the_groups_belong_to_the_top_level_statement_above_them() -> None:
    plan = plan_text(PAGE, "p.md", [])
    (block,) = plan.blocks
    owner, checks = plan.prints[block.start]
    assert [c.statement_line for c in checks] == [4, 8]  # the `for` ends on body line 4, print(total) on 8
    assert [c.expected for c in checks] == [["0", "1", "2"], ["3"]]
    assert owner[3] == 4  # print(n), inside the loop, belongs to the loop


def test_python_that_does_not_parse_is_a_page_error_at_its_line() -> None:
    page = "# P\n\n```python\nx = 1\nprint(x\n```\n"
    with pytest.raises(PageError) as e:
        plan_text(page, "p.md", [])
    assert e.value.path == "p.md" and e.value.line == 5 and "Python syntax error" in e.value.message


def test_a_block_that_says_it_raises_syntaxerror_is_left_to_run() -> None:
    page = '# P\n\n<!-- test: raises=SyntaxError -->\n```python\nprint(x\n```\n'
    plan = plan_text(page, "p.md", [])
    assert plan.prints[plan.blocks[0].start] == ({}, [])
