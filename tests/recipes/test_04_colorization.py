"""Recipe 04, colorization: what its smoke run must show (tests/recipes/conftest.py runs it)."""


def test_every_model_learns_and_predicting_chroma_keeps_the_brightness(smoke_run):
    metrics = smoke_run.metrics
    for model in ("seed_rgb", "seed_chroma", "chroma_unet"):
        assert metrics[f"{model}_last_epoch_loss"] < metrics[f"{model}_first_epoch_loss"], model
    # Predicting only the colour copies the luma exactly: both chroma models beat the gray copy
    # on RGB PSNR even after a few seconds of training, which the seed's RGB target cannot.
    for model in ("seed_chroma", "unet"):
        assert metrics[f"{model}_rgb_psnr"] > metrics["gray_rgb_psnr"], model
    assert metrics["seed_rgb_rgb_psnr"] < metrics["gray_rgb_psnr"]


def test_the_comparisons_hold_their_intervals(smoke_run):
    metrics = smoke_run.metrics
    for baseline in ("gray", "mean_chroma", "seed_rgb", "seed_chroma"):
        key = f"unet_gain_over_{baseline}"
        assert metrics[f"{key}_low"] <= metrics[key] <= metrics[f"{key}_high"], baseline
        gain = metrics["unet_chroma_psnr"] - metrics[f"{baseline}_chroma_psnr"]
        assert abs(metrics[key] - gain) < 1e-4, baseline


def test_the_record_holds_the_configuration_the_run_started_with(smoke_run):
    config = smoke_run.record["config"]
    assert config["seed"] == 42 and config["epochs"] == 2 and config["batch_size"] == 64
    assert config["train_size"] == 30_000
