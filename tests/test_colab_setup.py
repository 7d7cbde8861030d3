"""The Colab-like kernel's plumbing (tests/colab/setup.py), without building the environment."""

import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_SPEC = importlib.util.spec_from_file_location("colab_setup", ROOT / "tests" / "colab" / "setup.py")
colab_setup = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(colab_setup)


def test_local_remote_serves_this_checkout_under_the_branch_name(tmp_path):
    remote, commit = colab_setup.make_local_remote(tmp_path, "main")
    listed = subprocess.run(
        ["git", "ls-remote", str(remote), "refs/heads/main"], capture_output=True, text=True
    )
    assert listed.stdout.split()[0] == commit
    # The commit holds this checkout's tracked files, uncommitted changes included.
    shown = subprocess.run(
        ["git", "--git-dir", str(remote), "show", f"{commit}:aelib/__init__.py"],
        capture_output=True,
        text=True,
    )
    assert shown.stdout == (ROOT / "aelib" / "__init__.py").read_text()


def test_local_remote_holds_the_commit_the_recipes_pin(tmp_path):
    remote, _ = colab_setup.make_local_remote(tmp_path, "main")
    pin = colab_setup.book.aelib_revision(ROOT)
    found = subprocess.run(
        ["git", "--git-dir", str(remote), "cat-file", "-t", pin], capture_output=True, text=True
    )
    assert found.stdout.strip() == "commit", found.stderr
    # The remote's HEAD is the branch, so a clone has a checkout (pip needs it to pin a commit).
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(remote), str(clone)], check=True)
    head = subprocess.run(
        ["git", "-C", str(clone), "rev-parse", "HEAD"], capture_output=True, text=True
    )
    assert head.returncode == 0, head.stderr


def test_git_url_is_redirected_to_the_local_remote(tmp_path):
    remote, _ = colab_setup.make_local_remote(tmp_path, "main")
    environment = colab_setup.kernel_environment(tmp_path, remote, "https://github.com/o/r")
    rewritten = subprocess.run(
        ["git", "ls-remote", "https://github.com/o/r", "refs/heads/main"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **environment},
    )
    assert rewritten.returncode == 0, rewritten.stderr
    # The kernel imports the stub google.colab at start-up, as Colab's kernel has.
    startup = Path(environment["IPYTHONDIR"]) / "profile_default" / "startup" / "00-colab.py"
    assert "import google.colab" in startup.read_text()
    probe = subprocess.run(
        [sys.executable, "-c", "import google.colab, sys; print('google.colab' in sys.modules)"],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": environment["PYTHONPATH"]},
    )
    assert probe.stdout.strip() == "True", probe.stderr


def test_missing_interpreter_falls_back_to_this_one():
    assert colab_setup.find_python("python3.99") == sys.executable


def test_worker_environment_sees_the_base_packages_but_keeps_its_own_folder(tmp_path):
    base = tmp_path / "base"  # Plays the Colab-like environment: one package, no aelib.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(base)], check=True)
    (next(base.glob("lib/python*/site-packages")) / "colab_only.py").write_text("")
    python = colab_setup.make_worker_environment(base, tmp_path / "gw0")
    probe = subprocess.run(
        [str(python), "-c", "import sys, colab_only; print(sys.prefix, colab_only.__file__)"],
        capture_output=True,
        text=True,
        cwd="/",
    )
    prefix, module_file = probe.stdout.split()
    # The worker is an environment of its own (pip installs there), reading base's packages.
    assert Path(prefix) == tmp_path / "gw0", probe.stderr
    assert module_file.startswith(str(base)), module_file
    assert colab_setup.aelib_installed(python) is None


def test_worker_names_follow_pytest_xdist():
    assert colab_setup.worker_names(2) == ["main", "gw0", "gw1"]
    with pytest.raises(ValueError, match="at least 1"):
        colab_setup.worker_names(0)


def test_pinned_versions_reads_exact_pins_only():
    text = "# Colab\ntensorflow==2.19.0\nScikit_Learn == 1.6.1  # comment\npapermill>=2.6\n\n"
    assert colab_setup.pinned_versions(text) == {"tensorflow": "2.19.0", "scikit-learn": "1.6.1"}


def test_an_install_that_would_replace_a_colab_package_is_named():
    report = {
        "install": [
            {"metadata": {"name": "aelib", "version": "0.1.0"}},
            {"metadata": {"name": "numpy", "version": "2.5.5"}},
            {"metadata": {"name": "scikit_learn", "version": "1.6.1"}},
        ]
    }
    pins = {"numpy": "2.0.2", "scikit-learn": "1.6.1", "tensorflow": "2.19.0"}
    assert colab_setup.replaced_packages(report, pins) == ["numpy 2.0.2 -> 2.5.5"]
    assert colab_setup.replaced_packages({"install": report["install"][:1]}, pins) == []


def test_the_colab_requirements_satisfy_aelibs_own():
    # What pip would check on Colab, without pip: each pinned version meets aelib's bounds.
    from packaging.requirements import Requirement

    pins = colab_setup.pinned_versions((ROOT / "tests" / "colab" / "requirements.txt").read_text())
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for line in dependencies:
        requirement = Requirement(line)
        name = requirement.name.lower().replace("_", "-")
        if name in pins:
            assert requirement.specifier.contains(pins[name]), (line, pins[name])
