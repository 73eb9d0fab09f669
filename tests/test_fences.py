"""The page parser: what it finds, and the clear errors it gives for bad pages."""
import pytest

from harness.errors import PageError
from harness.fences import parse_page
from harness.plan import make_targets, plan_page


def blocks(text, **kw):
    return parse_page(text, "page.md", **kw)


def test_attributes_are_read_from_the_raw_info_string():
    (b,) = blocks('```python title="app.py" linenums="1"\nprint(1)\n```\n')
    assert (b.kind, b.title, b.body, b.line) == ("file", "app.py", "print(1)\n", 1)


def test_brace_form_and_tilde_fences():
    (b,) = blocks('~~~ { .bash title="run.sh" }\necho hi\n~~~\n')
    assert (b.kind, b.lang, b.title) == ("file", "bash", "run.sh")


def test_blocks_inside_admonitions_tabs_and_lists_are_found_and_dedented():
    text = (
        '!!! note\n    ```console\n    $ echo a\n    a\n    ```\n\n'
        '=== "Linux"\n\n    ```bash\n    echo b\n    ```\n\n'
        '1. Step\n\n    ```python\n    x = 1\n    ```\n'
    )
    got = [(b.kind, b.body, b.line) for b in blocks(text)]
    assert got == [("console", "$ echo a\na\n", 2), ("bash", "echo b\n", 9), ("python", "x = 1\n", 15)]


def test_a_longer_fence_holds_a_shorter_one():
    text = '````markdown\n```python\nx\n```\n````\n```bash\nls\n```\n'
    got = [(b.kind, b.body) for b in blocks(text)]
    assert got == [("display", "```python\nx\n```\n"), ("bash", "ls\n")]


def test_options_comment_applies_to_the_next_fence():
    (b,) = blocks('<!-- test: network timeout=30 exit=2 -->\n```console\n$ false\n```\n')
    assert b.options == {"network": True, "timeout": 30.0, "exit": 2}
    assert b.start == 0  # the region starts at the comment


def test_hidden_setup_block_lives_inside_the_comment():
    (b,) = blocks('<!-- test: setup\n```bash\nmkdir data\n```\n-->\nText\n')
    assert (b.hidden, b.kind, b.body, b.options) == (True, "bash", "mkdir data\n", {"setup": True})


@pytest.mark.parametrize("text, line, message", [
    ("intro\n```python\nx = 1\n", 2, "unterminated code fence"),
    ("<!-- test: netwrk -->\n```bash\nls\n```\n", 1, "unknown option 'netwrk'"),
    ("<!-- test: timeout=soon -->\n```bash\nls\n```\n", 1, "bad value 'soon' for option 'timeout'"),
    ("<!-- test: exit -->\n```bash\nls\n```\n", 1, "needs a value"),
    ("<!-- test: network -->\n\nno block here\n", 1, "not followed by a code block"),
    ('```python title="../x.py"\nx\n```\n', 1, "escapes the working directory"),
    ('```python title="/etc/x.py"\nx\n```\n', 1, "relative to the working directory"),
    ("```dockerfile\nFROM x\n```\n", 1, "needs title="),
    ("```console\n$ \n```\n", 2, "prompt `$` without a command"),
    ("```console\njust text\n```\n", 2, "comes before the first"),
    ("```console\n```\n", 1, "no `$ ` command"),
    ("<!-- test: setup\n```bash\nls\n```\n", 1, "never closed"),
])
def test_bad_pages_give_an_error_naming_page_and_line(text, line, message):
    with pytest.raises(PageError) as e:
        plan_page(blocks(text), "page.md")
    assert e.value.line == line
    assert message in str(e.value)
    assert str(e.value).startswith(f"page.md:{line}: ")


def test_snippets_are_expanded(tmp_path):
    (tmp_path / "hello.py").write_text("print('hi')\n")
    (b,) = blocks('```python title="h.py"\n--8<-- "hello.py"\n```\n', snippet_dirs=[tmp_path])
    assert b.body == "print('hi')\n"
    with pytest.raises(PageError, match=r"snippet 'nope\.py' not found"):
        blocks('```python title="h.py"\n--8<-- "nope.py"\n```\n', snippet_dirs=[tmp_path])


def test_planner_finds_engine_and_dockerfiles_the_page_never_builds():
    text = ('```dockerfile title="Dockerfile"\nFROM debian:trixie-slim\n```\n'
            '```dockerfile title="other/Dockerfile"\nFROM debian:trixie-slim\n```\n'
            '```console\n$ docker build -t x other\n```\n')
    plan = plan_page(blocks(text), "page.md")
    assert plan.engine
    assert plan.harness_builds == set()  # a later docker build counts for both
    plan2 = plan_page(blocks(text.split("```console")[0]), "page.md")
    assert len(plan2.harness_builds) == 2


def test_make_targets():
    body = ".PHONY: all test\nall: build\n\techo\nbuild test: a.txt\n\tx\nVAR := 1\n%.o: %.c\n\tcc\n"
    assert make_targets(body) == ["all", "build", "test"]


def test_engine_only_when_the_page_really_runs_docker():
    mk = '```makefile title="Makefile"\nhelp:\n\techo help\nbuild-image:\n\tdocker build -t x .\n```\n'
    dry = mk + "```console\n$ make -n build-image\ndocker build -t x .\n$ make\necho help\nhelp\n```\n"
    assert not plan_page(blocks(dry), "page.md").engine  # a dry run, and output that names docker
    real = mk + "```console\n$ make -s build-image\n```\n"
    assert plan_page(blocks(real), "page.md").engine
    script = '```bash title="ship.sh"\ndocker push x\n```\n```console\n$ bash ship.sh\n```\n'
    assert plan_page(blocks(script), "page.md").engine


def test_only_the_base_images_a_page_uses_are_seeded():
    from harness.plan import images_used

    text = '```dockerfile title="Dockerfile"\nFROM --platform=linux/amd64 python:3.13-slim-trixie AS base\n```\n'
    plan = plan_page(blocks(text), "page.md")
    assert images_used(plan, ["debian:trixie-slim", "python:3.13-slim-trixie"]) == ["python:3.13-slim-trixie"]


def test_page_options_come_from_one_test_page_comment():
    from harness.loader import plan_text

    text = "<!-- test-page: timeout=5 -->\n\n```console\n$ echo hi\nhi\n```\n"
    assert plan_text(text, "page.md", []).options == {"timeout": 5.0}
    assert plan_text("```console\n$ true\n```\n", "page.md", []).options == {}


@pytest.mark.parametrize("text, line, message", [
    ("a\n<!-- test-page: network -->\n", 2, "unknown option 'network'"),
    ("<!-- test-page: timeout=1 -->\n<!-- test-page: timeout=2 -->\n", 2, "at most one"),
    ("x\n\n<!-- test-page: timeout=1\n", 3, "never closed"),
])
def test_bad_page_options_name_the_page_and_line(text, line, message):
    from harness.loader import plan_text

    with pytest.raises(PageError) as err:
        plan_text(text, "page.md", [])
    assert err.value.line == line and message in str(err.value)


def test_whitespace_is_a_block_option_and_a_page_option():
    from harness.loader import plan_text

    text = ("<!-- test-page: whitespace=loose -->\n\n<!-- test: whitespace=exact -->\n"
            "```console\n$ echo hi\nhi\n```\n")
    plan = plan_text(text, "page.md", [])
    assert plan.options == {"whitespace": "loose"}
    assert plan.blocks[0].options == {"whitespace": "exact"}
    with pytest.raises(PageError) as err:
        plan_text("<!-- test: whitespace=tight -->\n```console\n$ true\n```\n", "page.md", [])
    assert err.value.line == 1 and "bad value 'tight' for option 'whitespace'" in str(err.value)


def test_a_command_runs_make_only_where_a_command_starts():
    from harness.plan import RUNS_MAKE

    for runs in ("make", "make -s out.txt", "cd data && make", "sudo make install", "X=1 make all",
                 "echo hi; make"):
        assert RUNS_MAKE.search(runs), runs
    for not_make in ("apt-get install -y make", "cmake ..", "echo make", "makefile-lint", "make-report.sh"):
        assert not RUNS_MAKE.search(not_make), not_make
def test_data_files_are_resolved_beside_the_page(tmp_path):
    from harness.loader import plan_text

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "lesson.zip").write_bytes(b"PK\x03\x04\xff")
    text = '# Page\n<!-- test-page: files="data/lesson.zip" -->\n'
    files = plan_text(text, "page.md", [], tmp_path).options["files"]
    assert files == (("data/lesson.zip", tmp_path / "data" / "lesson.zip"),)


@pytest.mark.parametrize("names, message", [
    ("../secret.txt", "outside the page's folder"),
    ("/etc/passwd", "outside the page's folder"),
    ("data/missing.zip", "does not exist"),
    ("data", "is a folder"),
])
def test_bad_data_files_name_the_page_and_line(tmp_path, names, message):
    from harness.loader import plan_text

    page_dir = tmp_path / "lesson"
    (page_dir / "data").mkdir(parents=True)
    (tmp_path / "secret.txt").write_text("x")
    with pytest.raises(PageError) as err:
        plan_text(f"# Page\n\n<!-- test-page: files={names} -->\n", "page.md", [], page_dir)
    assert err.value.line == 3 and message in str(err.value), str(err.value)


@pytest.mark.parametrize("text, size", [("8g", 8 * 2**30), ("512m", 512 * 2**20), ("4GiB", 4 * 2**30),
                                        ("1.5G", 3 * 2**29)])
def test_the_disk_option_reads_sizes(text, size):
    from harness.loader import page_options

    assert page_options(f"<!-- test-page: disk={text} -->\n", "page.md") == {"disk": size}


@pytest.mark.parametrize("text", ["lots", "10k", "2t", "-1g"])
def test_bad_disk_sizes_name_the_page_and_line(text):
    from harness.loader import page_options

    with pytest.raises(PageError) as err:
        page_options(f"x\n<!-- test-page: disk={text} -->\n", "page.md")
    assert err.value.line == 2 and "option 'disk'" in str(err.value)


def test_a_page_that_shows_the_page_comment_does_not_get_its_options():
    from harness.loader import plan_text

    text = ("Write `<!-- test-page: timeout=5 -->` on a line of its own, like this:\n\n"
            "```text\n<!-- test-page: timeout=7 -->\n```\n\n<!-- test-page: timeout=9 -->\n")
    assert plan_text(text, "page.md", []).options == {"timeout": 9.0}
