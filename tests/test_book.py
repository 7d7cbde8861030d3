"""The book's structure: notebooks in sync with their sources, Colab links and pins, sanitizing."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import jupytext
import nbformat
import pytest
import yaml

from booktools import book

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "recipes").glob("[0-9][0-9]_*.py"))


def _cells(notebook):
    return [(cell.cell_type, cell.source.strip()) for cell in notebook.cells]


def test_there_are_recipes():
    assert SOURCES, "no recipes/NN_name.py found"


@pytest.mark.parametrize("source", SOURCES, ids=lambda path: path.stem)
def test_notebook_is_in_sync_with_its_source(source):
    notebook_path = source.with_suffix(".ipynb")
    assert notebook_path.exists(), f"{notebook_path.name} is missing: run `make notebooks`"
    from_source = jupytext.read(source)
    committed = jupytext.read(notebook_path)
    assert _cells(committed) == _cells(from_source), (
        f"{notebook_path.name} differs from {source.name}: run `make notebooks` then `make execute`"
    )


@pytest.mark.parametrize("source", SOURCES, ids=lambda path: path.stem)
def test_recipe_follows_the_skeleton(source):
    text = source.read_text()
    headings = re.findall(r"^# ## (.+)$", text, flags=re.MULTILINE)
    for heading in (
        "Introduction",
        "Setup",
        "Prepare the data",
        "Build the model",
        "Train",
        "Evaluate",
        "What to try next",
    ):
        assert any(found.startswith(heading) for found in headings), (source.name, heading)
    notebook = jupytext.read(source)
    parameters = [cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", [])]
    assert len(parameters) == 1 and "PROFILE" in parameters[0].source
    # One run object: runs.start seeds Python, numpy and Keras, and loads the data.
    assert re.search(
        r"^run = runs\.start\(\n    \"\w+\",\n    PROFILE,\n    seed=SEEDS?\b", text, re.M
    )
    assert "run.finish(" in text and "results.Headline(" in text
    # The first code cell installs aelib, pinned to a commit, wherever it cannot be imported.
    install = next(cell.source for cell in notebook.cells if cell.cell_type == "code")
    assert 'if importlib.util.find_spec("aelib") is None:' in install
    assert re.search(r'"aelib @ git\+https://\S+@[0-9a-f]{40}"', install), install
    assert "importlib.invalidate_caches()" in install
    assert "NBVAL_CHECK_OUTPUT" in text


@pytest.mark.parametrize("source", SOURCES, ids=lambda path: path.stem)
def test_committed_notebook_has_full_profile_outputs(source):
    """The committed notebooks are the reference run: executed, on the full profile, no errors."""
    notebook = json.loads(source.with_suffix(".ipynb").read_text())
    outputs = [output for cell in notebook["cells"] for output in cell.get("outputs", [])]
    assert outputs, f"{source.stem}.ipynb has no outputs: run `make execute`"
    assert not [output for output in outputs if output["output_type"] == "error"]
    text = json.dumps(outputs)
    assert "Executed with the `full` profile" in text


def test_every_recipe_is_in_the_generated_table_of_contents():
    toc = yaml.safe_load(book.table_of_contents(ROOT))
    files = {chapter["file"] for part in toc["parts"] for chapter in part["chapters"]}
    # Besides the recipes, only the pages `make html` generates: the results page (from
    # results/) and the appendix (from benchmarks/results/), and the references (references.bib).
    pages = {"results", "appendix", "references"}
    assert files == {f"recipes/{source.stem}" for source in SOURCES} | pages


def test_badges_install_cells_and_readme_derive_from_config():
    stale = book.find_stale_files(ROOT)
    assert not stale, f"stale Colab links in {stale}: run `make sync`"
    url, branch = book.read_repository(ROOT / "_config.yml")
    for source in SOURCES:
        notebook = f"recipes/{source.stem}.ipynb"
        assert book.colab_url(url, branch, notebook) in source.read_text()
        assert book.colab_url(url, branch, notebook) in (ROOT / "README.md").read_text()


def test_moving_the_repository_is_a_one_line_change(synced_copy):
    tmp_path = synced_copy
    config = tmp_path / "_config.yml"
    config.write_text(config.read_text().replace("github.com/aebook/aebook", "github.com/fork/ae"))
    revision = "0123456789abcdef" * 2 + "01234567"
    changed = book.sync_files(tmp_path, revision=revision)
    assert set(changed) == {tmp_path / "README.md", *(tmp_path / "recipes").glob("*.py")}
    assert not book.find_stale_files(tmp_path, revision=revision)
    for source in (tmp_path / "recipes").glob("*.py"):
        text = source.read_text()
        assert "github.com/aebook/aebook" not in text
        assert f'"aelib @ git+https://github.com/fork/ae@{revision}"' in text


def test_every_recipe_pins_the_last_commit_that_changed_aelib():
    revision = book.aelib_revision(ROOT)
    assert re.fullmatch(r"[0-9a-f]{40}", revision)
    listed = _git(ROOT, "log", "--format=%H", "--", "aelib", "pyproject.toml").split()
    assert revision == listed[0]
    for source in SOURCES:
        pins = re.findall(r'"aelib @ git\+\S+@(\w+)"', source.read_text())
        assert pins == [revision], f"{source.name} pins {pins}: run `make sync`"


def _git(repo, *arguments):
    identity = ["-c", "user.name=aebook", "-c", "user.email=aebook@localhost"]
    command = ["git", "-C", str(repo), *identity, "-c", "commit.gpgsign=false", *arguments]
    completed = subprocess.run(command, capture_output=True, text=True, check=True)
    return completed.stdout.strip()


@pytest.fixture
def repository(synced_copy):
    """``synced_copy`` as a git repository with a library: aelib/ and pyproject.toml committed."""
    (synced_copy / "aelib").mkdir()
    (synced_copy / "aelib" / "__init__.py").write_text('"""aelib."""\n')
    (synced_copy / "pyproject.toml").write_text("[project]\nname = 'aelib'\n")
    shutil.copy(SOURCES[0].with_suffix(".ipynb"), synced_copy / "recipes")
    # One record is enough for the README's table; the others may be mid-rewrite.
    for record in (synced_copy / "results").glob("*.json"):
        if record.name != "vanilla.json":
            record.unlink()
    _git(synced_copy, "init", "-q", "-b", "main")
    _git(synced_copy, "add", ".")
    _git(synced_copy, "commit", "-q", "-m", "library and recipes")
    return synced_copy


def test_sync_pins_the_library_commit_and_is_a_fixed_point(repository, capsys):
    library_commit = _git(repository, "rev-parse", "HEAD")
    (repository / "README.md").write_text((repository / "README.md").read_text() + "\nMore.\n")
    _git(repository, "commit", "-q", "-am", "a change outside the library")
    assert book.aelib_revision(repository) == library_commit

    # A new commit to aelib makes every pin stale, which `check` reports...
    (repository / "aelib" / "__init__.py").write_text('"""aelib, changed."""\n')
    _git(repository, "commit", "-q", "-am", "change the library")
    new_commit = _git(repository, "rev-parse", "HEAD")
    assert book.main(["check", "--root", str(repository)]) == 1
    assert "stale: " in capsys.readouterr().out
    # ...until `sync` rewrites the recipes and their paired notebooks to the new commit.
    assert book.main(["sync", "--root", str(repository)]) == 0
    notebook = SOURCES[0].with_suffix(".ipynb").name
    assert f"rewrote: {repository / 'recipes' / notebook}" in capsys.readouterr().out
    for path in [*(repository / "recipes").glob("*.py"), repository / "recipes" / notebook]:
        assert re.findall(r"aelib @ git\+\S+@(\w+)", path.read_text()) == [new_commit], path
    assert book.main(["check", "--root", str(repository)]) == 0
    # Committing the synced recipes does not move the pin: sync touches no library file.
    _git(repository, "commit", "-q", "-am", "make sync")
    assert book.aelib_revision(repository) == new_commit
    assert not book.find_stale_files(repository)


def test_sync_rewrites_the_paired_notebook_but_leaves_its_outputs(repository):
    notebook_path = repository / "recipes" / SOURCES[0].with_suffix(".ipynb").name
    before = nbformat.read(notebook_path, as_version=4)
    book.sync_files(repository, revision="f" * 40)
    after = nbformat.read(notebook_path, as_version=4)
    assert [cell.get("outputs") for cell in after.cells] == [
        cell.get("outputs") for cell in before.cells
    ]
    assert sum(f"@{'f' * 40}" in cell.source for cell in after.cells) == 1
    # The notebook's cells are the source's again, as `make notebooks` would make them.
    from_source = jupytext.read(notebook_path.with_suffix(".py"))
    assert _cells(after) == _cells(from_source)


def test_a_copy_without_git_history_gets_a_clear_error(synced_copy, capsys):
    with pytest.raises(RuntimeError, match="no git history"):
        book.aelib_revision(synced_copy)
    with pytest.raises(SystemExit) as raised:
        book.main(["check", "--root", str(synced_copy)])
    assert raised.value.code == 2
    assert "clone of the repository" in capsys.readouterr().err


def test_a_shallow_clone_that_lacks_the_library_commit_is_refused(repository, tmp_path):
    (repository / "README.md").write_text("Changed.\n<!-- recipes:start --><!-- recipes:end -->")
    _git(repository, "commit", "-q", "-am", "a change outside the library")
    clone = tmp_path / "clone"
    _git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repository}", str(clone))
    with pytest.raises(RuntimeError, match=r"shallow clone.*git fetch --unshallow"):
        book.aelib_revision(clone)
    # With the history, the clone finds the same commit as the repository.
    _git(clone, "fetch", "-q", "--unshallow")
    assert book.aelib_revision(clone) == book.aelib_revision(repository)


def test_a_folder_inside_a_checkout_is_not_mistaken_for_it(repository):
    with pytest.raises(RuntimeError, match="not the top of a git checkout"):
        book.aelib_revision(repository / "recipes")


def test_bad_repository_url_raises_value_error(tmp_path):
    (tmp_path / "_config.yml").write_text("repository:\n  url: ftp://example.org/x\n")
    with pytest.raises(ValueError, match=r"repository\.url"):
        book.read_repository(tmp_path / "_config.yml")


def test_committed_results_match_committed_notebooks():
    for source in SOURCES:
        notebook = (source.with_suffix(".ipynb")).read_text()
        match = re.search(r'runs\.start\(\s*"(\w+)"', source.read_text())
        assert match, f"{source.name} does not call runs.start"
        record_path = ROOT / "results" / f"{match.group(1)}.json"
        assert record_path.exists(), f"{record_path} missing: run `make execute`"
        record = json.loads(record_path.read_text())
        assert record["profile"] == "full"
        assert f"wrote {record_path.name}" in notebook


# What TensorFlow's C++ runtime wrote to stderr in the committed notebooks before sanitizing.
TENSORFLOW_START_UP = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    "I0000 00:00:1795390280.649859   15339 port.cc:153] oneDNN custom operations are on. You may "
    "see slightly different numerical results due to floating-point round-off errors.\n"
    "I0000 00:00:1795390280.651079   15339 cudart_stub.cc:31] Could not find cuda drivers on your "
    "machine, GPU will not be used.\n"
)
CUINIT = (
    "E0000 00:00:1795390286.537606   15339 cuda_platform.cc:52] failed call to cuInit: INTERNAL: "
    "CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)\n"
)
OLD_STYLE = (
    "2024-05-01 10:00:00.123456: I tensorflow/core/platform/cpu_feature_guard.cc:210] This "
    "TensorFlow binary is optimized to use available CPU instructions in performance-critical "
    "operations.\nTo enable the following instructions: AVX2 FMA, in other operations, rebuild "
    "TensorFlow with the appropriate compiler flags.\n"
)
# base64 can hold "/tmp" by chance: images must come through untouched.
PNG = "iVBORw0KGgo/tmp/home/workAAAA"


# TensorFlow's Python logger, on stdout: a notice about speed, not a result.
RETRACING = (
    "WARNING:tensorflow:5 out of the last 9 calls to <function TensorFlowTrainer.make_predict_"
    "function.<locals>.multi_step_on_data at 0x7f03d93440e0> triggered tf.function retracing. "
    "Tracing is expensive and the excessive number of tracings could be due to (1) creating "
    "@tf.function repeatedly in a loop.\n"
)


def _noisy_notebook():
    cells = [
        nbformat.v4.new_code_cell(
            'print("/work/shared/data/mnist.npz")',
            outputs=[
                nbformat.v4.new_output("stream", name="stderr", text=TENSORFLOW_START_UP),
                nbformat.v4.new_output(
                    "stream",
                    name="stdout",
                    text=RETRACING
                    + "Loaded mnist from the data folder (/work/shared/data/mnist.npz): ...\n",
                ),
            ],
        ),
        nbformat.v4.new_code_cell(
            "train()",
            outputs=[
                nbformat.v4.new_output(
                    "stream", name="stderr", text=CUINIT + "UserWarning: a real warning\n"
                ),
                nbformat.v4.new_output("stream", name="stderr", text=OLD_STYLE),
                nbformat.v4.new_output(
                    "display_data",
                    data={
                        "text/markdown": "on the data folder (/home/me/data/cifar10.npz)",
                        "text/plain": "see https://example.org/tmp/x and /root/.keras/datasets",
                        "image/png": PNG,
                    },
                ),
            ],
        ),
        nbformat.v4.new_markdown_cell("Paths in prose, like /tmp/x, are the author's to write."),
    ]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["papermill"] = {
        "input_path": "recipes/01_vanilla.ipynb",
        "output_path": "/tmp/full01/01_vanilla.ipynb",
        "cwd": "/work/main/recipes",
        "duration": 284.2,
        "parameters": {"DATA": "/work/shared/data/mnist.npz"},
    }
    return notebook


def test_sanitizing_drops_tensorflow_lines_paths_and_papermill_paths():
    notebook = _noisy_notebook()
    assert book.sanitize_notebook(notebook, ROOT)
    first, second, markdown = notebook.cells
    # The start-up lines were the whole stderr output: it is gone; stdout stays, less the
    # retracing notice.
    assert [output.name for output in first.outputs] == ["stdout"]
    assert first.outputs[0].text == (
        "Loaded mnist from the data folder ($AELIB_DATA_DIR/mnist.npz): ...\n"
    )
    # Only TensorFlow's lines leave; a real warning stays in its output.
    assert [output.output_type for output in second.outputs] == ["stream", "display_data"]
    assert second.outputs[0].text == "UserWarning: a real warning\n"
    data = second.outputs[1].data
    assert data["text/markdown"] == "on the data folder ($AELIB_DATA_DIR/cifar10.npz)"
    assert data["text/plain"] == "see https://example.org/tmp/x and ~/.keras/datasets"
    assert data["image/png"] == PNG
    # Code and prose are the author's: untouched.
    assert first.source == 'print("/work/shared/data/mnist.npz")'
    assert markdown.source.startswith("Paths in prose, like /tmp/x")
    assert notebook.metadata["papermill"] == {
        "duration": 284.2,
        "parameters": {"DATA": "$AELIB_DATA_DIR/mnist.npz"},
    }
    # A clean notebook stays as it is.
    assert not book.sanitize_notebook(notebook, ROOT)


def test_neutral_paths(monkeypatch, tmp_path):
    monkeypatch.setenv("AELIB_DATA_DIR", str(tmp_path / "data"))
    assert book.neutral_paths(f"({tmp_path}/data/sub/x.npy)", ROOT) == "($AELIB_DATA_DIR/sub/x.npy)"
    assert book.neutral_paths("/srv/any/cifar10.npz", ROOT) == "$AELIB_DATA_DIR/cifar10.npz"
    assert book.neutral_paths(f"{ROOT}/results/vae.json:", ROOT) == "results/vae.json:"
    assert book.neutral_paths(f"{Path.home()}/notes.txt", "/nonexistent") == "~/notes.txt"
    warning = "/opt/venv/lib/python3.12/site-packages/keras/src/trainer.py:12: UserWarning"
    assert book.neutral_paths(warning, ROOT) == "site-packages/keras/src/trainer.py:12: UserWarning"
    for unchanged in (
        "$AELIB_DATA_DIR/mnist.npz",
        "~/.keras/datasets/mnist.npz",
        "https://github.com/aebook/aebook/blob/main/recipes/01_vanilla.ipynb",
        "12.5 ms/step, 3/10 epochs, km/h",
        "/usr/share/unknown",
    ):
        assert book.neutral_paths(unchanged, ROOT) == unchanged


def test_sanitize_command_rewrites_atomically_and_reports(tmp_path, capsys):
    path = tmp_path / "noisy.ipynb"
    nbformat.write(_noisy_notebook(), path)
    path.chmod(0o644)
    assert book.main(["sanitize", "--check", str(path)]) == 1
    assert f"needs sanitizing: {path}" in capsys.readouterr().out
    assert book.main(["sanitize", str(path)]) == 0
    assert os.stat(path).st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["noisy.ipynb"]  # No temporary file left.
    text = path.read_text()
    assert "cuInit" not in text and "/tmp/full01" not in text
    assert "the data folder ($AELIB_DATA_DIR/mnist.npz)" in text
    assert book.main(["sanitize", "--check", str(path)]) == 0


def _notebook_json(cell=None, output=None, papermill=None):
    """A notebook's JSON with one cell (broken as asked) and, if given, papermill metadata."""
    code = {"cell_type": "code", "source": "1", "metadata": {}, "outputs": [], "id": "a"}
    code["execution_count"] = None
    if output is not None:
        code["outputs"] = [output]
    notebook = {"nbformat": 4, "nbformat_minor": 5, "cells": [cell or code], "metadata": {}}
    if papermill is not None:
        notebook["metadata"]["papermill"] = papermill
    return json.dumps(notebook)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such notebook"),
        ("{", "not a readable Jupyter notebook"),
        ("[]", "not a readable Jupyter notebook"),
        ('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}}', "not a readable Jupyter notebook"),
        (
            _notebook_json(cell={"source": "x", "metadata": {}, "id": "b"}),
            "not a valid notebook: at cells/0",
        ),
        (
            _notebook_json(output={"output_type": "stream", "text": "x"}),
            "not a valid notebook: at cells/0/outputs/0",
        ),
        (_notebook_json(papermill=["a"]), "metadata.papermill is a list, not a mapping"),
    ],
)
def test_sanitize_rejects_what_is_not_a_notebook(tmp_path, content, message):
    path = tmp_path / "bad.ipynb"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ValueError, match=message) as raised:
        book.sanitize_notebook_file(path)
    assert str(path) in str(raised.value)
