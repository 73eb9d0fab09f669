"""Which blocks wait for the page's engine, which starts while the first blocks run.

Erring towards waiting is the rule: a block wrongly thought engine-free would fail
with "Cannot connect to the Docker daemon" on a page that is right.
"""
from __future__ import annotations

from harness.loader import plan_text

PAGE = '''# Page

```console
$ echo setting up
setting up
```

```python
print("no engine here")
#> no engine here
```

```bash title="build.sh"
docker build -t x .
```

```console
$ bash build.sh
```

```Makefile title="Makefile"
image:
\tdocker build -t y .
```

```console
$ make image
```

```python
import subprocess
subprocess.run(["docker", "ps"])
```

```console
$ docker run --rm debian:trixie-slim true
```
'''


def lines(plan, starts):
    return sorted(b.line for b in plan.blocks if b.start in starts)


def test_blocks_that_may_reach_the_engine_wait_and_no_others() -> None:
    plan = plan_text(PAGE, "p.md", [])
    assert plan.engine
    waiting = lines(plan, plan.engine_blocks)
    # bash build.sh (a page file that calls docker), make image, the Python that runs docker, docker run;
    # and the Makefile itself, whose parse check expands it
    assert waiting == [17, 21, 26, 30, 35], waiting
    assert 3 not in waiting and 8 not in waiting and 13 not in waiting  # echo, plain Python, writing build.sh


def test_a_page_without_an_engine_has_no_blocks_to_wait() -> None:
    plan = plan_text("# P\n\n```console\n$ echo hi\nhi\n```\n", "p.md", [])
    assert not plan.engine and plan.engine_blocks == set()


def test_data_files_count_by_their_content_and_unresolved_names_count_as_docker(tmp_path) -> None:
    (tmp_path / "run.sh").write_text("docker run --rm debian:trixie-slim true\n")
    (tmp_path / "notes.txt").write_text("nothing to see\n")
    page = ("<!-- test-page: files=\"run.sh notes.txt\" -->\n# P\n\n"
            "```console\n$ cat notes.txt\nnothing to see\n```\n\n```console\n$ sh run.sh\n```\n")
    plan = plan_text(page, "p.md", [], tmp_path)
    assert lines(plan, plan.engine_blocks) == [9]  # sh run.sh; not cat notes.txt
    unresolved = plan_text(page, "p.md", [])  # the site's hooks plan pages without their folder
    assert lines(unresolved, unresolved.engine_blocks) == [4, 9]


VERSIONS = '''# P

```console
$ docker version --format '{{.Server.Version}}'
26.1.5
```

```console
$ docker buildx version
...
$ docker compose version
...
```

```console
$ docker version; docker image ls
...
```

```console
$ docker image ls
...
```
'''


def test_blocks_that_only_ask_versions_need_the_engine_but_not_its_images() -> None:
    plan = plan_text(VERSIONS, "p.md", [])
    assert lines(plan, plan.engine_blocks) == [3, 8, 15, 20]
    assert lines(plan, plan.version_blocks) == [3, 8]  # `; docker image ls` and `image ls` list the seed


def test_a_block_asking_only_versions_waits_until_the_engine_answers_not_until_it_is_seeded() -> None:
    import threading
    from pathlib import Path

    import pytest

    from harness import interrupts
    from harness.errors import SandboxFailed
    from harness.sandbox import Sandbox

    seeded = threading.Event()

    def box_whose_engine(start_status: int) -> Sandbox:
        """A sandbox whose engine starts (or fails to) through its real background thread; only
        its execs are stand-ins: start-engine.sh answers at once, `docker load` waits for `seeded`."""
        box = Sandbox.__new__(Sandbox)  # no container: only the waiting is tested
        box.timings, box._engine_error, box.before_engine = {}, None, None
        box._answered, box._settled, box.seed = False, threading.Event(), Path("seed.tar")

        def exec_root(argv: list[str], detach: bool = False, user: str = "root") -> tuple[int, str]:
            if argv[0] == "docker":
                seeded.wait(30)  # the seed is still loading
                return 0, ""
            return start_status, "" if start_status == 0 else "no space left on device"

        box.exec_root = exec_root  # type: ignore[method-assign]
        box._engine_thread = interrupts.background(box._engine_in_background, "engine")
        return box

    box = box_whose_engine(0)
    box.wait_engine(seeded=False)
    assert box._engine_thread is not None and box._engine_thread.is_alive() and not seeded.is_set()  # seed loading
    seeded.set()
    box.wait_engine()
    assert box._engine_thread is None

    failed = box_whose_engine(1)
    with pytest.raises(SandboxFailed, match="no space"):
        failed.wait_engine(seeded=False)  # an engine that never answers fails the block, it is not waited past
