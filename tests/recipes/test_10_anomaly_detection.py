"""Recipe 10, anomaly detection: what its smoke run must show (tests/recipes/conftest.py)."""


def test_every_detector_scores_every_normal_digit(smoke_run):
    metrics = smoke_run.metrics
    detectors = ("ae", "pca", "knn", "ocsvm", "iforest")
    # One-class protocol: an AUC for every detector and every normal digit, and their mean...
    for detector in detectors:
        aucs = [metrics[f"{detector}_auc_digit_{digit}"] for digit in range(10)]
        assert all(0.0 <= auc <= 1.0 for auc in aucs), (detector, aucs)
        assert abs(metrics[f"{detector}_auc_mean"] - sum(aucs) / 10) < 1e-9, detector
    # ...every classical detector already ranks the other nine digits above the normal one far
    # better than chance on the embedded sample (about 200 images per digit)...
    for detector in ("pca", "knn", "ocsvm", "iforest"):
        assert metrics[f"{detector}_auc_mean"] > 0.75, (detector, metrics[f"{detector}_auc_mean"])
    # ...and each of the ten autoencoders reduced its loss (15 steps in the smoke profile are too
    # few for it to detect anything: its AUCs are checked only on the full run's record).
    for digit in range(10):
        first, last = (metrics[f"ae_digit_{digit}_{e}_epoch_loss"] for e in ("first", "last"))
        assert last < first, (digit, first, last)


def test_the_held_out_digit_is_flagged_at_the_chosen_false_alarm_rate(smoke_run):
    metrics = smoke_run.metrics
    # The held-out digit: a threshold set on normal validation images flags about 5% of the
    # normal test images, and the nearest neighbour finds the held-out digit better than chance.
    for detector in ("ae", "pca", "knn"):
        assert 0.0 < metrics[f"holdout_{detector}_false_alarm_rate"] < 0.15, detector
        for metric in ("auc", "precision", "recall"):
            assert 0.0 <= metrics[f"holdout_{detector}_{metric}"] <= 1.0, (detector, metric)
    assert metrics["holdout_knn_auc"] > 0.65, metrics["holdout_knn_auc"]


def test_the_record_holds_the_configuration_the_run_started_with(smoke_run):
    config = smoke_run.record["config"]
    assert config["seed"] == 42 and config["epochs"] == 10 and config["batch_size"] == 64
    assert config["code_size"] == 16 and config["holdout_digit"] == 7
    assert config["holdout_epochs"] == 4 and config["false_alarm_rate"] == 0.05
