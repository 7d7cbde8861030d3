"""Recipe 10, anomaly detection: what its smoke run must show (tests/recipes/conftest.py)."""

DETECTORS = (
    *(
        f"{model}{part}"
        for model in ("ae", "pca")
        for part in ("", "_relative", "_density", "_sum")
    ),
    "knn",
    "ocsvm",
    "iforest",
)


def test_every_detector_scores_every_normal_digit(smoke_run):
    metrics = smoke_run.metrics
    # One-class protocol: an AUC for every detector and every normal digit, and their mean...
    for detector in DETECTORS:
        aucs = [metrics[f"{detector}_auc_digit_{digit}"] for digit in range(10)]
        assert all(0.0 <= auc <= 1.0 for auc in aucs), (detector, aucs)
        assert abs(metrics[f"{detector}_auc_mean"] - sum(aucs) / 10) < 1e-9, detector
    # ...every classical detector, PCA's sum of relative error and code density included, already
    # ranks the other nine digits above the normal one far better than chance on the embedded
    # sample (about 200 images per digit)...
    for detector in ("pca", "pca_sum", "knn", "ocsvm", "iforest"):
        assert metrics[f"{detector}_auc_mean"] > 0.75, (detector, metrics[f"{detector}_auc_mean"])
    # ...and each of the ten autoencoders reduced its loss (15 steps in the smoke profile are too
    # few for it to detect anything: its AUCs are checked only on the full run's record).
    for digit in range(10):
        first, last = (metrics[f"ae_digit_{digit}_{e}_epoch_loss"] for e in ("first", "last"))
        assert last < first, (digit, first, last)


def test_the_autoencoder_is_summarized_over_its_seeds(smoke_run):
    metrics = smoke_run.metrics
    # The smoke profile trains two seeds per digit; each autoencoder score keeps the spread and
    # the 95% interval of its mean, which holds the mean.
    for detector in ("ae", "ae_relative", "ae_density", "ae_sum"):
        assert metrics[f"{detector}_auc_mean_seeds"] == 2, detector
        assert metrics[f"{detector}_auc_mean_std"] >= 0.0, detector
        low, high = metrics[f"{detector}_auc_mean_low"], metrics[f"{detector}_auc_mean_high"]
        assert low <= metrics[f"{detector}_auc_mean"] <= high, detector
    # The two paired differences: the plain error against PCA's, the sum against the strongest
    # classical detector, which the headline names.
    headline = smoke_run.record["headline"]
    assert headline["metric"] == "ae_sum_auc_mean" and headline["seeds"] == 2
    baseline = headline["baseline_metric"].removesuffix("_auc_mean")
    assert baseline in DETECTORS and not baseline.startswith("ae"), baseline
    for name in ("ae_minus_pca", f"ae_sum_minus_{baseline}"):
        difference = metrics[f"{name}_auc_mean"]
        assert metrics[f"{name}_auc_mean_low"] <= difference <= metrics[f"{name}_auc_mean_high"]


def test_no_setting_is_chosen_on_the_page(smoke_run):
    metrics = smoke_run.metrics
    # The settings come from the parameters cell (tests/test_anomaly_search.py checks them
    # against benchmarks/results/anomaly_search.md), so the record holds no choices of its own.
    assert not [key for key in metrics if key.endswith(("_gaussians", "_components"))]


def test_the_record_holds_the_configuration_the_run_started_with(smoke_run):
    config = smoke_run.record["config"]
    assert config["seed"] == 42 and config["epochs"] == 10 and config["batch_size"] == 64
    assert config["seeds"] == 3 and config["code_size"] == 16
