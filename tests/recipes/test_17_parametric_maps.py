"""Recipe 17, parametric maps: what its smoke run must show (tests/recipes/conftest.py runs it)."""

import json
import math
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
METHODS = ("ae", "pca", "umap", "tsne")
SMOKE_SEEDS = 2


def test_every_method_places_the_test_digits_and_says_what_it_keeps(smoke_run):
    metrics = smoke_run.metrics
    for method in METHODS:
        assert metrics[f"{method}_2_embed_seconds"] > 0.0, method
        assert metrics[f"{method}_2_model_megabytes"] > 0.0, method
    # The encoder keeps its float32 weights: 784*512 + 512*256 + 256*128 + 128*2 and biases.
    assert math.isclose(metrics["ae_2_model_megabytes"], 4 * 566_402 / 1e6), metrics
    # PCA keeps its mean and two components, 3 * 784 numbers (float32 or float64).
    assert 4 * 3 * 784 / 1e6 <= metrics["pca_2_model_megabytes"] <= 8 * 3 * 784 / 1e6, metrics
    # UMAP keeps the training digits (1,800 of 784 float32 pixels in smoke) and more.
    assert metrics["umap_2_model_megabytes"] > 1_800 * 784 * 4 / 1e6, metrics


def test_the_encoder_places_digits_faster_than_the_neighbour_embeddings(smoke_run):
    metrics = smoke_run.metrics
    # The encoder is one pass through dense layers; UMAP and openTSNE search the training
    # digits for each new digit's neighbours and optimise its place (by a margin of tens of
    # times on the full data; a few times is enough to show it on the small sample).
    for method in ("umap", "tsne"):
        assert 3 * metrics["ae_2_embed_seconds"] < metrics[f"{method}_2_embed_seconds"], method


def test_the_decoder_rebuilds_faster_than_umaps_inverse_and_every_seed_counts(smoke_run):
    metrics = smoke_run.metrics
    assert 10 * metrics["ae_2_rebuild_seconds"] < metrics["umap_2_rebuild_seconds"], metrics
    # Each rebuild beats a blank image (MSE ~0.1) on the same digits.
    for method in ("ae", "pca", "umap"):
        assert 0.0 < metrics[f"{method}_2_rebuild_mse"] < 0.1, method
    assert metrics["ae_2_rebuild_mse_seeds"] == SMOKE_SEEDS
    name = "ae_2_minus_umap_2_rebuild_mse"
    difference = metrics["ae_2_rebuild_mse"] - metrics["umap_2_rebuild_mse"]
    assert math.isclose(metrics[name], difference, abs_tol=1e-12), metrics
    assert metrics[f"{name}_low"] <= metrics[name] <= metrics[f"{name}_high"], metrics


def test_the_headline_is_the_encoder_against_umaps_transform(smoke_run):
    headline = smoke_run.record["headline"]
    assert headline["metric"] == "ae_2_embed_seconds"
    assert headline["baseline_metric"] == "umap_2_embed_seconds"
    assert not headline["percent"] and headline["seeds"] == 1


def test_the_settings_are_recipe_02s(smoke_run):
    config = smoke_run.record["config"]
    assert config["seeds"] == 5 and config["repeats"] == 3 and config["inverse_digits"] == 200
    # The page repeats recipe 02's model, training and baselines; its committed record holds them.
    record = json.loads((ROOT / "results" / "dimensionality_reduction.json").read_text())
    shared = ("seed", "epochs", "batch_size", "learning_rate", "umap_neighbours")
    shared += ("umap_min_dist", "tsne_perplexity", "tsne_train_size")
    for key in shared:
        assert config[key] == record["config"][key], key
