"""Recipe 11, contractive: what its smoke run must show (tests/recipes/conftest.py runs it)."""

import json
import math
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_penalty_is_right_and_flattens_the_encoder(smoke_run):
    metrics = smoke_run.metrics
    for model in ("plain", "contractive"):
        assert metrics[f"{model}_last_epoch_loss"] < metrics[f"{model}_first_epoch_loss"], model
    # The closed-form Jacobian agrees with finite differences and with the layer's own penalty.
    assert metrics["jacobian_relative_error"] < 1e-3
    # The penalty flattens the encoder around the test images.
    assert metrics["contractive_jacobian_norm"] < 0.8 * metrics["plain_jacobian_norm"], metrics
    for model in ("plain", "contractive", "pca"):
        assert 0.0 < metrics[f"{model}_relative_code_change"] < 1.0, model


def test_the_committed_full_run_shows_what_the_page_says(smoke_run):
    # Five smoke epochs leave the plain code barely trained; the full run is where noise moves
    # the penalized code less, relative to the codes' spread, than the plain one's.
    record = json.loads((ROOT / "results" / "contractive.json").read_text())["metrics"]
    change = record["contractive_relative_code_change"]
    assert 0.0 < change < 0.5 * record["plain_relative_code_change"], record
    assert record["contractive_minus_pca_relative_code_change_high"] < 0.0, record


def test_the_paired_differences_and_the_headline_carry_their_intervals(smoke_run):
    metrics, headline = smoke_run.metrics, smoke_run.record["headline"]
    for key in (
        "contractive_minus_plain_jacobian_norm",
        "contractive_minus_plain_relative_code_change",
        "contractive_minus_pca_relative_code_change",
        "contractive_minus_plain_psnr",
        "contractive_minus_pca_psnr",
    ):
        assert metrics[f"{key}_low"] <= metrics[key] <= metrics[f"{key}_high"], key
        assert metrics[f"{key}_seeds"] == 2, key
    # PCA's code is in other units than a sigmoid code's: no difference of Jacobian norms.
    assert "contractive_minus_pca_jacobian_norm" not in metrics
    difference = metrics["contractive_relative_code_change"] - metrics["pca_relative_code_change"]
    assert math.isclose(
        metrics["contractive_minus_pca_relative_code_change"], difference, abs_tol=1e-9
    )
    for model in ("plain", "contractive"):
        low, high = metrics[f"{model}_psnr_low"], metrics[f"{model}_psnr_high"]
        assert low <= metrics[f"{model}_psnr"] <= high, model
    assert headline["metric"] == "contractive_relative_code_change"
    assert headline["baseline_metric"] == "pca_relative_code_change" and headline["seeds"] == 2
    for field in ("spread_metric", "difference_low_metric", "difference_high_metric"):
        assert headline[field] in metrics, field


def test_pca_and_the_reloaded_model_behave(smoke_run):
    metrics = smoke_run.metrics
    # PCA's encoder is a projection with orthonormal rows: its squared Jacobian norm is the
    # number of components exactly.
    assert abs(metrics["pca_jacobian_norm"] - 32) < 1e-3, metrics
    for model in ("plain", "contractive", "pca"):
        assert 10.0 < metrics[f"{model}_psnr"] < 40.0, model
    assert metrics["reload_difference"] < 1e-6


def test_the_weight_is_the_one_recipe_18_chose_on_its_held_out_images(smoke_run):
    config = smoke_run.record["config"]
    # Recipe 18's committed full-profile record holds its choice.
    record = json.loads((ROOT / "results" / "contractive_manifold.json").read_text())
    assert config["contraction_weight"] == record["metrics"]["contraction_weight"]
    assert smoke_run.metrics["contraction_weight"] == config["contraction_weight"]


def test_the_record_holds_the_configuration_the_run_started_with(smoke_run):
    config = smoke_run.record["config"]
    assert config["seed"] == 42 and config["epochs"] == 30 and config["batch_size"] == 128
    assert config["latent_dim"] == 32 and config["seeds"] == 5
    assert config["input_noise"] == 0.05
