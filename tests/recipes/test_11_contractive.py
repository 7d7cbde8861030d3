"""Recipe 11, contractive: what its smoke run must show (tests/recipes/conftest.py runs it)."""


def test_the_penalty_is_right_and_steadies_the_code(smoke_run):
    metrics = smoke_run.metrics
    for model in ("sigmoid", "contractive"):
        assert metrics[f"{model}_last_epoch_loss"] < metrics[f"{model}_first_epoch_loss"], model
    # The closed-form Jacobian agrees with finite differences and with the layer's own penalty.
    assert metrics["jacobian_relative_error"] < 1e-3
    # The penalty flattens the encoder around the test images, and the same input noise moves
    # its code less, relative to the spread of the codes, than the unpenalized encoder's.
    assert metrics["contractive_jacobian_norm"] < 0.8 * metrics["sigmoid_jacobian_norm"], metrics
    change = metrics["contractive_relative_code_change"]
    assert 0.0 < change < metrics["sigmoid_relative_code_change"], metrics


def test_pca_and_the_reloaded_model_behave(smoke_run):
    metrics = smoke_run.metrics
    # PCA's encoder is a projection with orthonormal rows: its squared Jacobian norm is the
    # number of components exactly.
    assert abs(metrics["pca_jacobian_norm"] - 32) < 1e-3, metrics
    for model in ("sigmoid", "contractive", "pca"):
        assert 10.0 < metrics[f"{model}_psnr"] < 40.0, model
    assert metrics["reload_difference"] < 1e-6


def test_the_record_holds_the_configuration_the_run_started_with(smoke_run):
    config = smoke_run.record["config"]
    assert config["seed"] == 42 and config["epochs"] == 30 and config["batch_size"] == 128
    assert config["latent_dim"] == 32 and config["contraction_weight"] == 1e-3
    assert config["input_noise"] == 0.05
