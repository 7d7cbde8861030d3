"""Recipe 06, VAE: what its smoke run must show (tests/recipes/conftest.py runs it)."""

import pytest


def test_every_vae_beats_the_mean_image_and_reloads(smoke_run):
    metrics = smoke_run.metrics
    for model in ("seed_vae", "dense_vae"):
        elbo = metrics[f"{model}_negative_elbo"]
        # The two terms add up to the loss Keras evaluates, and the code is worth its KL cost:
        # every VAE beats the mean image, the same Bernoulli pixels with no code.
        assert elbo == pytest.approx(metrics[f"{model}_reconstruction"] + metrics[f"{model}_kl"])
        assert metrics[f"{model}_kl"] > 0.0, model
        assert elbo < 0.99 * metrics["mean_image_negative_elbo"], model
    assert metrics["reload_difference"] < 1e-6


def test_the_record_holds_the_configuration_the_run_started_with(smoke_run):
    config = smoke_run.record["config"]
    assert config["seed"] == 42 and config["epochs"] == 50 and config["batch_size"] == 128
    assert config["latent_dim"] == 2
