"""Recipe 21, masked autoencoder: what its smoke run must show (tests/recipes/conftest.py)."""


def test_exactly_three_quarters_of_the_patches_are_hidden(smoke_run):
    metrics = smoke_run.metrics
    # 16 patches of 7x7 pixels: every test image has exactly 12 hidden and 4 visible.
    assert metrics["mask_share"] == 0.75, metrics["mask_share"]
    assert metrics["hidden_per_image_min"] == metrics["hidden_per_image_max"] == 12
    assert metrics["visible_patches"] == 4


def test_the_masked_patch_loss_falls(smoke_run):
    metrics = smoke_run.metrics
    # Held-out loss on the hidden patches, mean over the seeds: lower after the last epoch than
    # after the first; the denoising baseline learns too.
    assert metrics["mae_last_val_loss"] < metrics["mae_first_val_loss"], metrics
    assert metrics["dae_last_val_loss"] < metrics["dae_first_val_loss"], metrics
    assert 0.0 < metrics["mae_test_masked_mse"] < 1.0


def test_every_probe_beats_chance_clearly(smoke_run):
    metrics = smoke_run.metrics
    # Ten classes: chance is 10%. Even a few smoke epochs and 1,800 probe images put every
    # frozen encoder's probe far above it, the untrained one's too.
    for encoder in ("mae", "dae", "random"):
        assert metrics[f"{encoder}_probe_accuracy"] > 0.3, encoder
        assert metrics[f"{encoder}_probe_accuracy_seeds"] == 2, encoder
        assert metrics[f"{encoder}_probe_accuracy_std"] >= 0.0, encoder
    for baseline in ("dae", "random"):
        key = f"mae_minus_{baseline}_probe_accuracy"
        assert metrics[f"{key}_low"] <= metrics[key] <= metrics[f"{key}_high"], baseline
        difference = metrics["mae_probe_accuracy"] - metrics[f"{baseline}_probe_accuracy"]
        assert abs(metrics[key] - difference) < 1e-9, baseline


def test_the_record_holds_the_headline_and_configuration(smoke_run):
    headline, config = smoke_run.record["headline"], smoke_run.record["config"]
    assert headline["metric"] == "mae_probe_accuracy"
    assert headline["baseline_metric"] in ("dae_probe_accuracy", "random_probe_accuracy")
    assert headline["seeds"] == 2 and headline["percent"] is True
    assert config["seed"] == 0 and config["epochs"] == 3 and config["mask_ratio"] == 0.75
    assert config["patch_size"] == 7 and config["probe_size"] == 10000
