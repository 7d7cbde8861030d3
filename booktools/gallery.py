"""The front page's gallery: a card per recipe with its key figure and its headline, generated.

``python -m booktools.gallery OUT.md --notebooks DIR --results DIR`` (run by ``make html``) reads
each executed notebook ``DIR/NN_<name>.ipynb``, takes its key figure (the first PNG output of a
cell tagged ``gallery``, else the first of its "Evaluate" section, else its first), writes a
thumbnail of it to ``gallery/NN_<name>.png`` beside ``OUT.md``, and writes ``OUT.md``: a
sphinx-design grid of cards, each linking to its recipe, with the headline of the recipe's
record in one line, then the note on the book's CIFAR-10 copy. The introduction includes
``OUT.md``; nothing in it is typed.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import re
import sys
from pathlib import Path

from booktools import book, report

__all__ = ["GALLERY_TAG", "card_line", "gallery", "key_figure", "short_measure"]

GALLERY_TAG = "gallery"
"""The cell tag that marks the cell whose first PNG output is the recipe's key figure."""

_THUMBNAIL_WIDTH = 480
_MAX_ASPECT = 0.8
_MEASURE = re.compile(
    r"psnr|accuracy|auc|fréchet|elbo|activation|variance|selectivity|seconds|code change|ratio",
    re.IGNORECASE,
)
_DIRECTION_NOTE = re.compile(r"\s*\((?:lower|higher) is better\)", re.IGNORECASE)


def key_figure(notebook: str | os.PathLike) -> bytes | None:
    """The PNG bytes of ``notebook``'s key figure, or None when it displayed no PNG.

    The first PNG output of a cell tagged :data:`GALLERY_TAG` wins; without one, the first PNG
    output from the "## Evaluate" section on (what the recipe shows of its results, not its
    training curves); without one there, the notebook's first PNG output.
    """
    cells = json.loads(Path(notebook).read_text(encoding="utf-8")).get("cells", [])
    tagged = [cell for cell in cells if GALLERY_TAG in cell.get("metadata", {}).get("tags", [])]
    evaluate = next(
        (
            position
            for position, cell in enumerate(cells)
            if cell.get("cell_type") == "markdown"
            and re.search(r"^## Evaluate", "".join(cell.get("source", "")), re.MULTILINE)
        ),
        len(cells),
    )
    for cell in tagged + cells[evaluate:] + cells:
        for output in cell.get("outputs", []):
            image = output.get("data", {}).get("image/png")
            if image:
                return base64.b64decode("".join(image) if isinstance(image, list) else image)
    return None


def _thumbnail(png: bytes, path: Path) -> None:
    """Write ``png`` to ``path`` at most :data:`_THUMBNAIL_WIDTH` pixels wide and
    :data:`_MAX_ASPECT` times as high as wide (as a PNG)."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        image.load()
        # A tall figure (a grid of many rows) keeps its top rows: cards line up in a grid.
        if image.height > _MAX_ASPECT * image.width:
            image = image.crop((0, 0, image.width, round(_MAX_ASPECT * image.width)))
        if image.width > _THUMBNAIL_WIDTH:
            height = round(image.height * _THUMBNAIL_WIDTH / image.width)
            image = image.resize((_THUMBNAIL_WIDTH, height), Image.Resampling.LANCZOS)
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path, format="PNG", optimize=True)


def _segments(text: str) -> list[str]:
    """``text`` split at ", " outside parentheses ("10,000" and "(a, b)" stay whole)."""
    parts, depth, current = [], 0, ""
    for position, character in enumerate(text):
        depth += {"(": 1, ")": -1}.get(character, 0)
        if character == "," and depth == 0 and text[position + 1 : position + 2] == " ":
            parts.append(current.strip())
            current = ""
        else:
            current += character
    return [*parts, current.strip()]


def short_measure(label: str) -> str:
    """The part of a headline label that names what is measured (its last such comma-part).

    >>> short_measure("one-layer autoencoder (the Keras blog's), 32-number code, PSNR (dB)")
    'PSNR (dB)'
    >>> short_measure("deep encoder, seconds to place 10,000 new digits (lower is better)")
    'seconds to place 10,000 new digits'
    """
    label = _DIRECTION_NOTE.sub("", label)
    found = [part for part in _segments(label) if _MEASURE.search(part)]
    return found[-1] if found else label


def card_line(record: dict) -> str:
    """The headline of ``record`` in one line: measure, ours against the baseline, verdict.

    >>> record = {"recipe": "vanilla", "metrics": {"ae_psnr": 20.85, "pca_psnr": 18.56},
    ...           "headline": {"title": "Vanilla", "metric": "ae_psnr", "label": "AE, PSNR (dB)",
    ...                        "baseline_metric": "pca_psnr", "baseline_label": "PCA, 32 parts"}}
    >>> card_line(record)
    'PSNR (dB): **20.9** (1 run) against 18.6 for PCA: ahead'
    """
    item = report.compare(record)
    ours, _, runs = item["ours_cell"].rpartition(" (")
    baseline = _segments(item["baseline_label"])[0]
    arrow = " (lower is better)" if item["direction"] < 0 else ""
    return (
        f"{short_measure(item['label'])}{arrow}: **{ours}** ({runs} against "
        f"{item['baseline_cell']} for {baseline}: {item['verdict']}"
    )


def gallery(
    output: str | os.PathLike,
    notebooks: str | os.PathLike,
    results: str | os.PathLike,
    root: str | os.PathLike = report.ROOT,
) -> str:
    """Write the thumbnails under ``gallery/`` beside ``output`` and return the gallery Markdown.

    One card per recipe of ``root`` (in book order) whose notebook is in ``notebooks``; a recipe
    without a figure gets a card without an image, one without a record a card without a line.
    """
    folder = Path(output).parent / "gallery"
    records = {record["recipe"]: record for record in report.load_records(results, root)}
    titles = {Path(source).stem: title for source, title in book.recipe_titles(root).items()}
    cards = []
    for name, source in report.recipe_sources(root).items():
        notebook = Path(notebooks) / f"{source.stem}.ipynb"
        if not notebook.is_file():
            continue
        title = f"{source.stem[:2]}. {titles[source.stem]}"
        options = [f":link: recipes/{source.stem}", ":link-type: doc"]
        png = key_figure(notebook)
        if png is not None:
            _thumbnail(png, folder / f"{source.stem}.png")
            options += [
                f":img-top: gallery/{source.stem}.png",
                f":img-alt: The key figure of recipe {source.stem[:2]}, {titles[source.stem]}",
            ]
        line = card_line(records[name]) if name in records else ""
        cards.append(f"```{{grid-item-card}} {title}\n" + "\n".join(options) + f"\n\n{line}\n```\n")
    if not cards:
        raise ValueError(f"No recipe notebook in {notebooks}: nothing for the gallery.")
    note = report.cifar10_note(list(records.values()), root)
    return (
        "````{grid} 1 2 3 3\n:gutter: 3\n\n"
        + "\n".join(cards)
        + "````\n"
        + (f"\n{note}\n" if note else "")
    )


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m booktools.gallery OUT.md --notebooks DIR --results DIR``."""
    parser = argparse.ArgumentParser(prog="python -m booktools.gallery", description=__doc__)
    parser.add_argument("output", help="where to write the gallery's Markdown")
    parser.add_argument("--notebooks", required=True, help="the executed notebooks' folder")
    parser.add_argument("--results", default="results", help="the records' folder")
    parser.add_argument("--root", default=str(report.ROOT), help="the repository")
    arguments = parser.parse_args(argv)
    from aelib import results

    try:
        text = gallery(arguments.output, arguments.notebooks, arguments.results, arguments.root)
    except ValueError as error:
        print(f"gallery: {error}", file=sys.stderr)
        return 1
    results.write_text_atomically(arguments.output, text)
    print(f"wrote {arguments.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
