"""Headless Chromium for the site's browser test, from Debian's packages only.

Run as a script (`make chromium`) it installs Debian's chromium and
chromium-driver when they are missing: as root on Debian with apt-get, or
else it says what to install. Nothing is downloaded by Selenium: the driver
is /usr/bin/chromedriver, given to Selenium as its Service.
"""
from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
PACKAGES = ["chromium", "chromium-driver"]
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run", "--window-size=1280,1000",
]


def missing() -> list[str]:
    return [p.name for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]


def ensure_chromium() -> str:
    """'' when both are there (installing them first where we can), else why not."""
    if not missing():
        return ""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return (f"{' and '.join(missing())} not found: install Debian's packages "
                f"({' '.join(PACKAGES)}), e.g. `sudo apt-get install -y {' '.join(PACKAGES)}`")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print(f"installing {' '.join(PACKAGES)} with apt-get", flush=True)
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *PACKAGES]):
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            return f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()[-1500:]}"
    return "" if not missing() else f"{' and '.join(missing())} still missing after apt-get install"


@contextlib.contextmanager
def serve(directory: Path):
    """A static file server for `directory` on 127.0.0.1, on a free port; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@contextlib.contextmanager
def chromium(dark: bool = False):
    """A headless Chromium driven through /usr/bin/chromedriver, with a fresh profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    with tempfile.TemporaryDirectory(prefix="handbook-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={profile}")
        if dark:
            options.add_argument("--force-dark-mode")
        driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
        try:
            yield driver
        finally:
            driver.quit()


if __name__ == "__main__":
    problem = ensure_chromium()
    if problem:
        print(f"make chromium: {problem}", file=sys.stderr)
        sys.exit(1)
    version = subprocess.run([str(CHROMIUM), "--version"], capture_output=True, text=True).stdout.strip()
    print(f"make chromium: {version or 'chromium'} and {CHROMEDRIVER} are installed")
