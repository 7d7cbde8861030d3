"""Recipe 23, sampling from a VQ-VAE: what its smoke run must show (tests/recipes/conftest.py)."""


def test_every_model_learns(smoke_run):
    metrics = smoke_run.metrics
    for key in ("vq_vae", "vae", "prior"):
        assert metrics[f"{key}_last_loss"] < metrics[f"{key}_first_loss"], key
    assert metrics["judge_accuracy"] > 0.6, metrics["judge_accuracy"]


def test_the_prior_codes_grids_in_fewer_bits_than_plain_and_samples_valid_codes(smoke_run):
    metrics = smoke_run.metrics
    # A 7 by 7 grid of 64 codes written plainly costs 294 bits.
    assert 0.0 < metrics["vq_prior_bits"] < 294.0, metrics["vq_prior_bits"]
    assert 0 <= metrics["sampled_code_min"] <= metrics["sampled_code_max"] < 64
    # The samples use more than one code: the grids are not all one cell repeated.
    assert metrics["sampled_code_min"] < metrics["sampled_code_max"]


def test_samples_are_rated_against_the_floor(smoke_run):
    metrics = smoke_run.metrics
    for key in ("vq", "vae"):
        assert 0.1 <= metrics[f"{key}_confidence"] <= 1.0, key
        assert 0.0 <= metrics[f"{key}_class_entropy"] <= 3.33, key
        assert metrics[f"{key}_frechet_distance"] > metrics["test_frechet_distance"] >= 0.0, key
        assert metrics[f"{key}_frechet_distance"] < float("inf"), key
    assert metrics["vq_minus_vae_frechet_low"] <= metrics["vq_minus_vae_frechet_high"]


def test_the_record_holds_the_headline_and_configuration(smoke_run):
    headline, config = smoke_run.record["headline"], smoke_run.record["config"]
    assert headline["metric"] == "vq_frechet_distance"
    assert headline["baseline_metric"] == "vae_frechet_distance"
    assert headline["seeds"] == 2
    assert config["seed"] == 42 and config["epochs"] == 2
