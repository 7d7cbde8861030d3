"""The book renders without network and cites its papers: MathJax and the Colab badge come from
the site itself, and every {cite} role of a recipe names an entry of references.bib.

The built pages themselves are checked in a browser by tests/test_browser.py (`make browser`).
"""

import importlib.util
import re
from pathlib import Path

import nbformat
import pytest
import yaml

from booktools import book

ROOT = Path(__file__).resolve().parents[1]
CITE = re.compile(r"\{cite(?::\w+)?\}`([^`]+)`")


def _bibliography():
    from pybtex.database import parse_file

    return parse_file(ROOT / "references.bib", bib_format="bibtex").entries


def _citations() -> dict[str, set[str]]:
    """{key: the recipes that cite it} from the recipes' {cite:p}`key, key` roles."""
    cited = {}
    for source in sorted((ROOT / "recipes").glob("[0-9][0-9]_*.py")):
        for group in CITE.findall(source.read_text()):
            for key in group.split(","):
                cited.setdefault(key.strip(), set()).add(source.stem)
    return cited


def test_every_cited_key_is_in_references_bib():
    cited, entries = _citations(), _bibliography()
    assert cited, "no recipe cites a paper with a {cite:p} role"
    missing = {key: sorted(recipes) for key, recipes in cited.items() if key not in entries}
    assert not missing, f"cited but not in references.bib: {missing}"


def test_every_entry_names_authors_title_year_and_where_it_appeared():
    for key, entry in _bibliography().items():
        assert entry.persons.get("author"), key
        assert entry.fields.get("title") and re.fullmatch(r"\d{4}", entry.fields["year"]), key
        venue = {"journal", "booktitle", "howpublished", "institution"} & set(entry.fields)
        assert venue, f"{key}: no journal, booktitle, howpublished or institution"
        assert re.fullmatch(r"[a-z]+\d{4}[a-z]*", key), f"{key}: not surname + year"


def test_a_recipe_that_names_a_paper_by_year_cites_it():
    # "Name et al., 2018" or "Name et al. (2018)" in a recipe's text comes with a cite role in
    # the same paragraph (the role links it to the References page).
    mention = re.compile(r"et al\.(?:'s [^,()]+)?,? \(?(?:[A-Z]+ )?(?:19|20)\d\d")
    for source in sorted((ROOT / "recipes").glob("[0-9][0-9]_*.py")):
        for cell in nbformat.reads(source.with_suffix(".ipynb").read_text(), 4).cells:
            if cell.cell_type != "markdown":
                continue
            for paragraph in cell.source.split("\n\n"):
                text = " ".join(paragraph.split())
                if mention.search(text):
                    assert CITE.search(text), f"{source.stem}: no {{cite:p}} role in {text!r}"


def test_the_references_page_is_in_the_table_of_contents():
    toc = yaml.safe_load(book.table_of_contents(ROOT))
    files = [chapter["file"] for part in toc["parts"] for chapter in part["chapters"]]
    assert files[-1] == "references"
    page = (ROOT / "references.md").read_text()
    assert "```{bibliography}" in page


def test_the_book_serves_its_own_mathjax_and_reads_references_bib():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert "sphinx-mathjax-offline" in config["sphinx"]["extra_extensions"]
    mathjax_path = config["sphinx"]["config"]["mathjax_path"]
    assert "://" not in mathjax_path, "MathJax must come from the built site, not a CDN"
    assert config["bibtex_bibfiles"] == ["references.bib"]
    requirements = (ROOT / "requirements.txt").read_text()
    assert re.search(r"^sphinx-mathjax-offline\b", requirements, re.MULTILINE)
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec is None:
        pytest.skip("sphinx-mathjax-offline is not installed here")
    shipped = Path(spec.origin).parent / "static" / "mathjax" / mathjax_path.split("/", 1)[1]
    assert shipped.is_file(), shipped


def _badge_notebook(path: Path) -> None:
    badge = book.colab_badge("https://github.com/o/n", "main", "recipes/01_x.ipynb")
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell(f"# Title\n\n{badge}"),
            nbformat.v4.new_code_cell(f"print({book._COLAB_BADGE_IMAGE!r})"),
        ]
    )
    path.parent.mkdir(parents=True)
    nbformat.write(notebook, path)


def test_site_badges_point_the_book_copy_at_its_own_image(tmp_path):
    notebook = tmp_path / "recipes" / "01_x.ipynb"
    _badge_notebook(notebook)
    with pytest.raises(ValueError, match=r"colab-badge\.svg is missing"):
        book.use_site_badges(tmp_path)
    (tmp_path / "_static").mkdir()
    (tmp_path / "_static" / "colab-badge.svg").write_text("<svg/>")
    assert book.main(["site-badges", str(tmp_path)]) == 0
    markdown, code = nbformat.read(notebook, as_version=4).cells
    assert 'src="../_static/colab-badge.svg"' in markdown.source
    assert book._COLAB_BADGE_IMAGE not in markdown.source
    # The link still opens Colab; code is left alone.
    assert 'href="https://colab.research.google.com/github/o/n/blob/main/recipes/01_x.ipynb"' in (
        markdown.source
    )
    assert book._COLAB_BADGE_IMAGE in code.source
    assert book.use_site_badges(tmp_path) == []


def test_the_site_badge_image_ships_with_the_book():
    svg = (ROOT / "_static" / "colab-badge.svg").read_text()
    assert svg.startswith("<svg") and "Open in Colab" in svg
    assert "http://" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in svg
