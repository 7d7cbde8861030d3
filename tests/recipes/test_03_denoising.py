"""Recipe 03, denoising: what its smoke run must show (tests/recipes/conftest.py runs it)."""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CLASSICAL = (
    "gaussian",
    "median",
    "total_variation",
    "non_local_means",
    "wavelet",
    "bilateral",
    "pca",
)


def test_the_de_bias_helps_and_every_tuned_method_beats_the_noisy_input(smoke_run):
    metrics = smoke_run.metrics
    noisy = metrics["input_psnr_before_debias"]
    # The de-bias alone is worth decibels: the clipped noise brightens the black background.
    assert metrics["input_psnr"] > noisy + 1.0, metrics
    for method in CLASSICAL:
        # Each de-biased classical method improves on the noisy input and on the de-bias alone...
        assert metrics[f"{method}_psnr"] > metrics["input_psnr"] + 1.0, method
        # ...and its de-bias, fitted on training pairs, does not hurt it on the test digits.
        assert metrics[f"{method}_psnr"] >= metrics[f"{method}_psnr_before_debias"] - 0.1, method
        # Its de-bias was fitted on held-out training pairs, where it scored about as well.
        assert abs(metrics[f"{method}_tuning_psnr"] - metrics[f"{method}_psnr"]) < 1.0, method
    # Total variation flattens the contrast and keeps the grey background: the de-bias stretches
    # it (a > 1) and darkens it (b < 0).
    assert metrics["total_variation_debias_slope"] > 1.0, metrics
    assert metrics["total_variation_debias_intercept"] < 0.0, metrics


def test_the_settings_are_the_ones_the_denoiser_search_chose(smoke_run):
    metrics = smoke_run.metrics
    # benchmarks/denoiser_search.py's committed report holds the choices, made on full MNIST;
    # the record keeps the settings that are numbers.
    report = json.loads((ROOT / "benchmarks" / "results" / "denoiser_search.json").read_text())
    for method in CLASSICAL:
        settings = report["methods"][method]["settings"]
        numbers = {name: value for name, value in settings.items() if not isinstance(value, str)}
        assert numbers, method
        for name, value in numbers.items():
            assert metrics[f"{method}_{name}"] == value, (method, name)


def test_the_autoencoder_beats_the_strongest_tuned_baseline(smoke_run):
    metrics, headline = smoke_run.metrics, smoke_run.record["headline"]
    assert metrics["last_epoch_loss"] < metrics["first_epoch_loss"], metrics
    # The headline's baseline is the classical method with the best held-out tuning score.
    strongest = max(CLASSICAL, key=lambda method: metrics[f"{method}_tuning_psnr"])
    assert headline["metric"] == "autoencoder_psnr"
    assert headline["baseline_metric"] == f"{strongest}_psnr", headline
    # A few hundred steps already put the autoencoder ahead of every method, on both scores.
    for method in CLASSICAL:
        assert metrics["autoencoder_psnr"] > metrics[f"{method}_psnr"], method
        assert metrics["autoencoder_ssim"] > metrics[f"{method}_ssim"], method
    # The test cross-entropy is far below a constant guess of 0.5 per pixel (ln 2 = 0.69).
    assert 0.0 < metrics["autoencoder_bce"] < 0.3, metrics


def test_the_record_holds_the_configuration_the_run_started_with(smoke_run):
    config = smoke_run.record["config"]
    assert config["seed"] == 42 and config["epochs"] == 4 and config["batch_size"] == 16
    assert config["learning_rate"] == 2e-3 and config["noise_factor"] == 0.5
    assert config["tuning_size"] == 500
