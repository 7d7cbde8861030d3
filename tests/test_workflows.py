"""The GitHub Actions workflows: what they run, and that `make lint`'s linters catch mistakes."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from booktools import report

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
    assert "booktools.execute --profile full" in _commands(execute)
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


# What the GPU job must guarantee before it spends hours, and the build job before it publishes.


def _step(job, step_id):
    (step,) = [step for step in job["steps"] if step.get("id") == step_id]
    return step


def _position(job, predicate):
    positions = [index for index, step in enumerate(job["steps"]) if predicate(step)]
    assert positions, "no such step"
    return positions[0]


def _position_of(job, step_id):
    return _position(job, lambda step: step.get("id") == step_id)


def _fatal(step):
    """A step whose failure fails the job: it always runs and its errors are not swallowed."""
    return "if" not in step and not step.get("continue-on-error", False)


def _fake_checkout(tmp_path, tensorflow_stub=None):
    """A folder where a step's ``.venv/bin/python`` is this interpreter (and aelib is found)."""
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    path = [str(ROOT)]
    if tensorflow_stub is not None:
        stub = tmp_path / "stub" / "tensorflow"
        stub.mkdir(parents=True)
        (stub / "__init__.py").write_text(tensorflow_stub)
        path.insert(0, str(stub.parent))
    return {**os.environ, "PYTHONPATH": os.pathsep.join(path)}


def _run_step(step, cwd, env):
    # GitHub runs a `run:` step with `bash -e` unless the workflow names another shell.
    command = ["bash", "-e", "-c", step["run"]]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_gpu_job_installs_cuda_tensorflow_and_proves_its_gpu_before_executing():
    execute = _load("book.yml")["jobs"]["execute"]
    setup = _position(execute, lambda step: step.get("run") == "make venv")
    cuda, gpu = _position_of(execute, "cuda"), _position_of(execute, "gpu")
    assert setup < cuda < gpu < _position_of(execute, "execute")
    # The CUDA libraries come for the TensorFlow version make venv resolved, not another one.
    install = _step(execute, "cuda")["run"]
    assert 'm.version("tensorflow")' in install
    assert '"tensorflow[and-cuda]==${version}"' in install
    assert _fatal(_step(execute, "cuda")) and _fatal(_step(execute, "gpu"))
    assert 'list_physical_devices("GPU")' in _step(execute, "gpu")["run"]


_TENSORFLOW_STUB = """import os

__version__ = "0.0 (stub)"


class config:
    @staticmethod
    def list_physical_devices(kind):
        assert kind == "GPU"
        return os.environ["STUB_GPUS"].split()
"""


def test_gpu_step_fails_without_a_gpu_and_passes_with_one(tmp_path):
    step = _step(_load("book.yml")["jobs"]["execute"], "gpu")
    env = _fake_checkout(tmp_path, _TENSORFLOW_STUB)
    without = _run_step(step, tmp_path, {**env, "STUB_GPUS": ""})
    assert without.returncode != 0
    assert "sees no GPU" in without.stderr
    with_one = _run_step(step, tmp_path, {**env, "STUB_GPUS": "/physical_device:GPU:0"})
    assert with_one.returncode == 0, with_one.stderr
    assert "sees 1 GPU(s)" in with_one.stdout


def test_gpu_job_caches_both_keras_datasets_before_executing():
    execute = _load("book.yml")["jobs"]["execute"]
    restore = _step(execute, "datasets")
    assert restore["uses"].startswith("actions/cache/restore@")
    assert restore["with"]["path"] == "~/.keras/datasets"
    # The cached files' names follow Keras's version, so the key does too.
    assert "steps.versions.outputs.keras" in restore["with"]["key"]
    download = _step(execute, "download")
    assert "mnist.load_data()" in download["run"] and "cifar10.load_data()" in download["run"]
    (save,) = [step for step in execute["steps"] if "actions/cache/save@" in step.get("uses", "")]
    assert save["with"] == {
        "path": restore["with"]["path"],
        "key": "${{ steps.datasets.outputs.cache-primary-key }}",
    }
    # Downloaded and saved only when the cache missed, and all of it before the recipe runs.
    miss = "steps.datasets.outputs.cache-hit != 'true'"
    assert download["if"] == miss and save["if"] == miss
    order = [
        _position_of(execute, "versions"),
        _position_of(execute, "datasets"),
        _position_of(execute, "download"),
        _position(execute, lambda step: step is save),
        _position_of(execute, "execute"),
    ]
    assert order == sorted(order)


def test_build_refuses_records_from_sample_data_before_building(tmp_path):
    build = _load("book.yml")["jobs"]["build"]
    downloaded = _position(build, lambda step: "download-artifact" in step.get("uses", ""))
    sources = _position_of(build, "sources")
    assert downloaded < sources < _position_of(build, "html")
    step = _step(build, "sources")
    assert _fatal(step) and "check-sources _build/results" in step["run"]

    # The step itself, run on a copy of the committed records, then on doctored ones.
    records = tmp_path / "_build" / "results"
    shutil.copytree(ROOT / "results", records)
    env = _fake_checkout(tmp_path)
    passed = _run_step(step, tmp_path, env)
    assert passed.returncode == 0, passed.stderr
    record = json.loads((records / "vanilla.json").read_text())
    (records / "vanilla.json").write_text(json.dumps({**record, "data_source": "embedded"}))
    failed = _run_step(step, tmp_path, env)
    assert failed.returncode != 0
    assert "vanilla.json: data_source is 'embedded'" in failed.stderr


def test_setup_python_caches_pip_in_both_workflows():
    def setup_python(job):
        (step,) = [step for step in job["steps"] if "setup-python" in step.get("uses", "")]
        return step["with"]

    ci = setup_python(_load("ci.yml")["jobs"]["test"])
    book = setup_python(_load("book.yml")["jobs"]["execute"])
    for settings, files in (
        # CI builds two TensorFlow environments: .venv and the Colab-like one.
        (ci, {"requirements.txt", "pyproject.toml", "tests/colab/requirements.txt"}),
        (book, {"requirements.txt", "pyproject.toml"}),
    ):
        assert settings["cache"] == "pip"
        assert set(settings["cache-dependency-path"].split()) == files
        assert all((ROOT / name).is_file() for name in files)


def test_no_job_that_publishes_restores_a_cache_and_no_workflow_runs_untrusted_code_on_main():
    jobs = _load("book.yml")["jobs"]
    for name in ("build", "deploy"):
        for step in jobs[name]["steps"]:
            assert "cache" not in step.get("uses", "") and "cache" not in step.get("with", {})
    # Caches on main are written only by runs of main's own code: no pull request runs there.
    for path in WORKFLOWS.glob("*.yml"):
        triggers = set(_load(path.name)["on"])
        assert not triggers & {"pull_request_target", "workflow_run"}, path.name


# The check itself: booktools.report's check-sources command.


def _copy_records(tmp_path):
    folder = tmp_path / "results"
    shutil.copytree(ROOT / "results", folder)
    return folder


def _doctor(folder, recipe, **changes):
    path = folder / f"{recipe}.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))
    return path


def test_committed_records_are_all_publishable():
    assert report.offending_records(ROOT / "results") == {}
    assert report.check_sources(ROOT / "results") == []


def test_offending_records_names_each_record_and_why(tmp_path):
    folder = _copy_records(tmp_path)
    embedded = _doctor(folder, "vanilla", data_source="embedded")
    smoke = _doctor(folder, "vae", profile="smoke")
    both = _doctor(folder, "sparse", profile="smoke", data_source="embedded")
    unknown = _doctor(folder, "pretext", data_source="auto")
    broken = folder / "denoising.json"
    broken.write_text("{not json")
    offending = report.offending_records(folder)
    assert set(offending) == {embedded, smoke, both, unknown, broken}
    assert "data_source is 'embedded' (embedded sample)" in offending[embedded]
    assert "'dir' or 'keras'" in offending[embedded]
    assert offending[smoke] == "profile is 'smoke', not 'full'"
    assert "profile is 'smoke'" in offending[both] and "'embedded'" in offending[both]
    assert "'auto'" in offending[unknown]
    assert offending[broken].startswith("unreadable record")
    # A record from the data folder or from keras.datasets is fine.
    _doctor(folder, "colorization", data_source="keras")
    assert folder / "colorization.json" not in report.offending_records(folder)


def test_check_sources_fails_on_a_missing_record_and_an_empty_folder(tmp_path):
    folder = _copy_records(tmp_path)
    (folder / "compression.json").unlink()
    (problem,) = report.check_sources(folder)
    assert "compression.json: missing" in problem
    empty = tmp_path / "empty"
    empty.mkdir()
    recipes = list((ROOT / "recipes").glob("[0-9][0-9]_*.py"))
    assert len(report.check_sources(empty)) == len(recipes) > 0
    with pytest.raises(ValueError, match="No results folder"):
        report.check_sources(tmp_path / "absent")


def test_check_sources_command_exit_status_and_messages(tmp_path, capsys):
    folder = _copy_records(tmp_path)
    assert report.main(["check-sources", str(folder)]) == 0
    assert "each a full-profile run on the real dataset" in capsys.readouterr().out
    _doctor(folder, "anomaly_detection", data_source="embedded")
    assert report.main(["check-sources", str(folder)]) == 1
    error = capsys.readouterr().err
    assert "anomaly_detection.json: data_source is 'embedded'" in error
    assert "must not be published" in error
    assert report.main(["check-sources", str(tmp_path / "absent")]) == 1
    assert "No results folder" in capsys.readouterr().err


def test_ci_clones_the_history_that_the_aelib_pin_check_needs():
    (job,) = _load("ci.yml")["jobs"].values()
    (checkout,) = [step for step in job["steps"] if "actions/checkout" in step.get("uses", "")]
    # A shallow clone lacks the commit the install cells pin: make test's sync check would fail.
    assert checkout["with"]["fetch-depth"] == 0


def test_the_gpu_job_executes_through_the_one_execute_command():
    # booktools.execute runs papermill with the PROFILE parameter, then sanitizes the notebook.
    commands = _commands(_load("book.yml")["jobs"]["execute"])
    assert "booktools.execute --profile full --results _build/results" in commands
    assert '"$NOTEBOOK" "_build/executed/$NOTEBOOK"' in commands
    assert "papermill" not in commands and "AELIB_PROFILE" not in commands


def test_check_sources_refuses_a_record_under_another_recipes_name(tmp_path, capsys):
    folder = _copy_records(tmp_path)
    (folder / "vanilla.json").write_text((folder / "sparse.json").read_text())
    offending = report.offending_records(folder)
    assert "the record of recipe 'sparse', not 'vanilla'" in offending[folder / "vanilla.json"]
    assert report.main(["check-sources", str(folder)]) == 1


def test_check_sources_knows_the_recipes_wherever_it_runs(tmp_path, monkeypatch, capsys):
    # Run from another folder, an empty results folder or a lone record is still refused: the
    # recipes are the repository's, not the current folder's.
    monkeypatch.chdir(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert report.main(["check-sources", str(empty)]) == 1
    lone = tmp_path / "lone"
    lone.mkdir()
    (lone / "vanilla.json").write_text((ROOT / "results" / "vanilla.json").read_text())
    assert report.main(["check-sources", str(lone)]) == 1
    assert "denoising.json: missing" in capsys.readouterr().err
    # A root without recipes is an error, not a pass.
    assert report.main(["--root", str(tmp_path), "check-sources", str(empty)]) == 1
    assert "holds no recipe" in capsys.readouterr().err
