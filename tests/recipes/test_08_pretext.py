"""Recipe 08, pretext pretraining: what its smoke run must show (tests/recipes/conftest.py)."""

ARMS = ("probe_dae", "probe_random", "probe_pca", "finetuned_pretrained", "finetuned_scratch")
DIFFERENCES = (
    "probe_dae_minus_random",
    "probe_dae_minus_pca",
    "finetuned_pretrained_minus_scratch",
)


def _budgets(metrics):
    """The label budgets the run recorded, smallest first."""
    return sorted(
        int(key.split("_")[2])
        for key in metrics
        if key.startswith("probe_dae_") and key.endswith("_accuracy") and "minus" not in key
    )


def test_the_pretext_is_learned(smoke_run):
    metrics = smoke_run.metrics
    # The denoising loss fell by a tenth at least from its first epoch, and the autoencoder's
    # output is closer to the clean test digits than its noisy input.
    assert metrics["pretext_loss_last"] < 0.9 * metrics["pretext_loss_first"]
    assert 0.0 < metrics["denoised_test_mse"] < metrics["noisy_test_mse"], metrics


def test_every_budget_and_protocol_is_summarized_over_the_seeds(smoke_run):
    metrics = smoke_run.metrics
    budgets = _budgets(metrics)
    assert len(budgets) == 3 and budgets[0] == 100, budgets
    for budget in budgets:
        # At the largest budget (every label) the probe is one deterministic fit.
        for arm in ARMS:
            key = f"{arm}_{budget}_accuracy"
            assert 0.0 <= metrics[f"{key}_low"] <= metrics[key] <= metrics[f"{key}_high"] <= 1.0
            assert metrics[f"{key}_std"] >= 0.0, key
            probe_at_full = arm.startswith("probe") and budget == budgets[-1]
            assert metrics[f"{key}_seeds"] == (1 if probe_at_full else 3), key
        for name in DIFFERENCES:
            key = f"{name}_{budget}_accuracy"
            assert metrics[f"{key}_low"] <= metrics[key] <= metrics[f"{key}_high"], key
    # The paired difference is the mean of the per-seed differences: the difference of means.
    for ours, theirs, name in (
        ("probe_dae", "probe_pca", "probe_dae_minus_pca"),
        ("finetuned_pretrained", "finetuned_scratch", "finetuned_pretrained_minus_scratch"),
    ):
        gap = metrics[f"{ours}_100_accuracy"] - metrics[f"{theirs}_100_accuracy"]
        assert abs(metrics[f"{name}_100_accuracy"] - gap) < 1e-9, name


def test_the_probe_and_the_classifiers_beat_chance_clearly(smoke_run):
    metrics = smoke_run.metrics
    budgets = _budgets(metrics)
    # Ten classes: chance is 10%. Even a few hundred steps on the embedded sample and a probe
    # on 100 labels are far above it, and more labels help every arm.
    for arm in ARMS:
        assert metrics[f"{arm}_{budgets[0]}_accuracy"] > 0.4, arm
        assert metrics[f"{arm}_{budgets[-1]}_accuracy"] > metrics[f"{arm}_{budgets[0]}_accuracy"]
    assert metrics[f"probe_dae_{budgets[0]}_accuracy"] > 0.5


def test_the_record_holds_the_headline_and_configuration(smoke_run):
    headline, config = smoke_run.record["headline"], smoke_run.record["config"]
    assert headline["metric"] == "probe_dae_100_accuracy"
    assert headline["baseline_metric"] in ("probe_random_100_accuracy", "probe_pca_100_accuracy")
    assert headline["percent"] and headline["spread_metric"] == "probe_dae_100_accuracy_std"
    # The declared (full-profile) settings, though the smoke run cuts the seeds and steps.
    assert config["seed"] == 0 and config["epochs"] == 5 and config["batch_size"] == 128
    assert config["seeds"] == 10 and config["fine_tune_steps"] == 300
    assert config["learning_rate"] == 1e-3 and config["noise_factor"] == 0.3
