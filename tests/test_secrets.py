"""Secrets stay out of everything the harness writes, and image scans catch a leaked one."""
import secrets

import pytest
from pagerun import PAGES, run_pages

pytestmark = pytest.mark.docker


def test_declared_secrets_are_redacted_from_failures_junit_and_results(tmp_path):
    token = "tok_" + secrets.token_hex(12)
    page = tmp_path / "leaks.md"
    page.write_text(
        "<!-- test: setup secrets=\"token.txt API_TOKEN\"\n```bash\n"
        f"printf '%s\\n' {token} > token.txt\nexport API_TOKEN=\"$(cat token.txt)-env\"\n```\n-->\n\n"
        "```console\n$ cat token.txt; echo \"$API_TOKEN\"\nnot what it prints\n```\n"
    )
    out = run_pages(page, tmp_path=tmp_path)
    assert out.code == 1, out.output
    assert "+[secret token.txt]" in out.output and "+[secret API_TOKEN]" in out.output, out.output
    written = [out.output, out.junit.read_text(), out.results.read_text()]
    failed = [r for r in out.records() if r["status"] == "failed"]
    assert [r["reason"] for r in failed] == ["output-differs"] and "[secret API_TOKEN]" in failed[0]["message"]
    for text in written:
        assert token not in text


def test_the_image_scan_catches_a_secret_copied_into_an_image(tmp_path):
    out = run_pages(PAGES / "secret-copied.md", tmp_path=tmp_path)
    assert out.code == 1, out.output
    assert "tests/pages/secret-copied.md:" in out.output
    assert "unexpected exit status" in out.output and "exit status: 0 (expected 1)" in out.output
