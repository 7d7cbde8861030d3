"""Recipe 08, pretext pretraining: what its smoke run must show (tests/recipes/conftest.py)."""


def _budgets(metrics):
    """The label budgets the run recorded, smallest first."""
    return sorted(
        int(key.split("_")[1])
        for key in metrics
        if key.startswith("scratch_") and key.endswith("_accuracy")
    )


def test_both_arms_learn_the_digits_from_few_labels(smoke_run):
    metrics = smoke_run.metrics
    arms = ("scratch", "encoder_finetuned")
    budgets = _budgets(metrics)
    assert len(budgets) >= 2, budgets
    for arm in arms:
        for budget in budgets:
            assert 0.0 <= metrics[f"{arm}_{budget}_accuracy"] <= 1.0, (arm, budget)
            assert metrics[f"{arm}_{budget}_accuracy_sd"] >= 0.0, (arm, budget)
        # From scratch or pretrained, the classifier learns the digits far above chance (10%)
        # even on a few dozen labels, and better with ten times more.
        assert metrics[f"{arm}_{budgets[0]}_accuracy"] > 0.5, arm
        assert metrics[f"{arm}_{budgets[-1]}_accuracy"] > metrics[f"{arm}_{budgets[0]}_accuracy"]


def test_the_pretext_is_learned_and_every_encoder_copy_is_exact(smoke_run):
    metrics = smoke_run.metrics
    budgets = _budgets(metrics)
    # The pretext was learned: the denoising loss fell by a tenth at least from its first epoch,
    # and the autoencoder's output is closer to the clean test digits than its noisy input.
    assert metrics["pretext_loss_last"] < 0.9 * metrics["pretext_loss_first"]
    assert 0.0 < metrics["denoised_test_mse"] < metrics["noisy_test_mse"], metrics
    # Every encoder copy (warm-up to autoencoder, autoencoder to classifier) was exact: one per
    # seed into an autoencoder and one per seed and budget into a classifier, two seeds at least.
    assert metrics["encoder_transfers"] >= 2 * (1 + len(budgets))
    assert metrics["inexact_encoder_transfers"] == 0


def test_the_headline_gain_is_the_difference_of_the_arms(smoke_run):
    metrics = smoke_run.metrics
    budgets = _budgets(metrics)
    # The headline's gain is the pretrained arm's mean minus scratch's, in points.
    gain = (
        metrics[f"encoder_finetuned_{budgets[0]}_accuracy"]
        - metrics[f"scratch_{budgets[0]}_accuracy"]
    )
    assert abs(metrics["encoder_finetuned_gain_smallest_budget"] - 100 * gain) < 1e-6
    assert metrics["encoder_finetuned_gain_smallest_budget_sd"] >= 0.0


def test_the_record_holds_the_configuration_the_run_started_with(smoke_run):
    config = smoke_run.record["config"]
    # The declared (full-profile) settings, though the smoke run cuts the steps and warm-up.
    assert config["seed"] == 0 and config["epochs"] == 4 and config["batch_size"] == 128
    assert config["warm_up_epochs"] == 5 and config["classifier_steps"] == 800
    assert config["classifier_batch_size"] == 64
    assert config["noise_factor"] == 0.3 and config["code_size"] == 32
