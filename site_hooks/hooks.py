"""MkDocs hooks: the verification stamps, the notebooks' tested outputs, Mermaid.

mkdocs.yml loads this file by path (`hooks:`), so it imports its package
from the repository root.

- Every page gets a stamp right under its title, made from the last test run
  (build/results.json); the home page gets the
  run's totals. With HANDBOOK_SITE_GATE=1 (make site, make publish) the build
  fails unless every page was verified, so no unverified page is published.
- A notebook page is rendered from the executed copy the test run left in
  build/notebooks/<path>, so the site shows that run's outputs while the
  committed notebook stays without outputs. mkdocs-jupyter does not execute.
"""
from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from site_hooks import results, stamps, vendor  # noqa: E402

log = logging.getLogger("mkdocs.hooks.handbook")

GATE = "HANDBOOK_SITE_GATE"
STAMPS_CSS = "assets/handbook-stamps.css"
MERMAID_JS = "assets/javascripts/mermaid.min.js"
_H1_END = re.compile(r"</h1>", re.I)

_state: dict = {}


def on_config(config):
    _state.clear()
    _state["mermaid"] = vendor.mermaid_js(ROOT)
    if STAMPS_CSS not in config.extra_css:
        config.extra_css.append(STAMPS_CSS)
    if _state["mermaid"] and MERMAID_JS not in [str(s) for s in config.extra_javascript]:
        config.extra_javascript.append(MERMAID_JS)
    return config


def on_files(files, config):
    pages = {f.src_uri: f for f in files
             if f.abs_src_path and f.src_uri.endswith(results.PAGE_SUFFIXES)}
    run, found = results.collect([Path(f.abs_src_path) for f in pages.values()], root=ROOT)
    by_uri = {}
    for (uri, f), result in zip(pages.items(), found, strict=True):
        result.url = f.url
        by_uri[uri] = result
    _state.update(run=run, results=by_uri)
    refused = results.refusals(run, found)
    if refused:
        message = "pages not verified by the last test run:\n  " + "\n  ".join(refused)
        if os.environ.get(GATE):
            raise PluginError(f"refusing to build the site: {message}")
        log.info("Previewing with %s", message)
    files.append(File.generated(config, STAMPS_CSS, content=stamps.CSS))
    if _state.get("mermaid"):
        files.append(File.generated(config, MERMAID_JS, abs_src_path=str(_state["mermaid"])))
    return files


def on_pre_page(page, config, files):
    """Render a notebook page from the run's executed copy, when it matches the page."""
    result = _state.get("results", {}).get(page.file.src_uri)
    if not page.file.src_uri.endswith(".ipynb") or result is None or result.stale or not result.cases:
        return page
    executed = results.executed_notebook(Path(page.file.abs_src_path), ROOT)
    if not executed.is_file():
        return page
    render = page.render  # mkdocs-jupyter's, which converts the notebook at abs_src_path

    def render_tested_run(config, files):
        holder = page.file.__dict__  # abs_src_path is a cached property: the instance's value wins
        saved = holder.get("abs_src_path")
        holder["abs_src_path"] = str(executed)
        try:
            render(config, files)
        finally:
            if saved is None:
                holder.pop("abs_src_path", None)
            else:
                holder["abs_src_path"] = saved

    page.render = render_tested_run
    return page


def on_page_content(html, page, config, files):
    result = _state.get("results", {}).get(page.file.src_uri)
    if result is None:
        return html
    run = _state["run"]
    repo_url = config.repo_url or ""
    if page.is_homepage:  # the run's totals, with a line for every page, this one included
        stamp = stamps.home_stamp(list(_state["results"].values()), run, repo_url)
    else:
        stamp = stamps.page_stamp(result, run, repo_url)
    m = _H1_END.search(html)
    return html[: m.end()] + stamp + html[m.end():] if m else stamp + html
