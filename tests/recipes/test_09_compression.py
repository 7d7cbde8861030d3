"""Recipe 09, compression: what its smoke run must show (tests/recipes/conftest.py runs it)."""

CLASSICAL = {"jpeg": 11, "webp": 8, "jpeg_2000": 8, "avif": 6, "jpeg_xl": 6}


def test_the_classical_codecs_trade_bits_for_psnr(smoke_run):
    metrics = smoke_run.metrics
    # Five codecs over their settings: a higher setting costs bits and buys PSNR, and each
    # stream (the file less the bytes all files share) is shorter than its whole file.
    for codec, count in CLASSICAL.items():
        for key in ("quality", "file_bpp", "psnr"):
            values = [metrics[f"{codec}_{index}_{key}"] for index in range(count)]
            assert values == sorted(values) and values[0] < values[-1], (codec, key, values)
        for index in range(count):
            stream, whole = metrics[f"{codec}_{index}_bpp"], metrics[f"{codec}_{index}_file_bpp"]
            assert 0 < stream < whole, (codec, index, stream, whole)


def test_every_learned_codec_round_trips_at_the_predicted_cost(smoke_run):
    metrics = smoke_run.metrics
    for index in range(6):  # The learned codec, one point per lambda.
        # Every test photo went through the range coder and back (the recipe raises if one
        # latent differs), and no latent fell outside the coder's alphabet.
        assert metrics[f"codec_{index}_photos_coded"] >= 100
        assert metrics[f"codec_{index}_clipped_latents"] == 0
        # The stream costs what the integer tables predict plus the coder's last, partly filled
        # 32-bit word and the header bytes that vary from file to file (of its length and its
        # checksum, 8 bytes at most): at 1,024 pixels a photo, under 0.1 bpp. The whole file adds
        # what all files share: at least the 11 fixed header bytes, at most the whole header.
        overhead = metrics[f"codec_{index}_bpp"] - metrics[f"codec_{index}_model_bpp"]
        assert 0.01 < overhead < 0.1, (index, overhead)
        shared = (metrics[f"codec_{index}_file_bpp"] - metrics[f"codec_{index}_bpp"]) * 1024 / 8
        assert 11 - 1e-6 < shared < 19 + 1e-6, (index, shared)
        # Even after the smoke profile's few steps, every codec beats sending the mean photo.
        assert metrics[f"codec_{index}_psnr"] > metrics["mean_image_psnr"] + 2.0
    lambdas = sorted(metrics[f"codec_{index}_lambda"] for index in range(6))
    assert lambdas[0] < lambdas[-1] and len(set(lambdas)) == 6, lambdas


def test_the_comparison_near_half_a_bit_uses_jpegs_own_point(smoke_run):
    metrics = smoke_run.metrics
    # The comparison near 0.5 bpp is JPEG's own point nearest it.
    jpeg_rates = [metrics[f"jpeg_{index}_bpp"] for index in range(CLASSICAL["jpeg"])]
    nearest = min(jpeg_rates, key=lambda rate: abs(rate - 0.5))
    assert metrics["jpeg_near_half_bpp_bpp"] == nearest


def test_the_record_holds_the_configuration_the_run_started_with(smoke_run):
    config = smoke_run.record["config"]
    assert config["seed"] == 42 and config["epochs"] == 3 and config["batch_size"] == 32
    assert config["fine_tune_epochs"] == 1 and config["base_lambda"] == 0.004
    assert config["filters"] == 48 and config["latent_channels"] == 32 and config["tail"] == 32
