"""Check that this machine is ready for the team's projects.

Each check prints PASS, FAIL or SKIP (with the reason), and every FAIL
comes with the command that fixes it. Standard library only, and it runs
on Python 3.9 or newer, so that it can tell you when your Python is too old.

    python3 doctor.py                 # every check
    python3 doctor.py identity make   # only the checks you name
    python3 doctor.py --json          # results as JSON, for scripts

Exit status: 0 when nothing failed, 1 when a check failed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

# The handbook's examples run on Debian 13's Python 3.13; older versions miss
# what the pinned requirements and the chapters rely on.
PYTHON_MINIMUM = (3, 13)
# Docker 23 made BuildKit (through the buildx plugin) the default builder.
DOCKER_BUILDKIT_DEFAULT = (23, 0)
# Where container engines look for CDI specs, the files that describe a GPU to them.
CDI_DIRS = (Path("/etc/cdi"), Path("/var/run/cdi"))
# SSH keys in the order ssh itself tries them; DSA keys no longer work with OpenSSH 10.
SSH_KEYS = ("id_ed25519", "id_ed25519_sk", "id_ecdsa", "id_ecdsa_sk", "id_rsa")


def run(*command):
    """Run a command quietly; return its exit status and its stripped stdout."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, errors="replace", timeout=30)
    except FileNotFoundError:
        return 127, ""
    except subprocess.TimeoutExpired:
        return 124, ""
    return done.returncode, done.stdout.strip()


def tilde(path: Path) -> str:
    """A path under your home folder as ~/..., the way you would type it."""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def repository():
    """The top folder of the git repository you are standing in, or None."""
    if not shutil.which("git"):
        return None
    status, top = run("git", "rev-parse", "--show-toplevel")
    return Path(top) if status == 0 and top else None


def passed(detail):
    return "PASS", detail, ""


def failed(detail, fix):
    return "FAIL", detail, fix


def skipped(reason):
    return "SKIP", reason, ""


def version_of(program, fix):
    """PASS with the first line of `program --version`, or FAIL with the fix."""
    status, out = run(program, "--version")
    if status != 0 or not out:
        return failed(f"{program} is not installed", fix)
    return passed(out.splitlines()[0])


def check_git():
    return version_of("git", "sudo apt install git   (macOS: xcode-select --install)")


def check_identity():
    if not shutil.which("git"):
        return skipped("git is not installed")
    name = run("git", "config", "user.name")[1]
    email = run("git", "config", "user.email")[1]
    fix = []
    if not name:
        fix.append('git config --global user.name "Your Name"')
    if not email:
        fix.append('git config --global user.email "you@example.org"')
    if fix:
        return failed("git does not know who you are", "\n".join(fix))
    return passed(f"{name} <{email}>")


def check_branch():
    if not shutil.which("git"):
        return skipped("git is not installed")
    branch = run("git", "config", "init.defaultBranch")[1]
    if branch != "main":
        return failed(
            f"init.defaultBranch is {branch or 'not set'}",
            "git config --global init.defaultBranch main",
        )
    return passed("new repositories start on main")


def ssh_keys(folder: Path) -> list:
    """Your private SSH keys: those with a public half beside them, in the order ssh tries them."""
    keys = [folder / name for name in SSH_KEYS if (folder / f"{name}.pub").is_file()]
    others = sorted(pub.with_suffix("") for pub in folder.glob("*.pub"))
    keys += [key for key in others if key not in keys and key.name != "id_dsa"]
    return [key for key in keys if key.is_file()]


def check_ssh():
    if not shutil.which("ssh"):
        return failed("ssh is not installed", "sudo apt install openssh-client")
    folder = Path.home() / ".ssh"
    keys = ssh_keys(folder)
    email = run("git", "config", "user.email")[1] or "you@example.org"
    new_key = (
        f'ssh-keygen -t ed25519 -C "{email}"\n'
        "cat ~/.ssh/id_ed25519.pub   (paste it into your SSH keys on the team's Git server)"
    )
    if not keys:
        if (folder / "id_dsa").is_file():
            return failed(
                "your only SSH key is a DSA key, which OpenSSH 10 no longer accepts", new_key
            )
        return failed("no SSH key in ~/.ssh", new_key)
    key = keys[0]
    if key.stat().st_mode & 0o077:  # ssh refuses a private key that others can read
        return failed(
            f"{tilde(key)} can be read by others, so ssh refuses to use it",
            f"chmod 600 {tilde(key)}",
        )
    public = key.with_name(key.name + ".pub")
    # 256 SHA256:... ada@... (ED25519)
    listed = run("ssh-keygen", "-l", "-f", str(public))[1].split()
    if len(listed) < 3:
        return failed(
            f"{tilde(public)} is not a public key that ssh-keygen can read",
            f"ssh-keygen -y -f {tilde(key)} > {tilde(public)}",
        )
    fingerprint, kind = listed[1], listed[-1].strip("()").lower()
    detail = f"{kind} key {tilde(public)}"
    status, agent = run("ssh-add", "-l")  # 0: the agent lists keys; 1: none; 2: no agent
    config = folder / "config"
    if status == 0 and fingerprint in agent:
        return passed(f"{detail}, loaded in ssh-agent")
    if config.is_file() and re.search(
        r"(?im)^\s*AddKeysToAgent\s+(yes|confirm|ask)", config.read_text(errors="replace")
    ):
        return passed(f"{detail}, added to ssh-agent on first use (~/.ssh/config)")
    return passed(
        f"{detail} (hint: AddKeysToAgent yes in ~/.ssh/config saves retyping its passphrase)"
    )


def check_python(version_info: tuple = tuple(sys.version_info[:3])):
    version = ".".join(str(part) for part in version_info[:3])
    minimum = ".".join(str(part) for part in PYTHON_MINIMUM)
    if tuple(version_info[:2]) < PYTHON_MINIMUM:
        return failed(
            f"Python {version} is older than {minimum}, the version the handbook runs",
            "sudo apt install python3   (Debian 13)\n"
            f"uv python install {minimum}   (elsewhere; or https://www.python.org/downloads/)",
        )
    return passed(f"Python {version} ({sys.executable})")


def check_venv():
    if find_spec("venv") is None or find_spec("ensurepip") is None:
        return failed(
            "python3 -m venv cannot create environments with pip", "sudo apt install python3-venv"
        )
    return passed("python3 -m venv is available")


def check_conda():
    if os.environ.get("CONDA_DEFAULT_ENV") == "base":
        return failed(
            "conda's base environment is active",
            "conda deactivate\nconda config --set auto_activate_base false",
        )
    return passed("not inside conda's base environment")


def check_lock():
    if sys.prefix == sys.base_prefix:
        return skipped("no virtual environment is active")
    scripts = Path(sys.prefix) / ("Scripts" if os.name == "nt" else "bin")
    found = shutil.which("pip-compile", path=str(scripts)) or shutil.which("uv")
    if not found:
        return failed(
            "neither pip-compile nor uv is available",
            "python3 -m pip install pip-tools   (inside the venv)",
        )
    return passed(found)


def check_pre_commit():
    install = "python3 -m pip install pre-commit   (inside a venv, or use pipx)"
    status, version = run("pre-commit", "--version")
    installed = status == 0 and bool(version)
    top = repository()
    if top is None:
        if not installed:
            return failed("pre-commit is not installed", install)
        return skipped(f"{version}; run the doctor inside a project to check its hook")
    if not (top / ".pre-commit-config.yaml").is_file():
        return skipped(f"{top} has no .pre-commit-config.yaml")
    # The hook git runs, wherever core.hooksPath or a worktree puts it.
    hook = top / run("git", "-C", str(top), "rev-parse", "--git-path", "hooks/pre-commit")[1]
    text = hook.read_text(errors="replace") if hook.is_file() else ""
    if "generated by pre-commit" not in text:
        fix = "pre-commit install" if installed else f"{install}\npre-commit install"
        if text:
            return failed(
                f"the pre-commit hook in {top} is another program's",
                fix + "   (it keeps the old hook as pre-commit.legacy and runs it too)",
            )
        return failed(f"the hook is not installed in {top}", fix)
    # The hook calls the Python that installed it, else a pre-commit on PATH.
    found = re.search(r"^INSTALL_PYTHON=(.*)$", text, re.MULTILINE)
    if not installed and not (found and os.access(found.group(1).strip("'\""), os.X_OK)):
        return failed(
            f"the hook in {top} cannot find pre-commit (was its venv removed?)",
            f"{install}\npre-commit install",
        )
    return passed(f"the hook runs before every commit in {top}")


def check_docker():
    if not shutil.which("docker"):
        return failed(
            "docker is not installed",
            "install Docker Engine: https://docs.docker.com/engine/install/",
        )
    status, out = run("docker", "info", "--format", "{{.ServerVersion}}")
    if status != 0 or not out:
        return failed(
            "docker cannot reach the engine",
            "sudo systemctl start docker\n"
            "sudo usermod -aG docker $USER   (then log out and back in)",
        )
    return passed(f"engine {out}")


def check_buildkit():
    if not shutil.which("docker"):
        return skipped("docker is not installed")
    found = re.search(r"(\d+)\.(\d+)(\.\d+)?", run("docker", "--version")[1])
    if not found or tuple(int(part) for part in found.groups()[:2]) < DOCKER_BUILDKIT_DEFAULT:
        version = found.group(0) if found else "of unknown version"
        return failed(
            f"Docker {version} is past its end of life and builds with the legacy builder",
            "sudo apt install docker.io docker-buildx   (Debian 13: Docker 26)\n"
            "or Docker Engine 23 or newer: https://docs.docker.com/engine/install/",
        )
    if os.environ.get("DOCKER_BUILDKIT") == "0":
        return failed(
            "DOCKER_BUILDKIT=0 switches docker build back to the legacy builder",
            "unset DOCKER_BUILDKIT   (and delete the line that sets it, e.g. in ~/.bashrc)",
        )
    status, out = run("docker", "buildx", "version")  # "github.com/docker/buildx 0.13.1 ..."
    if status != 0:
        return failed(
            "the buildx plugin is missing, so docker build uses the legacy builder",
            "sudo apt install docker-buildx   (Debian 13)\n"
            "or https://docs.docker.com/build/install-buildx/",
        )
    buildx = out.split()[1] if len(out.split()) > 1 else out
    return passed(f"Docker {found.group(0)} builds with BuildKit (buildx {buildx})")


def container_gpu_support() -> str:
    """What gives containers the GPU: the NVIDIA Container Toolkit or a CDI spec ('' if neither)."""
    for program in ("nvidia-ctk", "nvidia-container-runtime"):
        if shutil.which(program):
            return f"{program} (NVIDIA Container Toolkit)"
    for folder in CDI_DIRS:
        for spec in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.json")):
            try:
                if "nvidia.com/gpu" in spec.read_text(errors="replace"):
                    return f"CDI spec {spec}"
            except OSError:  # a spec we may not read tells us nothing
                continue
    return ""


def check_gpu():
    if not shutil.which("nvidia-smi"):
        return skipped("no NVIDIA GPU (nvidia-smi not found)")
    status, out = run("nvidia-smi", "-L")
    if status != 0 or not out:
        return failed(
            "nvidia-smi cannot talk to the driver",
            "reboot after a driver update, or reinstall the NVIDIA driver",
        )
    gpus = out.splitlines()  # "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-...)"
    name = gpus[0].split(": ", 1)[-1].split(" (UUID")[0]
    bridge = container_gpu_support()
    if not bridge:
        return failed(
            f"{len(gpus)} GPU(s), but containers cannot use them: no NVIDIA Container Toolkit "
            "and no CDI spec for nvidia.com/gpu",
            "install the NVIDIA Container Toolkit: https://docs.nvidia.com/datacenter/"
            "cloud-native/container-toolkit/latest/install-guide.html\n"
            "sudo nvidia-ctk runtime configure --runtime=docker && sudo systemctl restart docker",
        )
    return passed(f"{len(gpus)} GPU(s), first: {name}; containers: {bridge}")


def check_make():
    return version_of("make", "sudo apt install make   (macOS: xcode-select --install)")


def check_dotenv():
    if not shutil.which("git"):
        return skipped("git is not installed")
    top = repository()
    if top is None:
        return skipped("not inside a git repository")
    if run("git", "-C", top, "check-ignore", "-q", ".env")[0] != 0:
        return failed(
            f".env is not git-ignored in {top}",
            f"echo .env >> {top}/.gitignore\n"
            "git rm --cached --ignore-unmatch .env"
            "   (if it was committed, change the secrets in it too)",
        )
    return passed(f".env is git-ignored in {top}")


CHECKS = {
    "git": check_git,
    "identity": check_identity,
    "branch": check_branch,
    "ssh": check_ssh,
    "python": check_python,
    "venv": check_venv,
    "conda": check_conda,
    "lock": check_lock,
    "pre-commit": check_pre_commit,
    "docker": check_docker,
    "buildkit": check_buildkit,
    "gpu": check_gpu,
    "make": check_make,
    "dotenv": check_dotenv,
}


def main():
    parser = argparse.ArgumentParser(description="Check that this machine is ready.")
    parser.add_argument(
        "checks", nargs="*", metavar="CHECK", help="run only these checks: " + ", ".join(CHECKS)
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    unknown = [name for name in args.checks if name not in CHECKS]
    if unknown:
        parser.error(f"unknown check {unknown[0]!r}; choose from: {', '.join(CHECKS)}")

    results = []
    for name in args.checks or CHECKS:
        try:
            status, detail, fix = CHECKS[name]()
        except Exception as error:  # a broken check must not hide the others
            status, detail, fix = failed(f"the check crashed: {error!r}", "tell the team")
        results.append({"check": name, "status": status, "detail": detail, "fix": fix})

    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for result in results:
            print(f"{result['status']}  {result['check']:<11} {result['detail']}")
            for number, line in enumerate(result["fix"].splitlines()):
                print(("      fix: " if number == 0 else "           ") + line)
        counts = [f"{sum(r['status'] == s for r in results)} {s}" for s in ("FAIL", "PASS", "SKIP")]
        print("\n" + ", ".join(counts))
    return 1 if any(r["status"] == "FAIL" for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
