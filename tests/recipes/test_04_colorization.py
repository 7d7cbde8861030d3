"""Recipe 04, colorization: what its smoke run must show (tests/recipes/conftest.py runs it)."""


def test_the_unet_learns_and_beats_the_gray_copy(smoke_run):
    metrics = smoke_run.metrics
    assert metrics["unet_last_epoch_loss"] < metrics["unet_first_epoch_loss"], metrics
    # Predicting only the colour keeps the luma exact: the U-Net beats the gray copy even after
    # a few seconds of training (SSIM needs the full run: the smoke run's U-Net blurs edges).
    assert metrics["unet_pooled_psnr"] > metrics["gray_pooled_psnr"], metrics


def test_the_record_holds_the_configuration_the_run_started_with(smoke_run):
    config = smoke_run.record["config"]
    assert config["seed"] == 42 and config["epochs"] == 16 and config["batch_size"] == 64
    assert config["seed_model_epochs"] == 5 and config["seed_model_train_size"] == 20_000
