"""Recipe 16, conditional VAE: what its smoke run must show (tests/recipes/conftest.py runs it)."""


def test_both_vaes_train_and_the_judge_learns(smoke_run):
    metrics = smoke_run.metrics
    for key in ("vae", "cvae"):
        assert metrics[f"{key}_last_val_loss"] < metrics[f"{key}_first_val_loss"], key
    assert metrics["judge_accuracy"] > 0.8, metrics["judge_accuracy"]


def test_the_conditional_vae_draws_the_digit_asked_for_better_than_chance(smoke_run):
    metrics = smoke_run.metrics
    # A few hundred steps on the embedded sample already steer the digit well above the 10%
    # that a label-blind model would reach.
    assert metrics["cvae_as_asked"] > 0.3, metrics["cvae_as_asked"]
    for key in ("vae", "cvae"):
        assert 0.0 < metrics[f"{key}_confidence"] <= 1.0, key
        low, high = metrics[f"{key}_smallest_class_share"], metrics[f"{key}_largest_class_share"]
        assert 0.0 <= low <= 0.1 <= high <= 1.0, (key, low, high)
        assert metrics[f"{key}_frechet"] > metrics["test_half_frechet"] >= 0.0, key


def test_the_record_holds_the_headline_and_configuration(smoke_run):
    headline, config = smoke_run.record["headline"], smoke_run.record["config"]
    assert headline["metric"] == "cvae_frechet" and headline["baseline_metric"] == "vae_frechet"
    assert config["seed"] == 42 and config["epochs"] == 30 and config["latent_dim"] == 8
