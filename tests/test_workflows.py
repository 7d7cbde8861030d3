"""The GitHub Actions workflows: what they run, and that `make lint`'s linters catch mistakes."""

import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
BIN = Path(sys.executable).parent


def _load(name):
    workflow = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML reads the key `on` as the boolean True.
    workflow["on"] = workflow.pop(True)
    return workflow


def _commands(job):
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_ci_runs_the_readme_test_command_on_pushes_and_pull_requests():
    workflow = _load("ci.yml")
    assert {"push", "pull_request"} <= set(workflow["on"])
    assert "make test" in (ROOT / "README.md").read_text()
    (job,) = workflow["jobs"].values()
    assert "make test" in _commands(job)
    assert "gpu" not in str(job["runs-on"]).lower()


def test_book_executes_each_recipe_on_the_gpu_then_builds_and_deploys():
    workflow = _load("book.yml")
    assert {"push", "workflow_dispatch"} <= set(workflow["on"])
    assert workflow["on"]["push"]["branches"] == ["main"]
    jobs = workflow["jobs"]
    execute = jobs["execute"]
    # One matrix entry per recipe notebook, listed from the checkout rather than by hand.
    assert "fromJSON(needs.recipes.outputs.notebooks)" in execute["strategy"]["matrix"]["notebook"]
    assert "recipes/[0-9][0-9]_*.ipynb" in _commands(jobs["recipes"])
    # The GPU runner label appears in this job only.
    assert "GPU_RUNNER" in execute["runs-on"]
    assert sum("GPU_RUNNER" in str(job["runs-on"]) for job in jobs.values()) == 1
    assert "-p PROFILE full" in _commands(execute)
    uploads = [step for step in execute["steps"] if "upload-artifact" in step.get("uses", "")]
    assert uploads and uploads[0]["if"] == "always()"  # Uploaded also when the run fails.
    # The site is built from the executed notebooks with warnings as errors, then deployed.
    assert jobs["build"]["needs"] == "execute" and "make html" in _commands(jobs["build"])
    assert "--warningiserror" in (ROOT / "Makefile").read_text()
    deploy = jobs["deploy"]
    assert deploy["needs"] == "build"
    assert any("deploy-pages" in step.get("uses", "") for step in deploy["steps"])
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}


def test_schema_linter_rejects_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("name: broken\non: push\njobs:\n  test:\n    steps: 3\n")
    command = [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows"]
    assert subprocess.run([*command, str(broken)], capture_output=True).returncode != 0
    good = subprocess.run([*command, *map(str, WORKFLOWS.glob("*.yml"))], capture_output=True)
    assert good.returncode == 0, good.stdout.decode()


def test_zizmor_flags_an_unsafe_workflow(tmp_path):
    unsafe = tmp_path / "workflows" / "unsafe.yml"
    unsafe.parent.mkdir()
    # A pull request title spliced into a shell command: template injection.
    unsafe.write_text(
        "name: unsafe\non: pull_request_target\npermissions: {}\njobs:\n  echo:\n"
        "    runs-on: ubuntu-24.04\n    steps:\n"
        '      - run: echo "${{ github.event.pull_request.title }}"\n'
    )
    command = [str(BIN / "zizmor"), "--offline", "--config", str(ROOT / ".github" / "zizmor.yml")]
    assert subprocess.run([*command, str(unsafe.parent)], capture_output=True).returncode != 0
    clean = subprocess.run([*command, str(WORKFLOWS)], capture_output=True)
    assert clean.returncode == 0, clean.stdout.decode()
