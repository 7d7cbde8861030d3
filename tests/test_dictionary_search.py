"""benchmarks.dictionary_search: refusals, the search on tiny data, and recipe 12's parameters.

Everything here runs on a few synthetic 8x8 images; the real search needs MNIST and is run by
hand (its record is benchmarks/results/dictionary_search.json, checked against the page below).
"""

import ast
import json
from pathlib import Path

import numpy as np
import pytest

from aelib import data
from benchmarks import appendix, dictionary_search

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--atoms", "6", "--active", "2", "--batch-sizes", "4", "8", "--alphas", "0.1", "0.5"]


def tiny_images(count, seed=0):
    """(count, 8, 8, 1) float32 images in [0, 1]: sums of two of six random strokes, plus noise."""
    generator = np.random.default_rng(seed)
    strokes = generator.uniform(0.0, 1.0, (6, 64)) * (generator.uniform(size=(6, 64)) > 0.7)
    weights = np.zeros((count, 6))
    for row in weights:
        row[generator.choice(6, 2, replace=False)] = generator.uniform(0.5, 1.0, 2)
    images = weights @ strokes + generator.normal(0.0, 0.02, (count, 64))
    return np.clip(images, 0.0, 1.0).astype("float32").reshape(count, 8, 8, 1)


def tiny_mnist(source="dir"):
    images = tiny_images(100)
    labels = np.zeros(100, dtype="int64")
    return data.Dataset("mnist", images, labels, images[:10], labels[:10], source, "tiny")


@pytest.fixture
def no_loading(monkeypatch):
    """Fail the test if the command loads any data."""

    def refuse(*arguments, **keywords):
        raise AssertionError("the settings should have been refused before loading")

    monkeypatch.setattr(dictionary_search.data, "load_mnist", refuse)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--alphas", "0"], "--alphas must be positive"),
        (["--alphas", "nan"], "--alphas must be positive"),
        (["--batch-sizes", "0"], "--batch-sizes must be positive"),
        (["--alphas", "0.3", "0.3"], "must not repeat"),
        (["--atoms", "8", "--active", "9"], "--active must be between 1 and --atoms"),
        (["--active", "0"], "--active must be between 1 and --atoms"),
        (["--images", "40", "--batch-sizes", "32"], "Half of --images"),
        (["--max-passes", "-1"], "--max-passes and --min-gain"),
        (["--min-gain", "-0.1"], "--max-passes and --min-gain"),
    ],
)
def test_bad_settings_are_refused_before_anything_loads(arguments, message, no_loading, tmp_path):
    with pytest.raises(ValueError, match=message):
        dictionary_search.main([*arguments, "--output", str(tmp_path)])
    assert not list(tmp_path.iterdir())


def test_a_setting_that_is_not_a_number_is_a_usage_error(no_loading, capsys):
    with pytest.raises(SystemExit) as raised:
        dictionary_search.main(["--batch-sizes", "many"])
    assert raised.value.code == 2 and "error:" in capsys.readouterr().err


def test_the_search_picks_the_best_held_out_psnr_then_stops_by_its_rule():
    train, held_out = tiny_images(80, seed=1), tiny_images(20, seed=2)
    arguments = (train, held_out, (0.1, 0.5), (4, 8))
    rows, chosen, passes = dictionary_search.search(*arguments, atoms=6, active=2, max_passes=3)
    assert [(row["alpha"], row["batch_size"]) for row in rows] == [
        (0.1, 4),
        (0.5, 4),
        (0.1, 8),
        (0.5, 8),
    ]
    assert chosen == max(rows, key=lambda row: row["held_out_psnr"])
    assert all(np.isfinite(row["held_out_psnr"]) and row["seconds"] >= 0 for row in rows)
    # The first score is the chosen row's; passes continue while each gains 0.05 dB, at most 3.
    assert passes[0] == chosen["held_out_psnr"] and 1 <= len(passes) <= 4
    gains = np.diff(passes)
    assert all(gain >= 0.05 for gain in gains[:-1])
    assert len(gains) == 3 or gains[-1] < 0.05

    # The same seed gives the same search.
    def scores(rows):
        return [{key: value for key, value in row.items() if key != "seconds"} for row in rows]

    again = dictionary_search.search(*arguments, atoms=6, active=2, max_passes=3)
    assert scores(again[0]) == scores(rows) and again[2] == passes
    # No further pass when none is allowed.
    assert dictionary_search.search(*arguments, atoms=6, active=2, max_passes=0)[2] == [passes[0]]


def test_the_command_writes_its_record_and_report_atomically(monkeypatch, tmp_path):
    monkeypatch.setattr(dictionary_search.data, "load_mnist", lambda **keywords: tiny_mnist())
    record = dictionary_search.main([*TINY, "--images", "80", "--output", str(tmp_path)])
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "dictionary_search.json",
        "dictionary_search.md",
    ]
    assert json.loads((tmp_path / "dictionary_search.json").read_text()) == record
    assert record["held_out_images"] == 10 and len(record["rows"]) == 4
    assert record["chosen_passes"] == len(record["passes"]) - 1
    report = (tmp_path / "dictionary_search.md").read_text()
    assert report == dictionary_search.report(record) and report.startswith("# ")
    chosen = record["chosen"]
    bold = f"| **{chosen['alpha']:g}** | **{chosen['batch_size']}** |"
    assert sum(line.startswith(bold) for line in report.splitlines()) == 1


def test_the_command_needs_the_real_mnist(monkeypatch, tmp_path):
    monkeypatch.setattr(dictionary_search.data, "load_mnist", lambda **_: tiny_mnist("embedded"))
    with pytest.raises(RuntimeError, match="real MNIST"):
        dictionary_search.main([*TINY, "--images", "80", "--output", str(tmp_path)])
    monkeypatch.setattr(dictionary_search.data, "load_mnist", lambda **_: tiny_mnist())
    with pytest.raises(ValueError, match="exceeds the 90 training images"):
        dictionary_search.main([*TINY, "--images", "96", "--output", str(tmp_path)])


def page_parameters(path=ROOT / "recipes" / "12_k_sparse.py"):
    """The UPPER_CASE literal settings a recipe's source assigns."""
    parameters = {}
    for statement in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            name = getattr(statement.targets[0], "id", "")
            if name.isupper():
                parameters[name] = ast.literal_eval(statement.value)
    return parameters


def test_recipe_12_states_the_settings_the_search_chose():
    record = json.loads((dictionary_search.RESULTS / "dictionary_search.json").read_text())
    page, settings = page_parameters(), record["settings"]
    # The search ran on the page's data, atoms, k and seed...
    assert settings["images"] == page["DICTIONARY_IMAGES"]
    assert settings["atoms"] == page["CODE_UNITS"] and settings["active"] == page["ACTIVE_UNITS"]
    assert settings["seed"] == page["SEED"]
    # ... and the page trains with what it chose.
    assert page["DICTIONARY_ALPHA"] == record["chosen"]["alpha"]
    assert page["DICTIONARY_BATCH_SIZE"] == record["chosen"]["batch_size"]
    assert page["DICTIONARY_PASSES"] == record["chosen_passes"]
    # The page's static sentence "Its held-out PSNR still rose at the third pass".
    assert page["DICTIONARY_PASSES"] == 3 and record["passes"][-1] > record["passes"][-2]
    # The committed report is the record's, and the appendix shows it.
    report = (dictionary_search.RESULTS / "dictionary_search.md").read_text()
    assert report == dictionary_search.report(record)
    assert "dictionary_search.md" in [name for name, _ in appendix.SECTIONS]
