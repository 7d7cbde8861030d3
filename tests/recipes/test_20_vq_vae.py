"""Recipe 20, VQ-VAE: what its smoke run must show (tests/recipes/conftest.py runs it)."""


def test_every_model_learns(smoke_run):
    metrics = smoke_run.metrics
    for key in ("plain", "restarts"):
        assert metrics[f"{key}_last_loss"] < metrics[f"{key}_first_loss"], key
    # Every model reconstructs better than an all-black guess (about 10 dB on MNIST).
    for key in ("restarts_psnr", "plain_psnr", "vae_weight_1_psnr", "vae_weight_01_psnr"):
        assert metrics[key] > 10.5, (key, metrics[key])


def test_the_codebook_is_used_and_restarts_keep_codes_alive(smoke_run):
    metrics = smoke_run.metrics
    for key in ("plain", "restarts"):
        perplexity, dead = metrics[f"{key}_perplexity"], metrics[f"{key}_dead_codes"]
        assert 1.0 < perplexity <= 64.0, (key, perplexity)
        assert 0.0 <= dead < 64.0, (key, dead)
    assert metrics["restarts_restarted_codes"] > 0 == metrics["plain_restarted_codes"]
    assert metrics["restarts_dead_codes"] <= metrics["plain_dead_codes"]
    assert metrics["restarts_minus_plain_psnr_low"] <= metrics["restarts_minus_plain_psnr_high"]


def test_the_bits_add_up(smoke_run):
    metrics = smoke_run.metrics
    # A 7 by 7 grid of 64 codes written plainly: 49 cells of 6 bits.
    assert metrics["vq_plain_bits"] == 294.0
    # Coded by the codes' shares, a grid costs at most its plain bits (and at least nothing).
    assert 0.0 < metrics["vq_shares_bits"] < 294.0
    assert 0.0 < metrics["vae_weight_1_bits"] < metrics["vae_weight_01_bits"]


def test_the_record_holds_the_headline_and_configuration(smoke_run):
    headline, config = smoke_run.record["headline"], smoke_run.record["config"]
    assert headline["metric"] == "restarts_psnr"
    assert headline["baseline_metric"] == "plain_psnr"
    assert headline["seeds"] == 2
    assert config["seed"] == 42 and config["epochs"] == 2
