"""Set up a Colab-like Jupyter kernel: Colab's versions, no aelib, and Colab's install path.

``make colab`` runs this, then the smoke tests on that kernel (``tests/test_recipes.py`` with
``AELIB_SMOKE_KERNEL=aebook-colab``). This script:

1. makes a virtual environment with Colab's Python and package versions
   (``tests/colab/requirements.txt``; reused while that file is unchanged) without aelib;
2. makes its kernel look like Colab's: an IPython startup file imports a stub ``google.colab``
   module; since aelib is missing, each notebook's install cell runs;
3. points that cell's Git URL at this checkout: git's ``url.<local>.insteadOf`` rewrites the
   repository URL from ``_config.yml`` to a local bare clone holding this checkout's history
   (its branch is HEAD with uncommitted changes to tracked files), so
   ``pip install "aelib @ git+URL@COMMIT"`` is exercised exactly as written. The cell pins the
   last commit that changed aelib (``make sync``), so aelib's uncommitted changes are not what
   it installs: commit them, sync, and run this again;
4. gives each test worker (``main``, and ``gw0``... for ``pytest -n``) an environment of its own
   on top of that one, so that two notebooks installing aelib at once never share a pip;
5. writes one kernel spec per worker, ``aebook-colab-<worker>`` (found with
   ``JUPYTER_PATH=_build/colab/jupyter``), and ``_build/colab/kernel.json``, which tells the
   tests each worker's interpreter, the URL and the pin.

Usage: ``python tests/colab/setup.py [--python python3.12] [--workers 2]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from packaging.utils import canonicalize_name

from booktools import book

KERNEL_NAME = "aebook-colab"


def run(command, **kwargs):
    """Run a command, raising with its output when it fails."""
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(map(str, command))} failed ({result.returncode}):\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result.stdout


def find_python(preferred: str) -> str:
    """A working ``preferred`` interpreter (on PATH, under pyenv or in /usr/bin), else this one."""
    name = Path(preferred).name
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = [preferred, shutil.which(preferred)]
    candidates += sorted(
        map(str, pyenv_root.glob(f"versions/{name.removeprefix('python')}*/bin/{name}"))
    )
    candidates += [f"/usr/bin/{name}", f"/usr/local/bin/{name}"]
    for candidate in filter(None, candidates):
        try:
            probe = subprocess.run([candidate, "-c", "import venv"], capture_output=True)
        except OSError:
            continue
        if probe.returncode == 0:
            return candidate
    print(f"{preferred} not found; using {sys.executable} instead", flush=True)
    return sys.executable


def make_environment(venv: Path, python: str) -> Path:
    """Create (or reuse, when its requirements are unchanged) the Colab-like environment."""
    requirements = (HERE / "requirements.txt").read_text()
    stamp = venv / "colab-requirements.txt"
    interpreter = venv / "bin" / "python"
    if not (stamp.exists() and stamp.read_text() == requirements and interpreter.exists()):
        shutil.rmtree(venv, ignore_errors=True)
        run([python, "-m", "venv", str(venv)])
        run([str(interpreter), "-m", "pip", "install", "-q", "--upgrade", "pip"])
        run([str(interpreter), "-m", "pip", "install", "-q", "-r", str(HERE / "requirements.txt")])
        stamp.write_text(requirements)
    return interpreter


def make_worker_environment(base: Path, worker: Path) -> Path:
    """An environment whose own site-packages (empty at first) sits in front of ``base``'s.

    The notebooks' install cells put aelib into the worker's folder; Colab's packages come
    from ``base``, installed once.
    """
    interpreter = worker / "bin" / "python"
    # Each run starts from an empty folder, as Colab does: whatever a notebook's install cell put
    # there last time (aelib, and any package it upgraded) must not carry over.
    shutil.rmtree(worker, ignore_errors=True)
    run([str(base / "bin" / "python"), "-m", "venv", "--without-pip", str(worker)])
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    base_packages = run([str(base / "bin" / "python"), "-c", code]).strip()
    worker_packages = Path(run([str(interpreter), "-c", code]).strip())
    # A .pth line that starts with "import" runs at start-up: addsitedir also reads base's .pth.
    (worker_packages / "_colab_base.pth").write_text(
        f"import site; site.addsitedir({base_packages!r})\n"
    )
    if aelib_installed(interpreter) is not None:
        raise RuntimeError(f"aelib is still installed in the Colab-like environment {worker}.")
    return interpreter


def pinned_versions(requirements: str) -> dict[str, str]:
    """``{normalized name: version}`` for each ``name==version`` line of a requirements file."""
    pins = {}
    for line in requirements.splitlines():
        requirement = line.split("#")[0].strip()
        if "==" in requirement:
            name, version = (part.strip() for part in requirement.split("==", 1))
            pins[canonicalize_name(name)] = version
    return pins


def replaced_packages(report: dict, pins: dict[str, str]) -> list[str]:
    """Pinned packages that pip's install ``report`` would replace, as 'name old -> new'."""
    replaced = []
    for item in report.get("install", []):
        name = canonicalize_name(item["metadata"]["name"])
        version = item["metadata"]["version"]
        if name in pins and version != pins[name]:
            replaced.append(f"{name} {pins[name]} -> {version}")
    return replaced


def check_install_keeps_colab(interpreter: Path, requirement: str, env: dict[str, str]) -> None:
    """Raise if installing ``requirement`` (the notebooks' install cell) would replace any of
    Colab's pinned packages: on Colab that breaks TensorFlow or asks for a runtime restart."""
    report = run(
        [str(interpreter), "-m", "pip", "install", "--dry-run", "-q", "--report", "-", requirement],
        env={**os.environ, **env},
        cwd="/",
    )
    pins = pinned_versions((HERE / "requirements.txt").read_text())
    replaced = replaced_packages(json.loads(report), pins)
    if replaced:
        raise RuntimeError(
            f"installing {requirement} would replace Colab's {', '.join(replaced)}: relax or cap "
            "aelib's dependencies in pyproject.toml so that Colab's versions satisfy them."
        )


def worker_names(count: int) -> list[str]:
    """``main`` for a plain pytest run, then pytest-xdist's ``gw0``, ``gw1``... for ``-n count``."""
    if count < 1:
        raise ValueError(f"--workers must be at least 1, not {count}.")
    return ["main"] + [f"gw{index}" for index in range(count)]


def make_local_remote(workdir: Path, branch: str) -> tuple[Path, str]:
    """A bare clone of this checkout whose ``branch`` is HEAD plus uncommitted tracked changes.

    Every commit before HEAD comes with it, so the one the install cells pin is there.
    """
    remote = workdir / "aebook.git"
    shutil.rmtree(remote, ignore_errors=True)
    # As on GitHub, the remote's HEAD names the branch: a clone then checks it out, which pip
    # needs before it checks out a pinned commit (with an unborn HEAD, `git rev-parse HEAD` fails).
    run(["git", "init", "-q", "--bare", f"--initial-branch={branch}", str(remote)])
    # `git stash create` makes a commit of the working tree without touching it (empty if clean).
    identity = {"GIT_AUTHOR_NAME": "aebook", "GIT_AUTHOR_EMAIL": "aebook@localhost"}
    identity |= {"GIT_COMMITTER_NAME": "aebook", "GIT_COMMITTER_EMAIL": "aebook@localhost"}
    commit = run(["git", "stash", "create"], cwd=ROOT, env={**os.environ, **identity}).strip()
    commit = commit or run(["git", "rev-parse", "HEAD"], cwd=ROOT).strip()
    run(["git", "push", "-q", str(remote), f"{commit}:refs/heads/{branch}"], cwd=ROOT)
    return remote, commit


def kernel_environment(workdir: Path, remote: Path, url: str) -> dict[str, str]:
    """The kernel's extra environment: a Colab-like startup, and the Git URL redirected."""
    stub = workdir / "stub" / "google" / "colab"
    stub.mkdir(parents=True, exist_ok=True)
    (stub / "__init__.py").write_text('"""Stand-in for Colab\'s google.colab module."""\n')
    startup = workdir / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    # Colab's kernel has imported google.colab before the first cell runs.
    (startup / "00-colab.py").write_text("import google.colab  # noqa: F401\n")
    gitconfig = workdir / "gitconfig"
    gitconfig.write_text(f'[url "file://{remote}"]\n\tinsteadOf = {url}\n')
    return {
        "PYTHONPATH": str(workdir / "stub"),
        "IPYTHONDIR": str(workdir / "ipython"),
        "GIT_CONFIG_GLOBAL": str(gitconfig),
        "GIT_CONFIG_NOSYSTEM": "1",
    }


def aelib_installed(interpreter: Path) -> dict | None:
    """pip's record of where the installed aelib came from, or None when it is not installed."""
    code = (
        "import importlib.metadata as m, json\n"
        "try:\n    d = m.distribution('aelib')\nexcept m.PackageNotFoundError:\n    print('null')\n"
        "else:\n    print(d.read_text('direct_url.json') or '{}')\n"
    )
    return json.loads(run([str(interpreter), "-c", code], cwd="/"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="python3.12", help="interpreter for the environment")
    parser.add_argument("--workdir", type=Path, default=ROOT / "_build" / "colab")
    parser.add_argument("--workers", type=int, default=2, help="parallel test workers (-n)")
    arguments = parser.parse_args(argv)
    workdir = arguments.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)

    started = time.perf_counter()
    interpreter = make_environment(workdir / "venv", find_python(arguments.python))
    run([str(interpreter), "-m", "pip", "uninstall", "-q", "-y", "aelib"])
    if aelib_installed(interpreter) is not None:
        raise RuntimeError("aelib is still installed in the Colab-like environment.")
    versions = run(
        [
            str(interpreter),
            "-c",
            "import sys, tensorflow as tf, keras; "
            "print(f'Python {sys.version.split()[0]}, TensorFlow {tf.__version__}, "
            "Keras {keras.__version__}')",
        ],
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    ).strip()

    url, branch = book.read_repository(ROOT / "_config.yml")
    remote, commit = make_local_remote(workdir, branch)
    pin = book.aelib_revision(ROOT)
    notebooks = sorted((ROOT / "recipes").glob("[0-9][0-9]_*.ipynb"))
    stale = [path.name for path in notebooks if f"@{pin}" not in path.read_text()]
    if stale:
        print(f"warning: {stale} do not pin aelib at {pin[:12]}, its last commit: run make sync")
    uncommitted = run(["git", "status", "--porcelain", "--", "aelib", "pyproject.toml"], cwd=ROOT)
    if uncommitted.strip():
        print(f"warning: uncommitted changes the notebooks will not install:\n{uncommitted}")
    environment = kernel_environment(workdir, remote, url)
    workers = {}
    for worker in worker_names(arguments.workers):
        python = make_worker_environment(workdir / "venv", workdir / "workers" / worker)
        name = f"{KERNEL_NAME}-{worker}"
        spec = workdir / "jupyter" / "kernels" / name
        spec.mkdir(parents=True, exist_ok=True)
        kernel = {
            "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": f"Colab-like ({versions}), {worker}",
            "language": "python",
            "env": environment,
        }
        (spec / "kernel.json").write_text(json.dumps(kernel, indent=2))
        workers[worker] = {"python": str(python), "kernel": name}
    check_install_keeps_colab(python, f"aelib @ git+{url}@{pin}", environment)
    facts = {"workers": workers, "commit": commit, "url": url, "branch": branch, "pin": pin}
    (workdir / "kernel.json").write_text(json.dumps({**facts, "versions": versions}, indent=2))
    print(
        f"Colab-like kernels {KERNEL_NAME}-{{{','.join(workers)}}} ready in "
        f"{time.perf_counter() - started:.0f} s: {versions}; aelib will come from "
        f"{url}@{pin[:12]} (the recipes' pin)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
