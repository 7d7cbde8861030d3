"""The book's structure: notebooks in sync with their sources, Colab links from _config.yml."""

import json
import re
from pathlib import Path

import jupytext
import pytest
import yaml

from aelib import book

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
    assert "keras.utils.set_random_seed" in text
    assert "'google.colab' in sys.modules" in text or '"google.colab" in sys.modules' in text
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


def test_every_recipe_is_in_the_table_of_contents():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = {chapter["file"] for part in toc["parts"] for chapter in part["chapters"]}
    # Besides the recipes, only the results page, which `make html` generates from results/.
    assert files == {f"recipes/{source.stem}" for source in SOURCES} | {"results"}


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
    changed = book.sync_files(tmp_path)
    assert set(changed) == {tmp_path / "README.md", *(tmp_path / "recipes").glob("*.py")}
    assert not book.find_stale_files(tmp_path)
    for source in (tmp_path / "recipes").glob("*.py"):
        text = source.read_text()
        assert "github.com/aebook/aebook" not in text
        assert '"aelib @ git+https://github.com/fork/ae@main"' in text


def test_bad_repository_url_raises_value_error(tmp_path):
    (tmp_path / "_config.yml").write_text("repository:\n  url: ftp://example.org/x\n")
    with pytest.raises(ValueError, match=r"repository\.url"):
        book.read_repository(tmp_path / "_config.yml")


def test_committed_results_match_committed_notebooks():
    for source in SOURCES:
        notebook = (source.with_suffix(".ipynb")).read_text()
        match = re.search(r'save_record\(\s*"(\w+)"', source.read_text())
        assert match, f"{source.name} does not call results.save_record"
        record_path = ROOT / "results" / f"{match.group(1)}.json"
        assert record_path.exists(), f"{record_path} missing: run `make execute`"
        record = json.loads(record_path.read_text())
        assert record["profile"] == "full"
        assert f"wrote {record_path.name}" in notebook
