"""Recipe 22, interpretable latents: what its smoke run must show (tests/recipes/conftest.py runs
it), and that its committed run retrained recipe 15's models."""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UNITS = ("neurons", "sae", "pca", "ica", "dictionary")


def test_the_classifier_and_the_sparse_autoencoder_learn(smoke_run):
    metrics = smoke_run.metrics
    assert metrics["classifier_accuracy"] > 0.8, metrics["classifier_accuracy"]
    assert metrics["sae_16_last_epoch_loss"] < metrics["sae_16_first_epoch_loss"]
    for key in UNITS[1:]:
        assert 0.0 <= metrics[f"{key}_16_fvu"] < 1.0, key
    # FastICA rotates PCA's k-dimensional subspace: it rebuilds exactly as much.
    assert abs(metrics["ica_16_fvu"] - metrics["pca_16_fvu"]) < 1e-3


def test_selectivity_is_measured_for_every_kind_of_unit(smoke_run):
    metrics, headline = smoke_run.metrics, smoke_run.record["headline"]
    for key in UNITS:
        assert 0.0 <= metrics[f"{key}_selectivity"] <= 1.0, key
        assert metrics[f"{key}_firing"] >= 1, key
        assert 0.0 <= metrics[f"{key}_one_digit_share"] <= 1.0, key
    # PCA and FastICA have exactly k components; the sparse codes have up to 1,024 units.
    assert metrics["pca_firing"] <= 16 and metrics["ica_firing"] <= 16
    assert 16 <= metrics["sae_firing"] <= 1024 and metrics["neurons_firing"] <= 128
    assert headline["metric"] == "sae_selectivity"
    assert headline["baseline_metric"] == "neurons_selectivity"


def test_the_record_holds_the_configuration_the_run_started_with(smoke_run):
    config = smoke_run.record["config"]
    assert config["seed"] == 42 and config["epochs"] == 20 and config["batch_size"] == 256
    assert config["latents"] == 1024 and config["active"] == 16


def test_the_committed_run_retrained_recipe_15s_classifier_and_sparse_autoencoder():
    # The page repeats recipe 15's models with the same seeds and settings so that it runs
    # alone; their committed full runs must then agree on what both measure.
    ours, theirs = (
        json.loads((ROOT / "results" / f"{name}.json").read_text())
        for name in ("interpretable_latents", "interpretability")
    )
    for key in ("seed", "epochs", "batch_size", "learning_rate", "latents"):
        assert ours["config"][key] == theirs["config"][key], key
    assert ours["config"]["active"] == theirs["config"]["headline_active"]
    keys = ["classifier_accuracy"] + [f"{unit}_16_fvu" for unit in UNITS[1:]]
    for key in keys:
        assert abs(ours["metrics"][key] - theirs["metrics"][key]) < 1e-6, key
