"""Recipe 02, dimensionality reduction: what its smoke run must show (tests/recipes/conftest.py
runs it)."""

import math

# The arms: (method, code size) pairs of the readout table; t-SNE places digits in 2-d only.
ARMS = [("ae", 2), ("pca", 2), ("tsne", 2), ("umap", 2), ("ae", 4), ("pca", 4), ("umap", 4)]
SMOKE_SEEDS = 2


def test_every_arm_reads_out_above_chance(smoke_run):
    metrics = smoke_run.metrics
    for method, size in ARMS:
        # Each readout of each code is well above chance (10%), even with 2 numbers.
        for readout in ("knn", "linear"):
            assert 0.2 < metrics[f"{method}_{size}_{readout}_accuracy"] <= 1.0, (method, size)
    # 5-NN on all 784 pixels, the reference of the readouts.
    assert 0.6 < metrics["pixels_knn_accuracy"] <= 1.0


def test_the_autoencoder_trains_from_every_seed(smoke_run):
    metrics = smoke_run.metrics
    for size in (2, 4):
        for key in ("knn_accuracy", "linear_accuracy", "subset_knn_accuracy"):
            name = f"ae_{size}_{key}"
            # Mean, spread and 95% interval over the smoke profile's seeds.
            assert metrics[f"{name}_seeds"] == SMOKE_SEEDS, name
            assert metrics[f"{name}_std"] >= 0.0, name
            assert metrics[f"{name}_low"] <= metrics[name] <= metrics[f"{name}_high"], name
    # The reconstruction errors and the speed, size and inverse measures moved to recipe 17.
    assert not [key for key in metrics if "mse" in key or "seconds" in key or "bytes" in key]
    # t-SNE's 5-NN looks among its subset of training codes; the autoencoder's 5-NN was also
    # scored with that subset (in smoke the subset is the whole training split).
    assert 0.2 < metrics["ae_2_subset_knn_accuracy"] <= 1.0, metrics


def test_the_neighbour_embeddings_keep_classes_apart_far_better_than_pca(smoke_run):
    metrics = smoke_run.metrics
    # Even on the small sample, t-SNE and UMAP place digits of one class together where PCA's
    # two directions of greatest variance mix them.
    for method in ("tsne", "umap"):
        assert metrics[f"{method}_2_knn_accuracy"] > metrics["pca_2_knn_accuracy"] + 0.2, method
    assert metrics["umap_4_knn_accuracy"] > metrics["pca_4_knn_accuracy"] + 0.1, metrics


def test_every_comparison_has_its_paired_interval(smoke_run):
    metrics = smoke_run.metrics
    for method, size in ARMS:
        if method == "ae":
            continue
        for readout in ("knn", "linear"):
            name = f"ae_{size}_minus_{method}_{size}_{readout}_accuracy"
            ours, theirs = (
                metrics[f"ae_{size}_{readout}_accuracy"],
                metrics[f"{method}_{size}_{readout}_accuracy"],
            )
            assert math.isclose(metrics[name], ours - theirs, abs_tol=1e-9), name
            assert metrics[f"{name}_low"] <= metrics[name] <= metrics[f"{name}_high"], name


def test_the_headline_is_against_the_strongest_baseline(smoke_run):
    metrics, headline = smoke_run.metrics, smoke_run.record["headline"]
    assert headline["metric"] == "ae_2_knn_accuracy" and headline["seeds"] == SMOKE_SEEDS
    strongest = max(("pca", "tsne", "umap"), key=lambda m: metrics[f"{m}_2_knn_accuracy"])
    assert headline["baseline_metric"] == f"{strongest}_2_knn_accuracy", headline
    assert headline["spread_metric"] == "ae_2_knn_accuracy_std"
    difference = f"ae_2_minus_{strongest}_2_knn_accuracy"
    assert headline["difference_low_metric"] == f"{difference}_low"
    assert headline["difference_high_metric"] == f"{difference}_high"
    assert headline["seed_figure"] == "79% (a classifier on 32-number codes)"


def test_the_record_holds_the_configuration_the_run_started_with(smoke_run):
    config = smoke_run.record["config"]
    assert config["seed"] == 42 and config["seeds"] == 5
    assert config["epochs"] == 5 and config["batch_size"] == 128
    assert config["learning_rate"] == 3e-3 and config["neighbours"] == 5
    assert config["umap_neighbours"] == 15 and config["umap_min_dist"] == 0.1
    assert config["tsne_perplexity"] == 30 and config["tsne_train_size"] == 20_000
    assert config["headline_code_size"] == 2
