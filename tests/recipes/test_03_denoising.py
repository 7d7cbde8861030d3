"""Recipe 03, denoising: what its smoke run must show (tests/recipes/conftest.py runs it)."""


def test_every_method_denoises_and_the_autoencoder_beats_the_filters(smoke_run):
    metrics = smoke_run.metrics
    assert metrics["last_epoch_loss"] < metrics["first_epoch_loss"], metrics
    # Every method, learned or classical, improves on the noisy input it was given...
    for method in ("gaussian", "median", "autoencoder"):
        assert metrics[f"{method}_psnr"] > metrics["noisy_psnr"] + 1.0, method
    # ...and the autoencoder beats the median filter, on both scores, after a few hundred steps.
    assert metrics["autoencoder_psnr"] > metrics["median_psnr"] + 1.0, metrics
    assert metrics["autoencoder_ssim"] > metrics["median_ssim"], metrics
    # The blur's width is one of the candidates, chosen on training images.
    assert metrics["gaussian_sigma"] in (0.5, 0.75, 1.0, 1.5, 2.0)
    # The test cross-entropy is far below a constant guess of 0.5 per pixel (ln 2 = 0.69).
    assert 0.0 < metrics["autoencoder_bce"] < 0.3, metrics


def test_the_record_holds_the_configuration_the_run_started_with(smoke_run):
    config = smoke_run.record["config"]
    assert config["seed"] == 42 and config["epochs"] == 4 and config["batch_size"] == 16
    assert config["learning_rate"] == 2e-3 and config["noise_factor"] == 0.5
