"""Check that this machine is ready for the team's projects.

Each check prints PASS, FAIL or SKIP (with the reason), and every FAIL
comes with the command that fixes it. Standard library only, Python 3.9+.

    python3 doctor.py                 # every check
    python3 doctor.py identity make   # only the checks you name
    python3 doctor.py --json          # results as JSON, for scripts

Exit status: 0 when nothing failed, 1 when a check failed.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path


def run(*command):
    """Run a command quietly; return its exit status and its stripped stdout."""
    try:
        done = subprocess.run(command, capture_output=True, text=True,
                              errors="replace", timeout=30)
    except FileNotFoundError:
        return 127, ""
    except subprocess.TimeoutExpired:
        return 124, ""
    return done.returncode, done.stdout.strip()


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
        return failed(f"init.defaultBranch is {branch or 'not set'}",
                      "git config --global init.defaultBranch main")
    return passed("new repositories start on main")


def check_python():
    version = ".".join(str(part) for part in sys.version_info[:3])
    if sys.version_info < (3, 9):
        return failed(f"Python {version} is older than 3.9",
                      "install Python 3.9 or newer (Debian/Ubuntu: sudo apt install python3)")
    return passed(f"Python {version} ({sys.executable})")


def check_venv():
    if find_spec("venv") is None or find_spec("ensurepip") is None:
        return failed("python3 -m venv cannot create environments with pip",
                      "sudo apt install python3-venv")
    return passed("python3 -m venv is available")


def check_conda():
    if os.environ.get("CONDA_DEFAULT_ENV") == "base":
        return failed("conda's base environment is active",
                      "conda deactivate\nconda config --set auto_activate_base false")
    return passed("not inside conda's base environment")


def check_lock():
    if sys.prefix == sys.base_prefix:
        return skipped("no virtual environment is active")
    scripts = Path(sys.prefix) / ("Scripts" if os.name == "nt" else "bin")
    found = shutil.which("pip-compile", path=str(scripts)) or shutil.which("uv")
    if not found:
        return failed("neither pip-compile nor uv is available",
                      "python3 -m pip install pip-tools   (inside the venv)")
    return passed(found)


def check_pre_commit():
    return version_of("pre-commit", "python3 -m pip install pre-commit   (inside a venv, or use pipx)")


def check_docker():
    if not shutil.which("docker"):
        return failed("docker is not installed",
                      "install Docker Engine: https://docs.docker.com/engine/install/")
    status, out = run("docker", "info", "--format", "{{.ServerVersion}}")
    if status != 0 or not out:
        return failed("docker cannot reach the engine",
                      "sudo systemctl start docker\n"
                      "sudo usermod -aG docker $USER   (then log out and back in)")
    return passed(f"engine {out}")


def check_buildkit():
    if not shutil.which("docker"):
        return skipped("docker is not installed")
    status, out = run("docker", "buildx", "version")
    if status == 0:
        return passed(out)
    found = re.search(r"(\d+)\.(\d+)", run("docker", "--version")[1])
    version = tuple(int(part) for part in found.groups()) if found else (0, 0)
    if (18, 9) <= version < (23, 0):
        if os.environ.get("DOCKER_BUILDKIT") == "1":
            return passed("docker build uses BuildKit (DOCKER_BUILDKIT=1)")
        return failed("docker build does not use BuildKit",
                      "echo 'export DOCKER_BUILDKIT=1' >> ~/.bashrc   (then open a new terminal)")
    return failed("the buildx plugin is missing",
                  "install the buildx plugin: https://docs.docker.com/build/install-buildx/")


def check_gpu():
    if not shutil.which("nvidia-smi"):
        return skipped("no NVIDIA GPU (nvidia-smi not found)")
    status, out = run("nvidia-smi", "-L")
    if status != 0 or not out:
        return failed("nvidia-smi cannot talk to the driver",
                      "reboot after a driver update, or reinstall the NVIDIA driver")
    gpus = out.splitlines()  # "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-...)"
    name = gpus[0].split(": ", 1)[-1].split(" (UUID")[0]
    return passed(f"{len(gpus)} GPU(s), first: {name}")


def check_make():
    return version_of("make", "sudo apt install make   (macOS: xcode-select --install)")


def check_dotenv():
    if not shutil.which("git"):
        return skipped("git is not installed")
    status, top = run("git", "rev-parse", "--show-toplevel")
    if status != 0:
        return skipped("not inside a git repository")
    if run("git", "-C", top, "check-ignore", "-q", ".env")[0] != 0:
        return failed(f".env is not git-ignored in {top}",
                      f"echo .env >> {top}/.gitignore\n"
                      "git rm --cached --ignore-unmatch .env   (if it was committed, change the secrets in it too)")
    return passed(f".env is git-ignored in {top}")


CHECKS = {
    "git": check_git,
    "identity": check_identity,
    "branch": check_branch,
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
    parser.add_argument("checks", nargs="*", metavar="CHECK",
                        help="run only these checks: " + ", ".join(CHECKS))
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
