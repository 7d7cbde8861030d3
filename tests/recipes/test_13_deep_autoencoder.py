"""Recipe 13, deep autoencoder: what its smoke run must show (tests/recipes/conftest.py runs it)."""

SIZES = (2, 8, 32)
SEEDED_SIZES = (2, 8)
SMOKE_SEEDS = 2


def test_every_code_size_trains_and_rebuilds_better_than_the_mean_image(smoke_run):
    metrics = smoke_run.metrics
    for size in SIZES:
        first, last = (metrics[f"deep_{size}_{end}_epoch_loss"] for end in ("first", "last"))
        assert last < first, (size, first, last)
    # After a few hundred steps on the embedded sample a bigger code already rebuilds better, for
    # the deep model as for PCA (the deep model passes PCA only on the full data).
    for method in ("deep", "pca"):
        psnr = [metrics[f"{method}_{size}_psnr"] for size in SIZES]
        assert psnr == sorted(psnr), (method, psnr)


def test_the_seeded_sizes_keep_their_spread_and_difference_from_pca(smoke_run):
    metrics = smoke_run.metrics
    for size in SEEDED_SIZES:
        model = f"deep_{size}"
        assert metrics[f"{model}_psnr_seeds"] == SMOKE_SEEDS, model
        per_seed = [metrics[f"{model}_psnr_seed_{42 + offset}"] for offset in range(SMOKE_SEEDS)]
        assert abs(sum(per_seed) / SMOKE_SEEDS - metrics[f"{model}_psnr"]) < 1e-9, model
        difference = metrics[f"{model}_minus_pca_{size}_psnr"]
        assert abs(difference - (metrics[f"{model}_psnr"] - metrics[f"pca_{size}_psnr"])) < 1e-9
        low, high = (metrics[f"{model}_minus_pca_{size}_psnr_{end}"] for end in ("low", "high"))
        assert low <= difference <= high, model
    # The 32-number model trains from one seed only.
    assert "deep_32_psnr_seeds" not in metrics and "deep_32_minus_pca_32_psnr" in metrics


def test_the_headline_is_the_deep_model_against_pca_at_2_numbers_with_its_seeds(smoke_run):
    headline = smoke_run.record["headline"]
    assert headline["metric"] == "deep_2_psnr" and headline["baseline_metric"] == "pca_2_psnr"
    assert headline["seeds"] == SMOKE_SEEDS
    assert headline["spread_metric"] == "deep_2_psnr_std"
    assert headline["difference_low_metric"] == "deep_2_minus_pca_2_psnr_low"
    assert headline["difference_high_metric"] == "deep_2_minus_pca_2_psnr_high"


def test_the_record_holds_the_configuration_the_run_started_with(smoke_run):
    config = smoke_run.record["config"]
    assert config["seed"] == 42 and config["epochs"] == 4 and config["batch_size"] == 128
    assert config["learning_rate"] == 3e-3 and config["seeds"] == 5
    assert config["headline_code_size"] == 2
