"""benchmarks.anomaly_search: its checks, its search on tiny data, and the pages that use it."""

import re
import types
from pathlib import Path

import numpy as np
import pytest

from aelib import data
from benchmarks import anomaly_search

ROOT = Path(__file__).resolve().parents[1]


def tiny_digits(per_digit=30, seed=0):
    """Ten classes of 6x6 'images' in [0, 1], each a blob around its own prototype (the same
    prototypes for every ``seed``, which draws the noise and the order)."""
    prototypes = np.random.default_rng(0).random((10, 6, 6, 1))
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(10), per_digit)
    images = prototypes[labels] + 0.05 * rng.standard_normal((len(labels), 6, 6, 1))
    order = rng.permutation(len(labels))
    return np.clip(images[order], 0, 1).astype(np.float32), labels[order]


def mean_image_coders(images, seed):
    """A stand-in for the autoencoder: a 2-number code (mean brightness, and a seeded random
    projection), decoded as the training images' mean image."""
    rows = images.reshape(len(images), -1)
    direction, mean_image = np.random.default_rng(seed).standard_normal(rows.shape[1]), rows.mean(0)

    def encode(inputs):
        flat = inputs.reshape(len(inputs), -1)
        return np.stack([flat.mean(axis=1), flat @ direction], axis=1)

    return encode, lambda codes: np.tile(mean_image, (len(codes), 1))


@pytest.fixture
def small_grids(monkeypatch):
    monkeypatch.setattr(anomaly_search, "MIXTURES", (1, 2))
    monkeypatch.setattr(anomaly_search, "PCA_SIZES", (2, 4))
    monkeypatch.setattr(anomaly_search, "NEIGHBOURS", (1, 3))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--seeds", "0"], "--seeds must be a positive integer, not 0"),
        (["--epochs", "0"], "--epochs must be a positive integer"),
        (["--batch-size", "-1"], "--batch-size must be a positive integer"),
        (["--code-size", "0"], "--code-size must be a positive integer"),
        (["--seed", "-1"], "--seed must be an integer >= 0"),
        (["--output", "report.txt"], "--output must name a Markdown file"),
    ],
)
def test_bad_settings_are_refused_before_anything_loads(arguments, message, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the data were loaded before the settings were checked")

    monkeypatch.setattr(data, "load_mnist", refuse)
    with pytest.raises(ValueError, match=re.escape(message)):
        anomaly_search.main(arguments)


def test_each_digit_keeps_nine_tenths_and_holds_out_the_last_tenth():
    images, labels = tiny_digits()
    train, held_out, held_out_labels = anomaly_search.split_by_digit(images, labels)
    assert all(len(train[digit]) == 27 for digit in range(10))
    assert len(held_out) == 30 and np.array_equal(held_out_labels, np.repeat(np.arange(10), 3))
    assert np.array_equal(held_out[:3], images[labels == 0][-3:])
    with pytest.raises(ValueError, match="digit 9 has 0 images"):
        anomaly_search.split_by_digit(images[labels != 9], labels[labels != 9])
    with pytest.raises(ValueError, match="must pair one to one"):
        anomaly_search.split_by_digit(images, labels[:-1])


def test_every_candidate_scores_every_model_and_the_best_held_out_auc_is_chosen(small_grids):
    images, labels = tiny_digits()
    test_images, test_labels = tiny_digits(per_digit=10, seed=1)
    trials = anomaly_search.search(
        images, labels, test_images, test_labels, mean_image_coders, seeds=[3, 4], seed=0
    )
    assert set(trials) == {
        *(f"{model} {letter}" for model in ("autoencoder", "PCA") for letter in "erca"),
        "nearest neighbours",
        "one-class SVM",
    }
    # Three candidates for the autoencoder's c and a, two seeds by ten digits each...
    assert list(trials["autoencoder a"]) == [(("Gaussians", 1),), (("Gaussians", 2),)]
    assert all(len(pairs) == 20 for pairs in trials["autoencoder c"].values())
    assert list(trials["PCA a"])[1] == (("components", 2), ("Gaussians", 2))
    assert len(trials["PCA c"]) == 4 and all(len(p) == 10 for p in trials["PCA c"].values())
    assert all(
        0 <= auc <= 1 for s in trials.values() for p in s.values() for pair in p for auc in pair
    )
    # ...and blobs this far apart are found by the nearest neighbours.
    assert np.mean(trials["nearest neighbours"][(("neighbours", 1),)]) > 0.95
    chosen = anomaly_search.choose(trials)
    assert "autoencoder e" not in chosen and "PCA e" in chosen
    for detector, setting in chosen.items():
        means = {key: np.mean([h for h, _ in pairs]) for key, pairs in trials[detector].items()}
        assert means[setting] == max(means.values()), detector


def test_the_report_states_every_trial_and_its_choices_can_be_read_back(small_grids):
    trials = {
        "PCA c": {
            (("components", 2), ("Gaussians", 1)): [(0.7, 0.6), (0.9, 0.8)],
            (("components", 4), ("Gaussians", 1)): [(0.9, 0.5), (0.9, 0.5)],
        },
        "one-class SVM": {(("gamma factor", 1),): [(0.6, 0.6)], (("gamma factor", 4),): [(0.5, 1)]},
        "autoencoder e": {(): [(0.8, 0.8)]},
    }
    arguments = anomaly_search.parse([])
    text = anomaly_search.report(trials, arguments, 90.0, 100)
    assert text.startswith("# One-class anomaly detection: the settings tried for recipe 10 (")
    assert "| **PCA c** | **components 4, Gaussians 1** | **0.9000** | **0.5000** |" in text
    assert "| PCA c | components 2, Gaussians 1 | 0.8000 | 0.7000 |" in text
    assert "autoencoder e" not in text and "seeds 42, 43, 44)" in " ".join(text.split())
    assert anomaly_search.chosen_settings(text) == {
        "PCA c": {"components": 4, "Gaussians": 1},
        "one-class SVM": {"gamma factor": 1},
    }
    with pytest.raises(ValueError, match="no '## Chosen settings' section"):
        anomaly_search.chosen_settings("# A report\n")


def test_the_command_writes_its_report(small_grids, monkeypatch, tmp_path):
    images, labels = tiny_digits()
    test_images, test_labels = tiny_digits(per_digit=10, seed=1)
    tiny = types.SimpleNamespace(
        x_train=images, y_train=labels, x_test=test_images, y_test=test_labels
    )
    monkeypatch.setattr(data, "load_mnist", lambda source, verbose: tiny)
    monkeypatch.setattr(anomaly_search, "keras_coders_trainer", lambda *sizes: mean_image_coders)
    output = tmp_path / "search.md"
    assert anomaly_search.main(["--seeds", "1", "--output", str(output)]) == 0
    chosen = anomaly_search.chosen_settings(output.read_text())
    assert set(chosen) == {"autoencoder c", "autoencoder a", "PCA e", "PCA r", "PCA c", "PCA a",
                           "nearest neighbours", "one-class SVM"}  # fmt: skip
    assert "(all 100 test images)" in " ".join(output.read_text().split())


def parameters(recipe: str) -> dict:
    """The names a recipe's parameters cell defines (plain literals, run here as Python)."""
    source = (ROOT / "recipes" / recipe).read_text()
    cell = source.split('# %% tags=["parameters"]\n', 1)[1].split("\n# %%", 1)[0]
    names: dict = {}
    exec(cell, {}, names)
    return names


def committed_choices() -> dict[str, dict[str, int]]:
    return anomaly_search.chosen_settings(anomaly_search.OUTPUT.read_text())


def test_recipe_10_uses_the_settings_the_committed_search_chose():
    chosen, settings = committed_choices(), parameters("10_anomaly_detection.py")
    assert settings["GAUSSIANS"] == chosen["autoencoder c"]["Gaussians"]
    assert settings["GAUSSIANS"] == chosen["autoencoder a"]["Gaussians"]
    for letter in "erca":
        assert settings["PCA_COMPONENTS"][letter] == chosen[f"PCA {letter}"]["components"]
    assert settings["PCA_GAUSSIANS"] == {k: chosen[f"PCA {k}"]["Gaussians"] for k in "ca"}
    assert settings["NEIGHBOURS"] == chosen["nearest neighbours"]["neighbours"]
    assert settings["GAMMA_FACTOR"] == chosen["one-class SVM"]["gamma factor"]


@pytest.mark.parametrize("recipe", ["14_held_out_digit.py", "19_thin_digits.py"])
def test_the_pages_that_reuse_recipe_10s_settings_match_the_committed_search(recipe):
    chosen, settings = committed_choices(), parameters(recipe)
    assert settings["GAUSSIANS"] == chosen["autoencoder a"]["Gaussians"]
    assert settings["PCA_COMPONENTS"] == chosen["PCA a"]["components"]
    assert settings["PCA_GAUSSIANS"] == chosen["PCA a"]["Gaussians"]
    assert settings["NEIGHBOURS"] == chosen["nearest neighbours"]["neighbours"]
