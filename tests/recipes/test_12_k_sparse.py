"""Recipe 12, k-sparse: what its smoke run must show (tests/recipes/conftest.py runs it)."""


def test_the_autoencoder_trains_and_its_code_has_exactly_k_nonzeros(smoke_run):
    metrics, k = smoke_run.metrics, smoke_run.record["config"]["active_units"]
    assert metrics["last_epoch_loss"] < metrics["first_epoch_loss"], metrics
    assert metrics["k_sparse_min_nonzeros"] == metrics["k_sparse_max_nonzeros"] == k, metrics
    # Two seeds in the smoke profile, each drawing the digits far better than the mean image.
    assert metrics["k_sparse_psnr_seeds"] == 2
    assert metrics["k_sparse_psnr"] > metrics["mean_image_psnr"] + 3.0, metrics
    for key in ("k_sparse_psnr_std", "k_sparse_psnr_seed_42", "k_sparse_psnr_seed_43"):
        assert key in metrics, key


def test_dictionary_learning_is_trained_and_codes_with_k_atoms(smoke_run):
    metrics, k = smoke_run.metrics, smoke_run.record["config"]["active_units"]
    assert metrics["dictionary_max_nonzeros"] == k, metrics  # OMP stops at k atoms.
    assert metrics["dictionary_psnr"] > metrics["mean_image_psnr"] + 3.0, metrics
    # The paired difference and its interval are recorded for the headline.
    low, high = (metrics[f"k_sparse_minus_dictionary_psnr_{end}"] for end in ("low", "high"))
    assert low <= metrics["k_sparse_minus_dictionary_psnr"] <= high, metrics


def test_both_encodings_are_timed_and_every_heavy_step_is_a_phase(smoke_run):
    metrics, seconds = smoke_run.metrics, smoke_run.record["seconds"]
    assert metrics["k_sparse_encode_seconds"] > 0 and metrics["dictionary_encode_seconds"] > 0
    ratio = metrics["dictionary_encode_seconds"] / metrics["k_sparse_encode_seconds"]
    assert abs(metrics["encode_speedup"] - ratio) < 1e-9, metrics
    for phase in ("train", "dictionary_training", "evaluate", "encode"):
        assert seconds[phase] > 0, phase
    # The dictionary's settings were chosen outside the page (benchmarks/dictionary_search.py).
    assert "dictionary_selection" not in seconds


def test_the_headline_is_the_mean_psnr_over_seeds_against_dictionary_learning(smoke_run):
    headline = smoke_run.record["headline"]
    assert headline["metric"] == "k_sparse_psnr"
    assert headline["baseline_metric"] == "dictionary_psnr"
    assert headline["seeds"] == 2 and headline["spread_metric"] == "k_sparse_psnr_std"


def test_the_model_with_its_top_k_layer_reloads(smoke_run):
    assert smoke_run.metrics["reload_difference"] < 1e-6


def test_the_record_holds_the_configuration_the_run_started_with(smoke_run):
    config = smoke_run.record["config"]
    assert config["seed"] == 42 and config["batch_size"] == 64 and config["seeds"] == 5
    assert config["code_units"] == 256 and config["active_units"] == 25
    assert config["dictionary_images"] == 10_000 and config["dictionary_passes"] == 3
    assert config["dictionary_batch_size"] == 32 and config["epochs"] == 30
    assert config["dictionary_alpha"] == 0.3
