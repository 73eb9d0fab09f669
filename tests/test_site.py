"""The built site in a real browser: headless Chromium from Debian's packages.

`make test-site` builds the site first (make site: every example must pass)
and runs this file against site/, served on 127.0.0.1. Screenshots land in
build/screenshots/. Without a built site/ the tests are skipped, saying so.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import sitebrowser

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "site"
SHOTS = ROOT / "build" / "screenshots"

pytestmark = pytest.mark.skipif(not (SITE / "index.html").is_file(),
                                reason="no built site/: run `make site` (make test-site builds it first)")

TIMEOUT = 20


@pytest.fixture(scope="module")
def base_url():
    for old in SHOTS.glob("failed-*.png"):  # left by an earlier run's failures
        old.unlink()
    with sitebrowser.serve(SITE) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    problem = sitebrowser.ensure_chromium()
    if problem:
        pytest.fail(f"cannot drive the site: {problem} (make chromium installs them)")
    with sitebrowser.chromium() as driver:
        driver.set_page_load_timeout(60)
        yield driver


def _wait(driver, predicate, what: str, timeout: float = TIMEOUT):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, timeout).until(lambda d: predicate(d))
    except TimeoutException:
        shot(driver, f"failed-{re.sub(r'[^a-z0-9]+', '-', what.lower())}")
        raise AssertionError(f"timed out after {timeout} s waiting for {what} on {driver.current_url}") from None


def settle(driver, seconds: float = 0.6) -> None:
    """Let the header's scroll animation finish before a screenshot."""
    import time

    time.sleep(seconds)


def shot(driver, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def open_page(driver, url: str):
    from selenium.webdriver.common.by import By

    driver.get(url)
    _wait(driver, lambda d: d.execute_script("return document.readyState") == "complete", "the page to load")
    # a fresh profile, and light mode to start from, whatever the last test left behind
    driver.execute_script("localStorage.clear()")
    driver.get(url)
    _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "article.md-content__inner"), "the article")


def stamp_of(driver):
    from selenium.webdriver.common.by import By

    stamps = driver.find_elements(By.CSS_SELECTOR, "article .hb-stamp")
    assert len(stamps) == 1, f"expected one verification stamp on {driver.current_url}, found {len(stamps)}"
    return stamps[0]


def test_home_page_shows_the_totals_of_the_run(browser, base_url):
    from selenium.webdriver.common.by import By

    open_page(browser, base_url)
    assert "Why engineering practices" in browser.find_element(By.CSS_SELECTOR, "article h1").text
    stamp = stamp_of(browser)
    assert "hb-totals" in stamp.get_attribute("class")
    total, passed = int(stamp.get_attribute("data-total")), int(stamp.get_attribute("data-passed"))
    assert stamp.get_attribute("data-state") == "verified", stamp.text
    assert total > 0 and passed + int(stamp.get_attribute("data-gpu-skipped")) == total
    title = stamp.find_element(By.CSS_SELECTOR, ".admonition-title").text
    assert title.startswith("Verified: ") and f"{total} examples" in title and "ran and passed" in title, title
    body = stamp.find_element(By.CSS_SELECTOR, ".hb-run").text
    assert "Tested " in body and "handbook-sandbox:" in body and "image id " in body and "commit " in body, body
    # the stamp sits right under the page's title
    assert browser.execute_script(
        "const s = document.querySelector('article .hb-stamp'); "
        "return s.previousElementSibling && s.previousElementSibling.tagName") == "H1"
    # every chapter is in the navigation
    nav = browser.find_element(By.CSS_SELECTOR, "nav.md-nav--primary").get_attribute("textContent")
    for chapter in ("Git", "Python dependencies", "Docker", "The command line", "Programming tools",
                    "Timing code in a notebook", "Onboarding checklist", "What's next", "Contributing"):
        assert chapter in nav, f"{chapter!r} missing from the navigation"
    shot(browser, "home")


def test_a_chapter_shows_its_stamp(browser, base_url):
    from selenium.webdriver.common.by import By

    open_page(browser, base_url + "git/")
    stamp = stamp_of(browser)
    total = int(stamp.get_attribute("data-total"))
    assert stamp.get_attribute("data-state") == "verified", stamp.text
    assert stamp.get_attribute("data-page") == "docs/git.md"
    title = stamp.find_element(By.CSS_SELECTOR, ".admonition-title").text
    assert title == f"Verified: all {total} examples on this page ran and passed", title
    assert "handbook-sandbox:" in stamp.text and "commit " in stamp.text
    # the edit link and the revision date come from the theme and the git plugin
    assert browser.find_elements(By.CSS_SELECTOR, "a.md-content__button[href*='/edit/main/docs/git.md']")
    assert browser.find_elements(By.CSS_SELECTOR, ".md-source-file")
    # diagrams are drawn (Mermaid ships with the site, no CDN needed): Material swaps each
    # <pre class="mermaid"> for a <div class="mermaid"> holding the SVG in a closed shadow root
    _wait(browser, lambda d: d.execute_script(
        "const drawn = [...document.querySelectorAll('article div.mermaid')];"
        "return drawn.length > 0 && !document.querySelector('article pre.mermaid')"
        " && drawn.every(e => e.offsetHeight > 40)"), "the Mermaid diagrams to be drawn")
    shot(browser, "chapter-git")
    diagram = browser.find_element(By.CSS_SELECTOR, "article div.mermaid")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", diagram)
    settle(browser)
    shot(browser, "chapter-git-mermaid")


def test_search_finds_a_term_from_the_docker_chapter(browser, base_url):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    open_page(browser, base_url)
    box = browser.find_element(By.CSS_SELECTOR, "input.md-search__input")
    if not box.is_displayed():  # a narrow window hides the box behind the search icon
        browser.find_element(By.CSS_SELECTOR, "label.md-header__button[for='__search']").click()
        _wait(browser, lambda d: box.is_displayed(), "the search box")
    box.click()
    box.send_keys("BuildKit")
    hits = _wait(browser, lambda d: [a.get_attribute("href") for a in d.find_elements(
        By.CSS_SELECTOR, ".md-search-result__item a") if "/docker/" in (a.get_attribute("href") or "")],
        "a search hit in the Docker chapter")
    assert hits
    meta = browser.find_element(By.CSS_SELECTOR, ".md-search-result__meta").text
    assert re.search(r"\d+ matching document", meta), meta
    shot(browser, "search-buildkit")
    box.send_keys(Keys.ESCAPE)


def test_code_blocks_have_a_copy_button(browser, base_url):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    open_page(browser, base_url + "docker/")
    stamp = stamp_of(browser)  # GPU blocks skipped for want of a GPU are named, not hidden
    assert stamp.get_attribute("data-state") == "verified", stamp.text
    if int(stamp.get_attribute("data-gpu-skipped")):
        assert "skipped for want of a GPU" in stamp.text
    shot(browser, "chapter-docker")
    copy_buttons = ("article .highlight button[data-md-type='copy'], "
                    "article .highlight button.md-clipboard")
    buttons = _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, copy_buttons), "a copy button")
    assert buttons[0].get_attribute("title") == "Copy to clipboard"
    block = buttons[0].find_element(By.XPATH, "./ancestor::div[contains(@class, 'highlight')]")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", block)
    settle(browser)
    ActionChains(browser).move_to_element(block).perform()  # the button shows on hover
    _wait(browser, lambda d: buttons[0].is_displayed(), "the copy button to show")
    buttons[0].click()
    _wait(browser, lambda d: "Copied to clipboard" in d.find_element(By.CSS_SELECTOR, ".md-dialog").text,
          "the 'Copied to clipboard' message")
    shot(browser, "chapter-docker-code")


def test_colour_toggle_switches_the_scheme(browser, base_url):
    from selenium.webdriver.common.by import By

    open_page(browser, base_url + "git/")
    scheme = lambda d: d.execute_script("return document.body.getAttribute('data-md-color-scheme')")  # noqa: E731
    assert scheme(browser) == "default"
    background = browser.execute_script("return getComputedStyle(document.body).backgroundColor")
    toggle = [e for e in browser.find_elements(By.CSS_SELECTOR, "form[data-md-component='palette'] label")
              if e.is_displayed()]
    assert toggle, "no visible colour toggle"
    toggle[0].click()
    _wait(browser, lambda d: scheme(d) == "slate", "the dark scheme")
    assert browser.execute_script("return getComputedStyle(document.body).backgroundColor") != background
    shot(browser, "chapter-git-dark")
    next(e for e in browser.find_elements(By.CSS_SELECTOR, "form[data-md-component='palette'] label")
         if e.is_displayed()).click()
    _wait(browser, lambda d: scheme(d) == "default", "the light scheme again")


def test_notebook_page_shows_the_outputs_of_the_tested_run(browser, base_url):
    from selenium.webdriver.common.by import By

    open_page(browser, base_url + "notebooks/timing/")
    outputs = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output") if e.text.strip()]
    assert outputs, "the notebook page shows no outputs"
    stamp = stamp_of(browser)
    assert stamp.get_attribute("data-state") == "verified", stamp.text
    assert "ran from top to bottom" in stamp.text
    shot(browser, "notebook-timing")
    first = next(e for e in browser.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output") if e.text.strip())
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", first)
    settle(browser)
    shot(browser, "notebook-timing-output")
    committed = (ROOT / "docs" / "notebooks" / "timing.ipynb").read_text()
    assert '"outputs": []' in committed and '"output_type"' not in committed, \
        "the committed notebook must stay without outputs"


def test_the_checklist_has_checkboxes(browser, base_url):
    from selenium.webdriver.common.by import By

    open_page(browser, base_url + "onboarding/")
    boxes = browser.find_elements(By.CSS_SELECTOR, "article .task-list-item .task-list-indicator")
    assert len(boxes) >= 5, "the onboarding checklist has no custom checkboxes"
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", boxes[0])
    settle(browser)
    shot(browser, "onboarding-checklist")


def test_content_tabs_switch(browser, base_url):
    from selenium.webdriver.common.by import By

    pages_with_tabs = [p for p in (ROOT / "docs").glob("*.md") if re.search(r'^\s*=== "', p.read_text(), re.M)]
    tabbed = sorted(p.parent for p in SITE.rglob("index.html") if 'class="tabbed-set' in p.read_text())
    assert len(tabbed) >= len(pages_with_tabs) > 0 or not pages_with_tabs, \
        f"pages with tabs: {[p.name for p in pages_with_tabs]}; rendered with tabs: {tabbed}"
    if not tabbed:
        return  # no page uses content tabs now: nothing to click
    open_page(browser, base_url + tabbed[0].relative_to(SITE).as_posix() + "/")
    labels = [e for e in browser.find_elements(By.CSS_SELECTOR, "article .tabbed-set .tabbed-labels label")]
    assert len(labels) >= 2
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", labels[1])
    settle(browser)
    labels[1].click()
    checked = browser.execute_script(
        "return document.getElementById(arguments[0].getAttribute('for')).checked", labels[1])
    assert checked
    shot(browser, "content-tabs")
