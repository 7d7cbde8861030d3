"""booktools.execute: papermill with the PROFILE parameter, then sanitizing, in one command."""

import json
import os

import nbformat
import pytest

from aelib import settings
from booktools import execute


def _notebook(folder):
    """A recipe-shaped notebook: a parameters cell, then a cell that prints what it got."""
    parameters = nbformat.v4.new_code_cell('PROFILE = "full"')
    parameters.metadata["tags"] = ["parameters"]
    report = nbformat.v4.new_code_cell(
        "import os\n"
        "print(PROFILE, os.environ.get('AELIB_PROFILE'), os.environ['AELIB_RESULTS_DIR'])\n"
        "print(os.getcwd())"
    )
    notebook = nbformat.v4.new_notebook(cells=[parameters, report])
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    (folder / "recipes").mkdir()
    path = folder / "recipes" / "01_demo.ipynb"
    nbformat.write(notebook, path)
    return path


def test_the_parameter_is_set_the_environment_cannot_override_and_paths_are_neutral(
    tmp_path, monkeypatch
):
    notebook = _notebook(tmp_path)
    monkeypatch.setenv("AELIB_PROFILE", "full")  # Left in a shell: must not reach the kernel.
    output = execute.execute(
        notebook, tmp_path / "out" / "01_demo.ipynb", profile="smoke", root=tmp_path
    )
    cells = json.loads(output.read_text())["cells"]
    printed = "".join(cells[-1]["outputs"][0]["text"])
    assert printed.splitlines()[0] == "smoke None results"  # The results folder, made relative.
    assert printed.splitlines()[1] == "recipes"  # It ran in the recipes' folder.
    assert os.environ["AELIB_PROFILE"] == "full"  # The caller's environment is given back.
    assert not {"input_path", "output_path", "cwd"} & set(
        json.loads(output.read_text())["metadata"]["papermill"]
    )


def test_bad_arguments_are_named(tmp_path, capsys):
    with pytest.raises(ValueError, match="no such notebook"):
        execute.execute(tmp_path / "absent.ipynb", profile="smoke")
    notebook = _notebook(tmp_path)
    with pytest.raises(ValueError, match="profile must be one of"):
        execute.execute(notebook, profile="fast")
    with pytest.raises(SystemExit):
        execute.main(["--profile", "fast", str(notebook)])
    assert "invalid choice: 'fast'" in capsys.readouterr().err


def test_settings_flags_name_a_bad_value(monkeypatch):
    monkeypatch.setenv("AELIB_ALLOW_SAMPLE", "yes")
    with pytest.raises(ValueError, match="AELIB_ALLOW_SAMPLE is 'yes'; expected 1 or 0"):
        settings.flag(settings.ALLOW_SAMPLE)
    with pytest.raises(ValueError, match="not an aelib setting"):
        settings.value("AELIB_COLOUR")


def test_a_parameter_that_repeats_the_notebooks_own_leaves_no_injected_cell(tmp_path):
    # In place with the notebook's own profile (make execute): the notebook stays paired with its
    # source; with another profile, papermill's injected cell stays and says what ran.
    notebook = _notebook(tmp_path)
    same = execute.execute(notebook, tmp_path / "full.ipynb", profile="full", root=tmp_path)
    other = execute.execute(notebook, tmp_path / "smoke.ipynb", profile="smoke", root=tmp_path)
    sources = [[cell.source for cell in nbformat.read(path, 4).cells] for path in (same, other)]
    assert sources[0] == [cell.source for cell in nbformat.read(notebook, 4).cells]
    assert '# Parameters\nPROFILE = "smoke"\n' in sources[1]
