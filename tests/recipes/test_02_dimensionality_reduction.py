"""Recipe 02, dimensionality reduction: what its smoke run must show (tests/recipes/conftest.py
runs it)."""


def test_every_code_of_every_size_reads_out_and_rebuilds(smoke_run):
    metrics = smoke_run.metrics
    # The sweep: both methods, both readouts and the reconstruction error at every code size.
    found = [key.split("_") for key in metrics if key.startswith(("ae_", "pca_"))]
    found = [parts for parts in found if parts[-1] == "mse"]
    assert sorted((int(size), method) for method, size, _ in found) == [
        (size, method) for size in (2, 4, 8, 16, 32) for method in ("ae", "pca")
    ], found
    for size in (2, 4, 8, 16, 32):
        for method in ("ae", "pca"):
            # Each readout of each code is well above chance (10%), even with 2 numbers...
            for readout in ("knn", "linear"):
                assert 0.2 < metrics[f"{method}_{size}_{readout}_accuracy"] <= 1.0, (method, size)
            # ...and each code rebuilds the test digits better than a blank image would.
            assert 0.0 < metrics[f"{method}_{size}_mse"] < 0.1, (method, size)


def test_a_larger_code_rebuilds_better(smoke_run):
    metrics = smoke_run.metrics
    # PCA's components are nested: each larger code rebuilds strictly better, and the mean
    # image (MSE ~0.067) is beaten from 2 numbers on; the 32-number code reads out far better.
    pca_mse = [metrics[f"pca_{size}_mse"] for size in (2, 4, 8, 16, 32)]
    assert pca_mse == sorted(pca_mse, reverse=True) and len(set(pca_mse)) == 5, pca_mse
    assert pca_mse[0] < 0.067, pca_mse
    assert metrics["pca_32_knn_accuracy"] > metrics["pca_2_knn_accuracy"] + 0.2, metrics
    # A few hundred steps of training (smoke) already make a larger code rebuild better. (The
    # autoencoder's lead over PCA needs the full training; the committed record shows it.)
    assert metrics["ae_32_mse"] < metrics["ae_8_mse"] < metrics["ae_2_mse"], metrics
    # 5-NN on all 784 pixels, the reference of the readouts.
    assert 0.6 < metrics["pixels_knn_accuracy"] <= 1.0


def test_the_record_holds_the_configuration_the_run_started_with(smoke_run):
    config = smoke_run.record["config"]
    assert config["seed"] == 42 and config["epochs"] == 20 and config["batch_size"] == 512
    assert config["learning_rate"] == 3e-3 and config["neighbours"] == 5
    assert config["headline_code_size"] == 4
