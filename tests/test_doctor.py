"""Tests for snippets/onboarding/doctor.py, run on the host (no containers)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

DOCTOR = Path(__file__).resolve().parents[1] / "snippets" / "onboarding" / "doctor.py"


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh HOME whose global git config is empty, and a working folder outside any repo."""
    home = tmp_path / "home"
    home.mkdir()
    gitconfig = home / ".gitconfig"
    gitconfig.touch()
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL",
                 "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return home


def doctor(*args):
    return subprocess.run([sys.executable, str(DOCTOR), *args],
                          capture_output=True, text=True, timeout=120)


def git(*args):
    subprocess.run(["git", *args], check=True)


def test_identity_fails_with_its_fix_when_git_does_not_know_you(home):
    done = doctor("identity")
    assert done.returncode == 1
    assert "FAIL  identity" in done.stdout
    assert 'fix: git config --global user.name "Your Name"' in done.stdout
    assert 'git config --global user.email "you@example.org"' in done.stdout


def test_identity_passes_once_the_fix_is_applied(home):
    git("config", "--global", "user.name", "Ada Lovelace")
    git("config", "--global", "user.email", "ada@example.org")
    done = doctor("identity")
    assert done.returncode == 0, done.stdout
    assert "PASS  identity    Ada Lovelace <ada@example.org>" in done.stdout
    assert "0 FAIL, 1 PASS, 0 SKIP" in done.stdout


def test_only_the_missing_half_of_the_identity_is_asked_for(home):
    git("config", "--global", "user.name", "Ada Lovelace")
    done = doctor("identity")
    assert done.returncode == 1
    assert "user.email" in done.stdout
    assert "user.name" not in done.stdout


def test_json_output_parses_and_covers_every_check(home):
    done = doctor("--json")
    results = json.loads(done.stdout)
    assert [r["check"] for r in results][:3] == ["git", "identity", "branch"]
    assert len(results) == 13
    for result in results:
        assert set(result) == {"check", "status", "detail", "fix"}
        assert result["status"] in ("PASS", "FAIL", "SKIP")
        assert bool(result["fix"]) == (result["status"] == "FAIL")
    by_name = {r["check"]: r for r in results}
    assert by_name["identity"]["status"] == "FAIL"
    assert by_name["dotenv"]["status"] == "SKIP"  # the working folder is no repository
    assert done.returncode == 1, done.stderr


def test_exit_status_follows_the_failures(home):
    git("config", "--global", "init.defaultBranch", "main")
    assert doctor("branch").returncode == 0
    git("config", "--global", "init.defaultBranch", "master")
    done = doctor("--json", "branch")
    assert done.returncode == 1
    assert json.loads(done.stdout) == [{
        "check": "branch", "status": "FAIL", "detail": "init.defaultBranch is master",
        "fix": "git config --global init.defaultBranch main"}]


def test_dotenv_is_checked_inside_a_repository(home):
    git("init", "-q")
    assert doctor("dotenv").returncode == 1
    Path(".gitignore").write_text(".env\n")
    done = doctor("dotenv")
    assert done.returncode == 0
    assert "PASS  dotenv" in done.stdout


def test_gpu_is_skipped_without_nvidia_smi(home, monkeypatch):
    monkeypatch.setenv("PATH", os.pathsep.join(
        d for d in os.environ["PATH"].split(os.pathsep)
        if not (Path(d) / "nvidia-smi").exists()))
    done = doctor("gpu")
    assert done.returncode == 0
    assert "SKIP  gpu         no NVIDIA GPU" in done.stdout


def test_gpu_passes_with_a_working_nvidia_smi(home, tmp_path, monkeypatch):
    fake = tmp_path / "bin" / "nvidia-smi"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-1c2940aa)'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    done = doctor("gpu")
    assert done.returncode == 0
    assert "PASS  gpu         1 GPU(s), first: NVIDIA H100 80GB HBM3" in done.stdout


def test_an_unknown_check_is_a_usage_error(home):
    done = doctor("identiy")
    assert done.returncode == 2
    assert "unknown check 'identiy'" in done.stderr
