"""Recipe 14, held-out digit: what its smoke run must show (tests/recipes/conftest.py runs it)."""

from pathlib import Path

from benchmarks import anomaly_search

DETECTORS = ("ae", "ae_sum", "pca_sum", "knn")
ROOT = Path(__file__).resolve().parents[2]


def test_every_detector_scores_every_held_out_digit(smoke_run):
    metrics = smoke_run.metrics
    for detector in DETECTORS:
        aucs = [metrics[f"{detector}_auc_digit_{digit}"] for digit in range(10)]
        assert all(0.0 <= auc <= 1.0 for auc in aucs), (detector, aucs)
        assert abs(metrics[f"{detector}_auc_mean"] - sum(aucs) / 10) < 1e-9, detector
    # On the embedded sample the nearest neighbours and PCA's summed score already find the
    # held-out digit better than chance on average.
    for detector in ("pca_sum", "knn"):
        assert metrics[f"{detector}_auc_mean"] > 0.6, (detector, metrics[f"{detector}_auc_mean"])
    # Each of the ten autoencoders reduced its loss.
    for digit in range(10):
        first, last = (metrics[f"ae_{digit}_{end}_epoch_loss"] for end in ("first", "last"))
        assert last < first, (digit, first, last)


def test_the_threshold_holds_the_false_alarm_rate_it_was_set_for(smoke_run):
    metrics = smoke_run.metrics
    # A threshold set on normal validation images flags about 5% of the normal test images.
    for detector in DETECTORS:
        assert 0.0 < metrics[f"{detector}_false_alarm_rate"] < 0.15, detector
        for rate in ("recall", "precision"):
            assert 0.0 <= metrics[f"{detector}_{rate}"] <= 1.0, (detector, rate)


def test_the_differences_are_paired_over_the_ten_digits(smoke_run):
    metrics, headline = smoke_run.metrics, smoke_run.record["headline"]
    baseline = headline["baseline_metric"].removesuffix("_auc_mean")
    assert headline["metric"] == "ae_sum_auc_mean" and baseline in ("pca_sum", "knn")
    for other in ("ae", baseline):
        name = f"ae_sum_minus_{other}_auc_mean"
        difference = metrics["ae_sum_auc_mean"] - metrics[f"{other}_auc_mean"]
        assert abs(metrics[name] - difference) < 1e-9 and metrics[f"{name}_seeds"] == 10
        assert metrics[f"{name}_low"] <= metrics[name] <= metrics[f"{name}_high"]


def test_the_settings_are_the_ones_chosen_for_recipe_10_on_held_out_images(smoke_run):
    config = smoke_run.record["config"]
    # benchmarks/anomaly_search.py chose recipe 10's settings; its committed report holds them.
    report = (ROOT / "benchmarks" / "results" / "anomaly_search.md").read_text()
    chosen = anomaly_search.chosen_settings(report)
    assert config["gaussians"] == chosen["autoencoder a"]["Gaussians"]
    assert config["pca_components"] == chosen["PCA a"]["components"]
    assert config["pca_gaussians"] == chosen["PCA a"]["Gaussians"]
    assert config["neighbours"] == chosen["nearest neighbours"]["neighbours"]
