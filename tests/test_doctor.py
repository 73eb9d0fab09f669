"""Tests for snippets/onboarding/doctor.py, run on the host (no containers).

Programs the doctor asks (docker, nvidia-smi, pre-commit, ssh-add ...) are
stand-in shell scripts on PATH, so each verdict can be shown on any host.
"""
import importlib.util
import json
import os
import shutil
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


@pytest.fixture
def module(home):
    """doctor.py imported, to call one check with constants a test may change."""
    spec = importlib.util.spec_from_file_location("doctor", DOCTOR)
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


@pytest.fixture
def stubs(tmp_path, monkeypatch):
    """A folder first on PATH for stand-in programs; stubs.hide(name) takes a real one off PATH."""
    folder = tmp_path / "stubs"
    folder.mkdir()
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")

    class Stubs:
        def add(self, name: str, script: str) -> Path:
            program = folder / name
            program.write_text("#!/bin/sh\n" + script)
            program.chmod(0o755)
            return program

        def hide(self, *names: str) -> None:
            kept = [d for d in os.environ["PATH"].split(os.pathsep)
                    if d == str(folder) or not any((Path(d) / n).exists() for n in names)]
            monkeypatch.setenv("PATH", os.pathsep.join(kept))

    return Stubs()


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
    assert len(results) == 14
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


NVIDIA_SMI = "echo 'GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-1c2940aa)'\n"


def test_gpu_is_skipped_without_nvidia_smi(home, stubs):
    stubs.hide("nvidia-smi")
    done = doctor("gpu")
    assert done.returncode == 0
    assert "SKIP  gpu         no NVIDIA GPU" in done.stdout


def test_gpu_fails_when_nvidia_smi_cannot_reach_the_driver(home, stubs):
    stubs.add("nvidia-smi", "echo 'NVIDIA-SMI has failed' >&2\nexit 9\n")
    done = doctor("gpu")
    assert done.returncode == 1
    assert "FAIL  gpu         nvidia-smi cannot talk to the driver" in done.stdout


@pytest.mark.parametrize("toolkit", ["nvidia-ctk", "nvidia-container-runtime"])
def test_gpu_passes_with_the_nvidia_container_toolkit(home, stubs, toolkit):
    stubs.add("nvidia-smi", NVIDIA_SMI)
    stubs.add(toolkit, "echo 'NVIDIA Container Toolkit CLI version 1.17.8'\n")
    done = doctor("gpu")
    assert done.returncode == 0, done.stdout
    assert (f"PASS  gpu         1 GPU(s), first: NVIDIA H100 80GB HBM3; "
            f"containers: {toolkit} (NVIDIA Container Toolkit)") in done.stdout


def test_gpu_passes_with_a_cdi_spec_for_nvidia_gpus(module, stubs, tmp_path):
    stubs.add("nvidia-smi", NVIDIA_SMI)
    stubs.hide("nvidia-ctk", "nvidia-container-runtime")
    etc, run = tmp_path / "etc-cdi", tmp_path / "run-cdi"
    etc.mkdir()
    run.mkdir()
    (etc / "vendor.yaml").write_text("cdiVersion: 0.6.0\nkind: example.com/fpga\n")
    (run / "nvidia.yaml").write_text("cdiVersion: 0.6.0\nkind: nvidia.com/gpu\ndevices:\n- name: all\n")
    module.CDI_DIRS = (etc, run)
    assert module.check_gpu() == (
        "PASS", f"1 GPU(s), first: NVIDIA H100 80GB HBM3; containers: CDI spec {run / 'nvidia.yaml'}", "")


def test_gpu_fails_when_containers_cannot_use_it(module, stubs, tmp_path):
    stubs.add("nvidia-smi", NVIDIA_SMI)
    stubs.hide("nvidia-ctk", "nvidia-container-runtime")
    cdi = tmp_path / "cdi"
    cdi.mkdir()
    (cdi / "vendor.json").write_text('{"cdiVersion": "0.6.0", "kind": "example.com/fpga"}')
    module.CDI_DIRS = (cdi, tmp_path / "missing")
    status, detail, fix = module.check_gpu()
    assert status == "FAIL"
    assert detail == ("1 GPU(s), but containers cannot use them: no NVIDIA Container Toolkit "
                      "and no CDI spec for nvidia.com/gpu")
    assert "install the NVIDIA Container Toolkit" in fix
    assert "nvidia-ctk runtime configure --runtime=docker" in fix


# Docker stand-ins: `docker --version` and, with buildx, `docker buildx version`.
def docker_stub(stubs, version: str, buildx: bool) -> None:
    plugin = ('[ "$1 $2" = "buildx version" ] && '
              'echo "github.com/docker/buildx 0.13.1+ds1 0.13.1+ds1-3" && exit 0\n') if buildx else ""
    stubs.add("docker", f'[ "$1" = "--version" ] && echo "Docker version {version}, build a72d7cd" && exit 0\n'
                        f'{plugin}echo "docker: \'$1\' is not a docker command." >&2\nexit 1\n')


def test_buildkit_passes_on_docker_23_or_newer_with_buildx(home, stubs, monkeypatch):
    monkeypatch.delenv("DOCKER_BUILDKIT", raising=False)
    docker_stub(stubs, "26.1.5+dfsg1", buildx=True)
    done = doctor("buildkit")
    assert done.returncode == 0, done.stdout
    assert "PASS  buildkit    Docker 26.1.5 builds with BuildKit (buildx 0.13.1+ds1)" in done.stdout


def test_buildkit_fails_without_the_buildx_plugin(home, stubs, monkeypatch):
    monkeypatch.delenv("DOCKER_BUILDKIT", raising=False)
    docker_stub(stubs, "26.1.5+dfsg1", buildx=False)
    done = doctor("buildkit")
    assert done.returncode == 1
    assert "FAIL  buildkit    the buildx plugin is missing, so docker build uses the legacy builder" in done.stdout
    assert "fix: sudo apt install docker-buildx" in done.stdout


def test_buildkit_fails_when_docker_buildkit_0_picks_the_legacy_builder(home, stubs, monkeypatch):
    monkeypatch.setenv("DOCKER_BUILDKIT", "0")
    docker_stub(stubs, "26.1.5+dfsg1", buildx=True)
    done = doctor("buildkit")
    assert done.returncode == 1
    assert "FAIL  buildkit    DOCKER_BUILDKIT=0 switches docker build back to the legacy builder" in done.stdout
    assert "fix: unset DOCKER_BUILDKIT" in done.stdout


@pytest.mark.parametrize("buildkit", ["", "1"])
def test_buildkit_fails_on_docker_older_than_23_even_with_docker_buildkit_1(home, stubs, monkeypatch, buildkit):
    monkeypatch.setenv("DOCKER_BUILDKIT", buildkit)
    docker_stub(stubs, "20.10.24+dfsg1", buildx=True)
    done = doctor("buildkit")
    assert done.returncode == 1
    assert "FAIL  buildkit    Docker 20.10.24 is past its end of life and builds with the legacy builder" in done.stdout
    assert "fix: sudo apt install docker.io docker-buildx   (Debian 13: Docker 26)" in done.stdout


def test_buildkit_is_skipped_without_docker(home, stubs):
    stubs.hide("docker")
    done = doctor("buildkit")
    assert done.returncode == 0
    assert "SKIP  buildkit    docker is not installed" in done.stdout


def test_python_older_than_the_handbooks_fails_with_its_fix(module):
    status, detail, fix = module.check_python((3, 11, 2))
    assert status == "FAIL"
    assert detail == "Python 3.11.2 is older than 3.13, the version the handbook runs"
    assert fix.splitlines()[0] == "sudo apt install python3   (Debian 13)"


@pytest.mark.parametrize("version", [(3, 13, 5), (3, 14, 0)])
def test_python_313_or_newer_passes(module, version):
    status, detail, _ = module.check_python(version)
    assert status == "PASS"
    assert detail.startswith("Python " + ".".join(map(str, version)) + " (")


# pre-commit: the binary, and the hook that `pre-commit install` writes into the repository.
HOOK = """#!/usr/bin/env bash
# File generated by pre-commit: https://pre-commit.com
# ID: 138fd403232d2ddd5efb44317e38bf03
INSTALL_PYTHON={python}
ARGS=(hook-impl --config=.pre-commit-config.yaml --hook-type=pre-commit)
"""


def pre_commit_stub(stubs):
    stubs.add("pre-commit", "echo 'pre-commit 4.7.0'\n")


def project(hook: str = "") -> Path:
    """A repository with a .pre-commit-config.yaml, and the pre-commit hook given (if any)."""
    git("init", "-q")
    Path(".pre-commit-config.yaml").write_text("repos: []\n")
    if hook:
        Path(".git/hooks/pre-commit").write_text(hook)
    return Path.cwd()


def test_pre_commit_fails_when_not_installed(home, stubs):
    stubs.hide("pre-commit")
    done = doctor("pre-commit")
    assert done.returncode == 1
    assert "FAIL  pre-commit  pre-commit is not installed" in done.stdout


def test_pre_commit_outside_a_repository_is_skipped_with_its_version(home, stubs):
    pre_commit_stub(stubs)
    done = doctor("pre-commit")
    assert done.returncode == 0
    assert "SKIP  pre-commit  pre-commit 4.7.0; run the doctor inside a project to check its hook" in done.stdout


def test_pre_commit_is_skipped_in_a_project_without_a_config(home, stubs):
    pre_commit_stub(stubs)
    git("init", "-q")
    done = doctor("pre-commit")
    assert done.returncode == 0
    assert f"SKIP  pre-commit  {Path.cwd()} has no .pre-commit-config.yaml" in done.stdout


def test_pre_commit_fails_when_the_hook_is_not_installed(home, stubs):
    pre_commit_stub(stubs)
    top = project()
    done = doctor("--json", "pre-commit")
    assert done.returncode == 1
    assert json.loads(done.stdout) == [{
        "check": "pre-commit", "status": "FAIL", "detail": f"the hook is not installed in {top}",
        "fix": "pre-commit install"}]


def test_pre_commit_fails_when_another_program_owns_the_hook(home, stubs):
    pre_commit_stub(stubs)
    project("#!/bin/sh\nexec ./lint.sh\n")
    done = doctor("pre-commit")
    assert done.returncode == 1
    assert "is another program's" in done.stdout
    assert "fix: pre-commit install   (it keeps the old hook as pre-commit.legacy" in done.stdout


def test_pre_commit_passes_once_the_hook_is_installed(home, stubs):
    pre_commit_stub(stubs)
    top = project(HOOK.format(python="/nowhere/.venv/bin/python3"))
    done = doctor("pre-commit")
    assert done.returncode == 0, done.stdout
    assert f"PASS  pre-commit  the hook runs before every commit in {top}" in done.stdout


def test_pre_commit_hook_works_through_its_own_python_without_pre_commit_on_path(home, stubs):
    stubs.hide("pre-commit")
    project(HOOK.format(python=sys.executable))
    assert doctor("pre-commit").returncode == 0


def test_pre_commit_fails_when_the_hooks_python_is_gone(home, stubs):
    stubs.hide("pre-commit")
    top = project(HOOK.format(python="/nowhere/.venv/bin/python3"))
    done = doctor("pre-commit")
    assert done.returncode == 1
    assert f"FAIL  pre-commit  the hook in {top} cannot find pre-commit" in done.stdout


# SSH: real keys made with ssh-keygen in the test's HOME; ssh-add is a stand-in.
def new_key(home: Path, name: str = "id_ed25519", kind: str = "ed25519") -> Path:
    folder = home / ".ssh"
    folder.mkdir(mode=0o700, exist_ok=True)
    subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", "ada@example.org",
                    "-f", str(folder / name)], check=True)
    return folder / name


needs_ssh = pytest.mark.skipif(not (shutil.which("ssh") and shutil.which("ssh-keygen")),
                               reason="the OpenSSH client is not installed on this host")


@needs_ssh
def test_ssh_fails_without_a_key_and_offers_one_with_your_email(home):
    git("config", "--global", "user.email", "ada@example.org")
    done = doctor("ssh")
    assert done.returncode == 1
    assert "FAIL  ssh         no SSH key in ~/.ssh" in done.stdout
    assert 'fix: ssh-keygen -t ed25519 -C "ada@example.org"' in done.stdout
    assert "cat ~/.ssh/id_ed25519.pub" in done.stdout


def test_ssh_fails_without_the_ssh_client(home, stubs):
    stubs.hide("ssh")
    done = doctor("ssh")
    assert done.returncode == 1
    assert "FAIL  ssh         ssh is not installed" in done.stdout
    assert "fix: sudo apt install openssh-client" in done.stdout


@needs_ssh
def test_ssh_refuses_a_lone_dsa_key(home):
    folder = home / ".ssh"
    folder.mkdir()
    (folder / "id_dsa").write_text("-----BEGIN DSA PRIVATE KEY-----\n")
    (folder / "id_dsa.pub").write_text("ssh-dss AAAAB3NzaC1kc3M ada@example.org\n")
    done = doctor("ssh")
    assert done.returncode == 1
    assert "FAIL  ssh         your only SSH key is a DSA key, which OpenSSH 10 no longer accepts" in done.stdout


@needs_ssh
def test_ssh_passes_with_a_key_and_hints_at_the_agent(home, stubs):
    stubs.add("ssh-add", "echo 'Could not open a connection to your authentication agent.' >&2\nexit 2\n")
    new_key(home)
    done = doctor("ssh")
    assert done.returncode == 0, done.stdout
    assert ("PASS  ssh         ed25519 key ~/.ssh/id_ed25519.pub "
            "(hint: AddKeysToAgent yes in ~/.ssh/config saves retyping its passphrase)") in done.stdout


@needs_ssh
def test_ssh_finds_a_key_with_another_name(home, stubs):
    stubs.add("ssh-add", "exit 2\n")
    new_key(home, "work_ecdsa", "ecdsa")
    done = doctor("ssh")
    assert done.returncode == 0, done.stdout
    assert "PASS  ssh         ecdsa key ~/.ssh/work_ecdsa.pub" in done.stdout


@needs_ssh
def test_ssh_says_when_the_agent_holds_the_key(home, stubs):
    key = new_key(home)
    listed = subprocess.run(["ssh-keygen", "-l", "-f", f"{key}.pub"], capture_output=True, text=True).stdout
    stubs.add("ssh-add", f"echo '{listed.strip()}'\n")
    done = doctor("ssh")
    assert done.returncode == 0, done.stdout
    assert "PASS  ssh         ed25519 key ~/.ssh/id_ed25519.pub, loaded in ssh-agent" in done.stdout


@needs_ssh
def test_ssh_says_when_the_config_adds_the_key_to_the_agent(home, stubs):
    stubs.add("ssh-add", "echo 'The agent has no identities.'\nexit 1\n")
    new_key(home)
    (home / ".ssh" / "config").write_text("Host *\n    AddKeysToAgent yes\n")
    done = doctor("ssh")
    assert done.returncode == 0, done.stdout
    assert "ed25519 key ~/.ssh/id_ed25519.pub, added to ssh-agent on first use (~/.ssh/config)" in done.stdout


@needs_ssh
def test_ssh_fails_on_a_private_key_others_can_read(home, stubs):
    stubs.add("ssh-add", "exit 2\n")
    new_key(home).chmod(0o644)
    done = doctor("ssh")
    assert done.returncode == 1
    assert "FAIL  ssh         ~/.ssh/id_ed25519 can be read by others, so ssh refuses to use it" in done.stdout
    assert "fix: chmod 600 ~/.ssh/id_ed25519" in done.stdout


def test_an_unknown_check_is_a_usage_error(home):
    done = doctor("identiy")
    assert done.returncode == 2
    assert "unknown check 'identiy'" in done.stderr
