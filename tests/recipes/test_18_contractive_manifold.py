"""Recipe 18, contractive manifold: what its smoke run must show (tests/recipes/conftest.py runs
it)."""

import math

MODELS = ("plain", "contractive", "pca")
MOVES = ("one_pixel_shift", "half_pixel_shift", "rotation")
WEIGHTS = (0.003, 0.01, 0.03)


def test_moves_along_and_off_the_data_have_the_same_norms(smoke_run):
    # Each image's noise was rescaled to the norm of its move's difference x' - x.
    assert smoke_run.metrics["perturbation_norm_mismatch"] < 1e-4


def test_the_along_off_ratio_is_measured_for_every_model_and_move(smoke_run):
    metrics = smoke_run.metrics
    for model in MODELS:
        ratios = [metrics[f"{model}_{move}_ratio"] for move in MOVES]
        assert all(math.isfinite(ratio) and 0.0 < ratio < 50.0 for ratio in ratios), model
        # The headline ratio is the mean over the three moves (of the seeds' means).
        assert math.isclose(metrics[f"{model}_along_off_ratio"], sum(ratios) / 3, rel_tol=1e-6)
        assert 10.0 < metrics[f"{model}_psnr"] < 40.0, model
    for model in ("plain", "contractive"):
        assert metrics[f"{model}_along_off_ratio_seeds"] == 2, model
        assert metrics[f"{model}_along_off_ratio_std"] >= 0.0, model
        low, high = metrics[f"{model}_psnr_low"], metrics[f"{model}_psnr_high"]
        assert low <= metrics[f"{model}_psnr"] <= high, model


def test_the_paired_differences_and_the_headline_carry_their_intervals(smoke_run):
    metrics, headline = smoke_run.metrics, smoke_run.record["headline"]
    for key in (
        "contractive_minus_plain_along_off_ratio",
        "contractive_minus_pca_along_off_ratio",
        "plain_minus_pca_along_off_ratio",
    ):
        assert metrics[f"{key}_low"] <= metrics[key] <= metrics[f"{key}_high"], key
        assert metrics[f"{key}_seeds"] == 2, key
    difference = metrics["contractive_along_off_ratio"] - metrics["pca_along_off_ratio"]
    assert math.isclose(metrics["contractive_minus_pca_along_off_ratio"], difference, abs_tol=1e-9)
    assert headline["metric"] == "contractive_along_off_ratio"
    assert headline["baseline_metric"] == "pca_along_off_ratio" and headline["seeds"] == 2
    for field in ("spread_metric", "difference_low_metric", "difference_high_metric"):
        assert headline[field] in metrics, field


def test_the_weight_is_chosen_on_held_out_images_by_the_stated_rule(smoke_run):
    metrics = smoke_run.metrics
    chosen = metrics["contraction_weight"]
    assert chosen in WEIGHTS
    names = {weight: f"held_out_lambda_{weight:g}".replace(".", "_") for weight in WEIGHTS}
    eligible = [
        weight
        for weight in WEIGHTS
        if metrics[f"{names[weight]}_psnr"] >= metrics["held_out_pca_psnr"]
    ]
    if eligible:
        ratios = {weight: metrics[f"{names[weight]}_along_off_ratio"] for weight in eligible}
        assert chosen == max(ratios, key=ratios.get)
    else:
        assert chosen == min(WEIGHTS)
    assert "held_out_lambda_0_psnr" in metrics  # The plain model is in the table too.


def test_the_record_holds_the_configuration_the_run_started_with(smoke_run):
    config = smoke_run.record["config"]
    assert config["seed"] == 42 and config["epochs"] == 30 and config["batch_size"] == 128
    assert config["latent_dim"] == 32 and config["seeds"] == 5
    assert config["contraction_weights"] == "0.003 0.01 0.03"
    assert config["rotation_degrees"] == 5.0
