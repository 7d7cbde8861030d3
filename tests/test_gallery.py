"""The front page's gallery (booktools/gallery.py): cards generated from notebooks and records."""

import base64
import io
import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from booktools import gallery, report

ROOT = Path(__file__).resolve().parents[1]


def _png(width: int, height: int, colour: str) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def _notebook(path: Path, cells: list[dict]) -> Path:
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4}))
    return path


def _markdown(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def _figure(colour: str, tags=(), width=40, height=30) -> dict:
    output = {"output_type": "display_data", "data": {"image/png": _png(width, height, colour)}}
    return {"cell_type": "code", "metadata": {"tags": list(tags)}, "outputs": [output]}


def _colour(png: bytes) -> tuple:
    return Image.open(io.BytesIO(png)).convert("RGB").getpixel((0, 0))


def test_the_key_figure_is_the_tagged_one_else_the_first_evaluated_else_the_first(tmp_path):
    cells = [
        _markdown("## Train"),
        _figure("red"),
        _markdown("## Evaluate\n\nNumbers, then pictures."),
        _figure("green"),
        _figure("blue", tags=[gallery.GALLERY_TAG]),
    ]
    assert _colour(gallery.key_figure(_notebook(tmp_path / "a.ipynb", cells))) == (0, 0, 255)
    assert _colour(gallery.key_figure(_notebook(tmp_path / "b.ipynb", cells[:4]))) == (0, 128, 0)
    assert _colour(gallery.key_figure(_notebook(tmp_path / "c.ipynb", cells[:2]))) == (255, 0, 0)
    assert gallery.key_figure(_notebook(tmp_path / "d.ipynb", [_markdown("# Title")])) is None


def test_the_measure_is_the_part_of_the_label_that_names_it():
    assert gallery.short_measure("deep autoencoder, 2-number codes, 5-NN accuracy") == (
        "5-NN accuracy"
    )
    assert gallery.short_measure("Fréchet distance, fixed features (lower is better)") == (
        "Fréchet distance"
    )
    assert gallery.short_measure("something else") == "something else"


def test_every_committed_record_has_a_one_line_headline():
    for record in report.load_records(ROOT / "results"):
        line = gallery.card_line(record)
        assert "\n" not in line and "**" in line, record["recipe"]
        assert line.endswith(report.compare(record)["verdict"]), line


def test_the_gallery_has_a_card_per_notebook_with_its_thumbnail_and_headline(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    sources = report.recipe_sources()
    chosen = list(sources.items())[:3]
    for position, (_, source) in enumerate(chosen):
        cells = [_markdown("## Evaluate")]
        if position != 1:  # The second recipe displayed no figure.
            cells.append(_figure("white", width=1200, height=2400))
        _notebook(notebooks / f"{source.stem}.ipynb", cells)
    output = tmp_path / "book" / "gallery.md"
    text = gallery.gallery(output, notebooks, ROOT / "results")
    assert text.startswith("````{grid} 1 2 3 3\n") and text.count("{grid-item-card}") == 3
    records = {record["recipe"]: record for record in report.load_records(ROOT / "results")}
    for position, (name, source) in enumerate(chosen):
        assert f":link: recipes/{source.stem}\n" in text
        assert gallery.card_line(records[name]) in text
        thumbnail = output.parent / "gallery" / f"{source.stem}.png"
        if position == 1:
            assert not thumbnail.exists() and f"gallery/{source.stem}.png" not in text
            continue
        assert f":img-top: gallery/{source.stem}.png\n" in text
        assert ":img-alt: The key figure of recipe" in text
        # A thumbnail: at most 480 pixels wide, a tall figure cut to its top rows.
        with Image.open(thumbnail) as image:
            assert image.width == 480 and image.height <= 0.8 * image.width + 1


def test_the_gallery_states_the_cifar10_round_trip(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for source in report.recipe_sources().values():
        shutil.copy(source.with_suffix(".ipynb"), notebooks)
    text = gallery.gallery(tmp_path / "gallery.md", notebooks, ROOT / "results")
    assert text.count("{grid-item-card}") == len(report.recipe_sources())
    assert "Recipes 04, 07 and 09 use CIFAR-10" in text and "one JPEG round trip" in text


def test_no_notebook_is_an_error_the_command_names(tmp_path, capsys):
    with pytest.raises(ValueError, match="No recipe notebook"):
        gallery.gallery(tmp_path / "gallery.md", tmp_path, ROOT / "results")
    arguments = [str(tmp_path / "gallery.md"), "--notebooks", str(tmp_path)]
    assert gallery.main(arguments) == 1
    assert "gallery: No recipe notebook" in capsys.readouterr().err
