"""Recipe 19, thin digits: what its smoke run must show (tests/recipes/conftest.py runs it)."""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCORES = ("ae", "ae_relative", "ae_density", "ae_sum", "pca_sum", "knn")


def test_every_score_ranks_the_normal_digit_against_each_anomaly_digit(smoke_run):
    metrics, normal = smoke_run.metrics, smoke_run.record["config"]["normal_digit"]
    others = [digit for digit in range(10) if digit != normal]
    for score in SCORES:
        aucs = [metrics[f"{score}_auc_against_{digit}"] for digit in others]
        assert all(0.0 <= auc <= 1.0 for auc in aucs), (score, aucs)
        assert f"{score}_auc_against_{normal}" not in metrics
        assert 0.0 <= metrics[f"{score}_auc"] <= 1.0, score
    # The worst digit is the one the plain error ranks lowest, and the headline compares the
    # relative error with the plain error there.
    worst = int(metrics["worst_digit"])
    assert metrics[f"ae_auc_against_{worst}"] == min(
        metrics[f"ae_auc_against_{digit}"] for digit in others
    )
    headline = smoke_run.record["headline"]
    assert headline["metric"] == f"ae_relative_auc_against_{worst}"
    assert headline["baseline_metric"] == f"ae_auc_against_{worst}"
    # Ink is a sum of squared pixels in [0, 1]: positive and at most 784; a 1 has the least.
    inks = [metrics[f"ink_digit_{digit}"] for digit in range(10)]
    assert all(0.0 < ink <= 784.0 for ink in inks) and min(inks) == inks[1]
    # On the embedded sample PCA's summed score already finds the anomalies better than chance,
    # and the autoencoder reduced its loss.
    assert metrics["pca_sum_auc"] > 0.6, metrics["pca_sum_auc"]
    assert metrics["last_epoch_loss"] < metrics["first_epoch_loss"]


def test_the_normal_digit_is_the_one_recipe_10s_summed_score_ranks_worst(smoke_run):
    recipe_10 = json.loads((ROOT / "results" / "anomaly_detection.json").read_text())["metrics"]
    worst = min(range(10), key=lambda digit: recipe_10[f"ae_sum_auc_digit_{digit}"])
    assert smoke_run.record["config"]["normal_digit"] == worst
