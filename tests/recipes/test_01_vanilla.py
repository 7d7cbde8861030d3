"""Recipe 01, vanilla: what its smoke run must show (tests/recipes/conftest.py runs it)."""


def test_every_code_size_trains_and_a_bigger_code_rebuilds_better(smoke_run):
    metrics = smoke_run.metrics
    sizes = (2, 8, 32, 128)
    for size in sizes:
        # Training reduced the loss of every autoencoder...
        assert metrics[f"ae_{size}_last_epoch_loss"] < metrics[f"ae_{size}_first_epoch_loss"], size
        # ...and PCA's code of every size rebuilds the digits better than the mean image.
        assert metrics[f"pca_{size}_mse"] < metrics["mean_image_mse"], size
    # After only a few hundred steps the larger autoencoders beat the mean image too...
    for size in (32, 128):
        assert metrics[f"ae_{size}_mse"] < 0.9 * metrics["mean_image_mse"], size
    # ...and a bigger code rebuilds better, for PCA and for the autoencoders.
    for method in ("ae", "pca"):
        psnr = [metrics[f"{method}_{size}_psnr"] for size in sizes]
        assert psnr == sorted(psnr), (method, psnr)


def test_the_encoder_and_decoder_share_the_autoencoders_layers(smoke_run):
    # The separate encoder and decoder share the autoencoder's layers.
    assert smoke_run.metrics["encoder_decoder_max_difference"] < 1e-5


def test_the_record_holds_the_configuration_the_run_started_with(smoke_run):
    config = smoke_run.record["config"]
    assert config["seed"] == 42 and config["epochs"] == 30 and config["batch_size"] == 128
    assert config["latent_dim"] == 32
