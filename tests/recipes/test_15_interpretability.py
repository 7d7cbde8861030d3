"""Recipe 15, interpretability: what its smoke run must show (tests/recipes/conftest.py runs it)."""

ACTIVE = (4, 8, 16, 32)
METHODS = ("sae", "pca", "ica", "dictionary")


def test_the_classifier_learns_and_its_head_reads_the_layer_it_is_given(smoke_run):
    metrics = smoke_run.metrics
    assert metrics["classifier_accuracy"] > 0.8, metrics["classifier_accuracy"]
    # The head on the layer's own activations is the classifier itself.
    assert abs(metrics["layer_accuracy"] - metrics["classifier_accuracy"]) < 0.005


def test_every_sparse_autoencoder_trains_and_a_larger_k_rebuilds_more(smoke_run):
    metrics = smoke_run.metrics
    for k in ACTIVE:
        assert metrics[f"sae_{k}_last_epoch_loss"] < metrics[f"sae_{k}_first_epoch_loss"], k
        assert 0 <= metrics[f"sae_{k}_dead"] <= 1024, k
        for method in METHODS:
            assert 0.0 <= metrics[f"{method}_{k}_fvu"] < 1.0, (method, k)
            assert 0.0 <= metrics[f"{method}_{k}_accuracy"] <= 1.0, (method, k)
        # FastICA rotates PCA's k-dimensional subspace: it rebuilds exactly as much.
        assert abs(metrics[f"ica_{k}_fvu"] - metrics[f"pca_{k}_fvu"]) < 1e-3, k
    for method in ("sae", "pca"):
        fvu = [metrics[f"{method}_{k}_fvu"] for k in ACTIVE]
        assert fvu == sorted(fvu, reverse=True), (method, fvu)


def test_the_headline_is_the_sparse_code_against_dictionary_learning_at_k_16_over_seeds(smoke_run):
    headline = smoke_run.record["headline"]
    assert headline["metric"] == "sae_headline_fvu" and headline["seeds"] == 2
    assert headline["baseline_metric"] == "dictionary_headline_fvu"
    metrics = smoke_run.metrics
    # The first seed's runs are the table's k = 16 column; the others are trained again.
    assert metrics["sae_headline_fvu_seeds"] == 2
    low, high = metrics["sae_headline_fvu_low"], metrics["sae_headline_fvu_high"]
    assert low <= metrics["sae_headline_fvu"] <= high
    difference = metrics["sae_headline_fvu"] - metrics["dictionary_headline_fvu"]
    assert abs(metrics["sae_minus_dictionary_headline_fvu"] - difference) < 1e-9
    # The selectivity of the latents moved to recipe 22, with its own record.
    assert not any("selectivity" in key for key in smoke_run.metrics)


def test_the_record_holds_the_configuration_the_run_started_with(smoke_run):
    config = smoke_run.record["config"]
    assert config["seed"] == 42 and config["epochs"] == 20 and config["batch_size"] == 256
    assert config["latents"] == 1024 and config["headline_active"] == 16
