import json
import re
from pathlib import Path

import pytest

from aelib import results
from booktools import book, report

ROOT = Path(__file__).resolve().parents[1]


# Headlines as three recipes declare them (this test's copy; booktools.report knows none).
HEADLINES = {
    "vanilla": {
        "title": "Vanilla",
        "metric": "ae_32_psnr",
        "label": "dense autoencoder, 32-number code, PSNR (dB)",
        "baseline_metric": "pca_32_psnr",
        "baseline_label": "PCA, 32 components",
    },
    "dimensionality_reduction": {
        "title": "Dimensionality reduction",
        "metric": "ae_4_knn_accuracy",
        "label": "autoencoder, 4-number codes, 5-NN accuracy",
        "baseline_metric": "pca_4_knn_accuracy",
        "baseline_label": "PCA, 4 components, 5-NN",
        "seed_figure": "79% (a classifier on 32-number codes)",
        "percent": True,
    },
    "super_resolution": {
        "title": "Super-resolution",
        "metric": "subpixel_psnr",
        "label": "residual sub-pixel x2, PSNR (dB)",
        "baseline_metric": "bicubic_psnr",
        "baseline_label": "bicubic",
    },
}


def _headline(recipe):
    return {"seed_figure": "", "percent": False, **HEADLINES[recipe]}


def _write(folder, recipe, metrics, seconds=None, hardware=None):
    return (
        results.save_record(
            recipe,
            "full",
            "dir",
            metrics,
            seconds or {"train": 120.0, "evaluate": 60.0},
            folder,
            _headline(recipe),
        )
        if hardware is None
        else _write_with_hardware(folder, recipe, metrics, hardware)
    )


def _write_with_hardware(folder, recipe, metrics, hardware):
    path = results.save_record(
        recipe, "full", "dir", metrics, {"train": 60.0}, folder, _headline(recipe)
    )
    record = json.loads(path.read_text())
    record["hardware"] = hardware
    path.write_text(json.dumps(record))
    return path


def test_table_has_one_row_per_record_in_book_order(tmp_path):
    _write(tmp_path, "super_resolution", {"subpixel_psnr": 28.944, "bicubic_psnr": 26.19})
    _write(tmp_path, "vanilla", {"ae_32_psnr": 24.3, "pca_32_psnr": 18.561})
    _write(
        tmp_path,
        "dimensionality_reduction",
        {"ae_4_knn_accuracy": 0.9843, "pca_4_knn_accuracy": 0.98},
    )
    lines = report.headline_table(tmp_path).splitlines()
    assert len(lines) == 2 + 3
    assert [line.split(" | ")[0] for line in lines[2:]] == [
        "| Vanilla",
        "| Dimensionality reduction",
        "| Super-resolution",
    ]
    vanilla = lines[2].split(" | ")
    assert vanilla[2:5] == ["24.30", "PCA, 32 components", "18.56"]
    assert "98.4%" in lines[3] and "79%" in lines[3]  # Percent metrics, and the seed's figure.
    assert "3 min" in lines[2] and "data folder" in lines[2]


def test_hardware_names_the_gpu_when_there_is_one(tmp_path):
    hardware = {"cpu": "x", "cpu_count": 16, "gpus": ["NVIDIA H100 80GB HBM3"]}
    _write(tmp_path, "vanilla", {"ae_32_psnr": 30.0, "pca_32_psnr": 18.0}, hardware=hardware)
    assert "NVIDIA H100 80GB HBM3" in report.headline_table(tmp_path)


def test_missing_metric_and_missing_folder_raise_value_error(tmp_path):
    with pytest.raises(ValueError, match="pca_32_psnr"):
        _write(tmp_path, "vanilla", {"ae_32_psnr": 24.3})  # Refused when saved...
    path = results.save_record("vanilla", "full", "dir", {"ae_32_psnr": 24.3}, {}, tmp_path)
    record = json.loads(path.read_text())
    record["headline"] = _headline("vanilla")
    path.write_text(json.dumps(record))
    with pytest.raises(ValueError, match="pca_32_psnr"):
        report.headline_table(tmp_path)  # ...and when a record edited by hand is published.
    with pytest.raises(ValueError, match="No results folder"):
        report.headline_table(tmp_path / "absent")


def test_every_committed_record_has_its_headline_metrics():
    table = report.headline_table(ROOT / "results")
    assert len(table.splitlines()) == 2 + len(list((ROOT / "results").glob("*.json")))


def test_readme_table_goes_stale_when_a_result_changes(synced_copy):
    tmp_path = synced_copy
    # The copy has no git history: keep the aelib pin its recipes hold (only README is at stake).
    pin = re.search(r"aelib @ git\+\S+@(\w+)", (tmp_path / "recipes" / "01_vanilla.py").read_text())
    assert not book.find_stale_files(tmp_path, revision=pin.group(1))
    record_path = tmp_path / "results" / "vanilla.json"
    record = json.loads(record_path.read_text())
    headline = record["headline"]["metric"]
    record["metrics"][headline] += 1.0
    # The interval of the difference moves with the number it bounds.
    for key in ("difference_low_metric", "difference_high_metric"):
        if record["headline"].get(key):
            record["metrics"][record["headline"][key]] += 1.0
    record_path.write_text(json.dumps(record))
    assert book.find_stale_files(tmp_path, revision=pin.group(1)) == [tmp_path / "README.md"]
    book.sync_files(tmp_path, revision=pin.group(1))
    assert f"{record['metrics'][headline]:.2f}" in (tmp_path / "README.md").read_text()


def test_page_command_writes_the_table(tmp_path):
    _write(tmp_path, "vanilla", {"ae_32_psnr": 24.3, "pca_32_psnr": 18.56})
    output = tmp_path / "book" / "results.md"
    assert report.main(["page", str(output), "--results", str(tmp_path)]) == 0
    text = output.read_text()
    assert text.startswith("# Results\n") and "| Vanilla |" in text
    assert not list(output.parent.glob(".results.md.*"))  # No temporary file is left behind.


def _declared(title, metric, baseline, **extra):
    return {
        "title": title,
        "metric": metric,
        "label": f"{metric} label",
        "baseline_metric": baseline,
        "baseline_label": f"{baseline} label",
        **extra,
    }


def test_a_declared_headline_needs_no_entry_here_and_book_order_follows_the_notebooks(
    tmp_path, monkeypatch
):
    # A recipe this module knows nothing about: its record says what its headline is.
    (tmp_path / "recipes").mkdir()
    for source in ("01_zeta.py", "02_alpha.py"):
        (tmp_path / "recipes" / source).write_text("")
    monkeypatch.chdir(tmp_path)
    metrics = {"ours": 0.91, "theirs": 0.5}
    for recipe, title in (("alpha", "Alpha"), ("zeta", "Zeta")):
        headline = _declared(title, "ours", "theirs", seed_figure="80%", percent=True)
        results.save_record(recipe, "full", "dir", metrics, {"train": 60.0}, "out", headline)
    lines = report.headline_table("out", root=tmp_path).splitlines()
    assert [line.split(" | ")[0] for line in lines[2:]] == ["| Zeta", "| Alpha"]
    assert lines[2].split(" | ")[1:6] == ["ours label", "91.0%", "theirs label", "50.0%", "80%"]
    assert report.missing_records("out", root=tmp_path) == []
    (tmp_path / "recipes" / "03_beta.py").write_text("")
    assert report.missing_records("out", root=tmp_path) == ["beta"]


def test_a_record_without_a_headline_is_named_and_never_published(tmp_path):
    results.save_record("vanilla", "full", "dir", {"ae_32_psnr": 24.3}, {"train": 1.0}, tmp_path)
    with pytest.raises(ValueError, match="The vanilla record declares no headline"):
        report.headline_table(tmp_path)
    (why,) = report.offending_records(tmp_path).values()
    assert "declares no headline" in why


@pytest.mark.parametrize(
    ("headline", "message"),
    [
        (_declared("A", "absent", "theirs"), r"headline\['metric'\] is 'absent'"),
        (_declared("A", "ours", "theirs", percent="yes"), r"headline\['percent'\] must be bool"),
        (_declared("", "ours", "theirs"), r"headline\['title'\] is empty"),
        ({"title": "A", "metric": "ours"}, "headline lacks"),
        (_declared("A", "ours", "theirs", colour="red"), r"unknown keys \['colour'\]"),
        (["ours"], "headline must be a Headline"),
        (_declared("A|B", "ours", "theirs"), "one line and no '\\|'"),
        (_declared("A", "ours", "theirs", seed_figure="1\n2"), "one line"),
    ],
)
def test_a_malformed_headline_is_refused_when_saved(tmp_path, headline, message):
    with pytest.raises(ValueError, match=message):
        results.save_record(
            "alpha", "full", "dir", {"ours": 1.0, "theirs": 0.5}, {}, tmp_path, headline
        )


def test_a_percentage_must_be_a_fraction(tmp_path):
    headline = _declared("A", "ours", "theirs", percent=True)
    with pytest.raises(ValueError, match=r"ours is 24.3, not a fraction in \[0, 1\]"):
        results.save_record(
            "alpha", "full", "dir", {"ours": 24.3, "theirs": 0.5}, {}, tmp_path, headline
        )
    # A record edited by hand is refused when the table is made, not shown as "2430.0%".
    path = results.save_record("alpha", "full", "dir", {"ours": 24.3, "theirs": 0.5}, {}, tmp_path)
    record = json.loads(path.read_text())
    record["headline"] = {**headline, "seed_figure": ""}
    path.write_text(json.dumps(record))
    with pytest.raises(ValueError, match="not a fraction"):
        report.headline_rows([record])


def test_a_label_edited_by_hand_cannot_split_a_row(tmp_path):
    _write(tmp_path, "vanilla", {"ae_32_psnr": 24.3, "pca_32_psnr": 18.56})
    path = tmp_path / "vanilla.json"
    record = json.loads(path.read_text())
    record["headline"]["label"] = "a | b\nc"
    rows = report.headline_rows([record])
    assert rows[0]["headline"] == "a | b\nc"
    cells = [report._cell(value) for value in rows[0].values()]
    assert "a \\| b c" in cells
    assert all("\n" not in cell for cell in cells)


def test_headline_objects_and_mappings_make_the_same_record(tmp_path):
    metrics = {"ours": 0.9, "theirs": 0.5}
    declared = results.Headline(
        title="A", metric="ours", label="l", baseline_metric="theirs", baseline_label="b"
    )
    first = results.save_record("alpha", "full", "dir", metrics, {}, tmp_path / "a", declared)
    second = results.save_record(
        "alpha", "full", "dir", metrics, {}, tmp_path / "b", _declared("A", "ours", "theirs")
    )
    assert json.loads(first.read_text())["headline"]["label"] == "l"
    assert set(json.loads(first.read_text())["headline"]) == set(
        json.loads(second.read_text())["headline"]
    )
