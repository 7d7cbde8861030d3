"""Recipe 01, vanilla: what its smoke run must show (tests/recipes/conftest.py runs it)."""

SIZES = (2, 8, 32, 128)
SEEDED_SIZES = (2, 8)  # The sizes where the model trains from several seeds.
SMOKE_SEEDS = 2


def test_every_code_size_trains_and_a_bigger_code_rebuilds_better(smoke_run):
    metrics = smoke_run.metrics
    for size in SIZES:
        # Training reduced the loss of every one-layer autoencoder...
        first, last = (metrics[f"one_layer_{size}_{end}_epoch_loss"] for end in ("first", "last"))
        assert last < first, size
        # ...and PCA's code of every size rebuilds the digits better than the mean image.
        assert metrics[f"pca_{size}_mse"] < metrics["mean_image_mse"], size
    # After only a few hundred steps the larger autoencoders beat the mean image too...
    for size in (32, 128):
        assert metrics[f"one_layer_{size}_mse"] < 0.9 * metrics["mean_image_mse"], size
    # ...and a bigger code rebuilds better, for PCA and for the one-layer autoencoders.
    for method in ("one_layer", "pca"):
        psnr = [metrics[f"{method}_{size}_psnr"] for size in SIZES]
        assert psnr == sorted(psnr), (method, psnr)


def test_the_record_holds_each_seeded_models_summary_and_difference_from_pca(smoke_run):
    metrics = smoke_run.metrics
    for model in [f"one_layer_{size}" for size in SEEDED_SIZES]:
        size = int(model.rsplit("_", 1)[1])
        assert metrics[f"{model}_psnr_seeds"] == SMOKE_SEEDS, model
        per_seed = [metrics[f"{model}_psnr_seed_{42 + offset}"] for offset in range(SMOKE_SEEDS)]
        assert abs(sum(per_seed) / SMOKE_SEEDS - metrics[f"{model}_psnr"]) < 1e-9, model
        assert metrics[f"{model}_psnr_std"] >= 0.0
        assert metrics[f"{model}_psnr_low"] <= metrics[f"{model}_psnr"]
        assert metrics[f"{model}_psnr"] <= metrics[f"{model}_psnr_high"]
        # The paired difference from PCA (one deterministic value) is the mean's shift.
        difference = metrics[f"{model}_minus_pca_{size}_psnr"]
        assert abs(difference - (metrics[f"{model}_psnr"] - metrics[f"pca_{size}_psnr"])) < 1e-9
        low, high = (metrics[f"{model}_minus_pca_{size}_psnr_{end}"] for end in ("low", "high"))
        assert low <= difference <= high, model
    # The one-layer models at 32 and 128 numbers train from one seed only.
    assert "one_layer_32_psnr_seeds" not in metrics and "one_layer_128_psnr_seeds" not in metrics


def test_the_headline_is_the_blogs_32_number_model_against_pca_32(smoke_run):
    headline = smoke_run.record["headline"]
    assert headline["metric"] == "one_layer_32_psnr"
    assert headline["baseline_metric"] == "pca_32_psnr"
    assert headline["seeds"] == 1


def test_the_encoder_and_decoder_share_the_autoencoders_layers(smoke_run):
    # The separate encoder and decoder share the autoencoder's layers.
    assert smoke_run.metrics["encoder_decoder_max_difference"] < 1e-5


def test_the_record_holds_the_configuration_the_run_started_with(smoke_run):
    config = smoke_run.record["config"]
    assert config["seed"] == 42 and config["epochs"] == 20 and config["batch_size"] == 128
    assert config["latent_dim"] == 32 and config["seeds"] == 5
