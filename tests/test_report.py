import json
import re
from pathlib import Path

import pytest

from aelib import book, report, results

ROOT = Path(__file__).resolve().parents[1]


def _write(folder, recipe, metrics, seconds=None, hardware=None):
    return (
        results.save_record(
            recipe, "full", "dir", metrics, seconds or {"train": 120.0, "evaluate": 60.0}, folder
        )
        if hardware is None
        else _write_with_hardware(folder, recipe, metrics, hardware)
    )


def _write_with_hardware(folder, recipe, metrics, hardware):
    path = results.save_record(recipe, "full", "dir", metrics, {"train": 60.0}, folder)
    record = json.loads(path.read_text())
    record["hardware"] = hardware
    path.write_text(json.dumps(record))
    return path


def test_table_has_one_row_per_record_in_book_order(tmp_path):
    _write(tmp_path, "super_resolution", {"subpixel_psnr": 28.944, "bicubic_psnr": 26.19})
    _write(tmp_path, "vanilla", {"conv_psnr": 24.3, "pca_32_psnr": 18.561})
    _write(
        tmp_path,
        "dimensionality_reduction",
        {"ae_accuracy_mean": 0.9843, "pca_accuracy_mean": 0.98},
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
    _write(tmp_path, "vanilla", {"conv_psnr": 30.0, "pca_32_psnr": 18.0}, hardware=hardware)
    assert "NVIDIA H100 80GB HBM3" in report.headline_table(tmp_path)


def test_missing_metric_and_missing_folder_raise_value_error(tmp_path):
    _write(tmp_path, "vanilla", {"conv_psnr": 24.3})
    with pytest.raises(ValueError, match="pca_32_psnr"):
        report.headline_table(tmp_path)
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
    record["metrics"]["conv_psnr"] += 1.0
    record_path.write_text(json.dumps(record))
    assert book.find_stale_files(tmp_path, revision=pin.group(1)) == [tmp_path / "README.md"]
    book.sync_files(tmp_path, revision=pin.group(1))
    assert f"{record['metrics']['conv_psnr']:.2f}" in (tmp_path / "README.md").read_text()


def test_page_command_writes_the_table(tmp_path):
    _write(tmp_path, "vanilla", {"conv_psnr": 24.3, "pca_32_psnr": 18.56})
    output = tmp_path / "book" / "results.md"
    assert report.main(["page", str(output), "--results", str(tmp_path)]) == 0
    text = output.read_text()
    assert text.startswith("# Results\n") and "| Vanilla |" in text
    assert not list(output.parent.glob(".results.md.*"))  # No temporary file is left behind.
