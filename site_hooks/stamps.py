"""The verification stamp on each page, as HTML.

A stamp never says more than the run showed: "verified" only when every
example on the page ran and passed (GPU examples skipped for want of a GPU
are named as such); otherwise it says how many of how many were verified and
why the rest were not. The home page carries the totals of the run.
"""
from __future__ import annotations

import html

from .results import NO_EXAMPLES, NOT_RUN, UNVERIFIED, VERIFIED, PageResult, Run

# Material's admonition types give each state its colour in both schemes
KIND = {VERIFIED: "success", UNVERIFIED: "failure", NOT_RUN: "warning", NO_EXAMPLES: "note"}

CSS = """\
.hb-stamp .hb-run { margin: .3em 0 .6em; font-size: .95em; }
.hb-stamp code { white-space: nowrap; }
.hb-stamp table { font-size: .9em; }
.hb-stamp details { margin: .4em 0 .8em; }
"""


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def run_line(run: Run, repo_url: str = "") -> str:
    """When, on which image and at which commit the run verified the examples."""
    if not run.found:
        return "No test run was found. <code>make site</code> runs every example before it builds the site."
    bits = []
    if run.finished:
        bits.append(f'Tested <time datetime="{_esc(run.finished.isoformat())}">'
                    f'{_esc(run.finished.strftime("%d %b %Y, %H:%M %Z"))}</time>')
    else:
        bits.append("Tested at an unknown time")
    if run.image or run.image_id:
        short = run.image_id.split(":", 1)[-1][:12]
        image = f"<code>{_esc(run.image)}</code>" if run.image else ""
        ident = f' (image id <code title="{_esc(run.image_id)}">{_esc(short)}</code>)' if run.image_id else ""
        machine = f"{_esc(run.machine)}: " if run.machine else ""
        bits.append(f"in throwaway containers of {machine}{image}{ident}")
    if run.commit:
        short = _esc(run.commit[:10])
        ref = f"<code title=\"{_esc(run.commit)}\">{short}</code>"
        if repo_url and not run.dirty:
            ref = f'<a href="{_esc(repo_url.rstrip("/"))}/commit/{_esc(run.commit)}">{ref}</a>'
        bits.append(f"at commit {ref}" + (" with uncommitted changes" if run.dirty else ""))
    return " ".join(bits) + "."


def title(result: PageResult) -> str:
    state = result.state
    if state == VERIFIED:
        if result.gpu_skipped:
            return (f"Verified: {result.passed} of {_n(result.total, 'example')} ran and passed; "
                    f"{_n(len(result.gpu_skipped), 'GPU example')} skipped for want of a GPU")
        if result.expected == 1 and result.path.endswith(".ipynb"):
            return "Verified: this notebook ran from top to bottom; the outputs below are that run's"
        return f"Verified: all {_n(result.total, 'example')} on this page ran and passed"
    if state == NO_EXAMPLES:
        return "This page has no examples to run"
    if state == NOT_RUN:
        return f"Not verified in this run: none of this page's {_n(result.expected, 'example')} ran"
    return f"Not verified: {result.summary()}"


def page_stamp(result: PageResult, run: Run, repo_url: str = "") -> str:
    state = result.state
    body = []
    if state == NO_EXAMPLES:
        body.append("Nothing on it is executed: it has no commands, files or code to check.")
    elif state == VERIFIED and result.gpu_skipped:
        reasons = sorted({c.text.removeprefix("GPU block skipped: ") for c in result.gpu_skipped})
        body.append("GPU examples run in a separate job on a GPU machine; this run skipped them: "
                    + "; ".join(f"\u201c{_esc(r)}\u201d" for r in reasons) + ".")
    if state != NO_EXAMPLES:
        body.append(run_line(run, repo_url))
    if state in (UNVERIFIED, NOT_RUN):
        body.append("The published site only ever carries pages whose examples all passed.")
    return _box(state, title(result), " ".join(body), result)


def home_stamp(results: list[PageResult], run: Run, repo_url: str = "") -> str:
    """The totals of the run, and a line per page."""
    runnable = [r for r in results if r.state != NO_EXAMPLES]
    total = sum(r.total for r in runnable)
    passed = sum(r.passed for r in runnable)
    gpu = sum(len(r.gpu_skipped) for r in runnable)
    verified = [r for r in runnable if r.state == VERIFIED]
    all_good = runnable and len(verified) == len(runnable) and not run.problems
    state = VERIFIED if all_good else (NOT_RUN if not passed else UNVERIFIED)
    if all_good:
        head = f"Verified: all {_n(total, 'example')} on {_n(len(runnable), 'page')} ran and passed"
        if gpu:
            head = (f"Verified: {passed} of {_n(total, 'example')} on {_n(len(runnable), 'page')} ran and "
                    f"passed; {_n(gpu, 'GPU example')} skipped for want of a GPU")
    else:
        head = (f"Not verified: {passed} of {_n(total, 'example')} verified; "
                f"{len(verified)} of {_n(len(runnable), 'page')} fully verified")
    rows = []
    for r in results:
        name = f'<a href="{_esc(r.url)}">{_esc(r.path)}</a>' if r.url else _esc(r.path)
        rows.append(f"<tr><td>{name}</td><td>{_esc(r.summary())}</td></tr>")
    table = ("<details class=\"hb-pages\"><summary>Page by page</summary>"
             "<table><thead><tr><th>Page</th><th>Examples</th></tr></thead><tbody>"
             + "".join(rows) + "</tbody></table></details>")
    problems = "".join(f"<p>{_esc(p)}</p>" for p in run.problems)
    attrs = {"total": total, "passed": passed, "pages": len(runnable), "verified-pages": len(verified),
             "gpu-skipped": gpu}
    return _box(state, head, run_line(run, repo_url) + problems, None, extra=table, attrs=attrs,
                css="hb-totals")


def _box(state: str, head: str, body: str, result: PageResult | None, extra: str = "",
         attrs: dict | None = None, css: str = "hb-page") -> str:
    data: dict[str, object] = {"state": state}
    if result is not None:
        data.update({"total": result.total, "passed": result.passed, "failed": len(result.failed),
                     "skipped": len(result.other_skipped), "gpu-skipped": len(result.gpu_skipped),
                     "page": result.path})
    data.update(attrs or {})
    data_attrs = " ".join(f'data-{k}="{_esc(v)}"' for k, v in data.items())
    return (f'<div class="admonition {KIND[state]} hb-stamp {css}" {data_attrs}>'
            f'<p class="admonition-title">{_esc(head)}</p>'
            f'<p class="hb-run">{body}</p>{extra}</div>')
