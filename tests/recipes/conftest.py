"""Run each recipe once in the smoke profile for the test module named after it.

``tests/recipes/test_NN_name.py`` holds one recipe's assertions on what its smoke run computed;
its ``smoke_run`` fixture executes ``recipes/NN_name.ipynb`` once per module (papermill, then
sanitizing: ``booktools.execute``), checks that the run wrote one smoke record on the embedded
data, and makes nbval's check on that same execution: the outputs of the cells marked
``NBVAL_CHECK_OUTPUT`` must match the committed notebook's. ``make colab-recipes`` runs them on
a Colab-like kernel (tests/colab/setup.py), where each notebook's first cell must install aelib
itself, two modules at a time (pytest-xdist, ``--dist loadfile``). The executed notebooks land
in _build/executed/, where ``make html`` can build the book from them.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
from pathlib import Path

import notebook_outputs
import pytest

from aelib import results
from booktools import execute

ROOT = Path(__file__).resolve().parents[2]
EXECUTED = ROOT / "_build" / "executed" / "recipes"
SMOKE_RESULTS = ROOT / "_build" / "results"
SANITIZE_RULES = ROOT / "tests" / "nbval_sanitize.cfg"
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    """Every test in this folder executes a recipe: mark it, so `make unit` leaves it out."""
    for item in items:
        if Path(str(item.fspath)).resolve().parent == HERE:
            item.add_marker(pytest.mark.recipe)


@dataclasses.dataclass
class SmokeRun:
    """One smoke execution: the committed and executed notebooks, and the record it wrote."""

    notebook: Path
    executed: Path
    record: dict

    @property
    def metrics(self) -> dict[str, float]:
        return self.record["metrics"]


@pytest.fixture(scope="module")
def smoke_run(request, tmp_path_factory) -> SmokeRun:
    """Execute the recipe this module is named after (test_NN_name.py) in the smoke profile."""
    stem = Path(request.module.__file__).stem.removeprefix("test_")
    notebook = ROOT / "recipes" / f"{stem}.ipynb"
    assert notebook.is_file(), f"{request.module.__name__} is named after no recipe: {notebook}"
    results_dir = tmp_path_factory.mktemp(f"{stem}-results")
    colab = _colab_kernel()
    if colab:
        # As in a new Colab session, aelib is not installed until the first cell installs it.
        subprocess.run(colab["uninstall"], check=True, capture_output=True, cwd="/")
    executed = EXECUTED / notebook.name
    with pytest.MonkeyPatch.context() as patch:
        # Offline and on embedded data only, whatever this machine has.
        patch.setenv("AELIB_OFFLINE", "1")
        patch.delenv("AELIB_DATA_DIR", raising=False)
        execute.execute(
            notebook,
            executed,
            profile="smoke",
            results_dir=results_dir,
            kernel=colab["kernel"] if colab else os.environ.get("AELIB_SMOKE_KERNEL", "python3"),
            root=ROOT,
        )
    if colab:
        _check_colab_install(notebook, colab)
    records = list(results_dir.glob("*.json"))
    assert len(records) == 1, f"{notebook.name} wrote {records}"
    record = results.load_record(records[0])
    assert record["profile"] == "smoke" and record["data_source"] == "embedded", record
    assert stem.endswith(record["recipe"]), (stem, record["recipe"])
    # Keep the record beside the executed notebook, for the book build and for people.
    SMOKE_RESULTS.mkdir(parents=True, exist_ok=True)
    (SMOKE_RESULTS / records[0].name).write_text(records[0].read_text())
    # nbval's check on this same execution: the outputs that must not drift (the cells marked
    # NBVAL_CHECK_OUTPUT) agree with the committed notebook's, after nbval's sanitizing rules.
    problems = notebook_outputs.compare_checked_outputs(
        notebook, executed, notebook_outputs.read_patterns(SANITIZE_RULES)
    )
    assert not problems, "\n\n".join(problems)
    return SmokeRun(notebook, executed, record)


def _colab_kernel():
    """The Colab-like kernel's facts when the tests run on it (``make colab``), else None."""
    if os.environ.get("AELIB_SMOKE_KERNEL") != "aebook-colab":
        return None
    facts = json.loads((ROOT / "_build" / "colab" / "kernel.json").read_text())
    # Each pytest-xdist worker has an environment and a kernel of its own (tests/colab/setup.py).
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    if worker not in facts["workers"]:
        raise RuntimeError(f"no Colab-like kernel for worker {worker}: run make colab-env")
    facts.update(facts["workers"][worker])
    facts["uninstall"] = [facts["python"], "-m", "pip", "uninstall", "-q", "-y", "aelib"]
    facts["origin"] = [
        facts["python"],
        "-c",
        "import importlib.metadata as m; "
        "print(m.distribution('aelib').read_text('direct_url.json'))",
    ]
    return facts


# The pinned requirement each notebook's install cell holds, e.g.
# "aelib @ git+https://github.com/aebook/aebook@<40 hex digits>".
PIN = re.compile(r'"aelib @ git\+(?P<url>[^"@]+)@(?P<commit>[0-9a-f]{40})"')


def _check_colab_install(notebook: Path, colab: dict) -> None:
    """The install cell put aelib there, from the repository URL at the commit it pins."""
    cells = json.loads(notebook.read_text())["cells"]
    pins = PIN.findall("\n".join("".join(cell["source"]) for cell in cells))
    assert len(pins) == 1, f"{notebook.name} pins aelib {len(pins)} times"
    pinned_url, pinned_commit = pins[0]
    # Run from "/", so that this checkout's own metadata folder cannot answer instead.
    found = subprocess.run(colab["origin"], check=True, capture_output=True, cwd="/")
    origin = json.loads(found.stdout)
    assert origin["url"] == pinned_url == colab["url"], origin
    assert origin["vcs_info"]["commit_id"] == pinned_commit, origin
    assert origin["vcs_info"]["requested_revision"] == pinned_commit, origin
