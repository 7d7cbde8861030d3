"""Recipe 05, sparse: what its smoke run must show (tests/recipes/conftest.py runs it)."""


def test_every_model_trains_and_each_penalty_makes_its_code_sparser(smoke_run):
    metrics = smoke_run.metrics
    for model in ("relu", "relu_l1", "sigmoid", "sigmoid_kl"):
        assert metrics[f"{model}_last_epoch_loss"] < metrics[f"{model}_first_epoch_loss"], model
        assert metrics[f"{model}_bce"] < 0.3, model  # The mean image scores about 0.26.
    # The L1 penalty makes the ReLU code sparser than without it, by its mean and by Hoyer's
    # measure, which a mere rescaling of the code cannot change...
    assert metrics["relu_l1_mean_activation"] < 0.8 * metrics["relu_mean_activation"], metrics
    assert metrics["relu_l1_hoyer_sparsity"] > metrics["relu_hoyer_sparsity"], metrics
    # ...and the KL penalty pulls the sigmoid code's mean towards its small target.
    assert metrics["sigmoid_kl_mean_activation"] < metrics["sigmoid_mean_activation"], metrics


def test_the_model_with_its_penalty_layer_reloads(smoke_run):
    # The model with its penalty layer saves as .keras and reloads to the same outputs.
    assert smoke_run.metrics["reload_difference"] < 1e-6


def test_the_record_holds_the_configuration_the_run_started_with(smoke_run):
    config = smoke_run.record["config"]
    assert config["seed"] == 42 and config["epochs"] == 30 and config["batch_size"] == 128
    assert config["latent_dim"] == 32 and config["l1_weight"] == 1e-4
    assert config["sparsity_target"] == 0.05 and config["sparsity_weight"] == 3e-3
