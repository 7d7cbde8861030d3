"""Check the built book against the executed notebooks it was built from (run after `make html`).

Each recipe page must show what its notebook computed: every Markdown table a cell displayed
is rendered as an HTML table (not as a paragraph of pipes), every figure is on the page, and no
output is an error.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXECUTED = ROOT / "_build" / "executed" / "recipes"
HTML = ROOT / "_build" / "html" / "recipes"
NOTEBOOKS = sorted(EXECUTED.glob("[0-9][0-9]_*.ipynb"))

pytestmark = pytest.mark.site


def _count_outputs(notebook: Path) -> dict[str, int]:
    """Markdown tables, PNG figures and errors among a notebook's displayed outputs."""
    counts = {"tables": 0, "figures": 0, "errors": 0}
    for cell in json.loads(notebook.read_text())["cells"]:
        for output in cell.get("outputs", []):
            bundle = output.get("data", {})
            markdown = "".join(bundle.get("text/markdown", ""))
            counts["tables"] += len(re.findall(r"^\|[-:| ]+\|$", markdown, flags=re.MULTILINE))
            counts["figures"] += "image/png" in bundle
            counts["errors"] += output.get("output_type") == "error"
    return counts


@pytest.mark.skipif(not NOTEBOOKS, reason="no executed notebooks: run `make smoke` or `make book`")
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.stem)
def test_page_shows_the_notebook_outputs(notebook):
    page = HTML / f"{notebook.stem}.html"
    assert page.exists(), f"{page} missing: run `make html`"
    html = page.read_text()
    expected = _count_outputs(notebook)
    assert expected["errors"] == 0, f"{notebook.name} has error outputs"
    # A table that did not render shows up as a paragraph opening with a pipe.
    assert not re.search(r"<p>\|", html), f"{page.name} shows a Markdown table as plain text"
    assert html.count("<table") >= expected["tables"], (page.name, expected)
    assert len(re.findall(r"<img [^>]*src=\"[^\"]*_images/", html)) >= expected["figures"], (
        page.name,
        expected,
    )


def test_results_page_shows_the_headline_table():
    from booktools import report

    page = ROOT / "_build" / "html" / "results.html"
    assert page.exists(), f"{page} missing: run `make html`"
    html = page.read_text()
    assert "<table" in html
    for record in report.load_records(ROOT / "results"):
        assert report.headline_of(record).title in html, record["recipe"]


def test_appendix_page_shows_every_benchmark_report():
    from benchmarks import appendix

    page = ROOT / "_build" / "html" / "appendix.html"
    assert page.exists(), f"{page} missing: run `make html`"
    html = page.read_text()
    assert "How the configurations were chosen" in html
    assert not re.search(r"<p>\|", html), "a Markdown table shows as plain text"
    tables = sum(
        len(re.findall(r"^\|[-:| ]+\|$", (appendix.RESULTS / name).read_text(), re.MULTILINE))
        for name, _ in appendix.SECTIONS
    )
    assert html.count("<table") >= tables > 0
