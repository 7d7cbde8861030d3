"""Recipe 24, a VAE's likelihood: what its smoke run must show (conftest.py runs it)."""


def test_importance_sampling_tightens_the_bound_and_the_larger_vae_beats_the_mean_image(smoke_run):
    metrics = smoke_run.metrics
    for model in ("seed_vae", "large_vae"):
        # -L_k falls with k in expectation; over a test set a thousand codes must beat one.
        assert metrics[f"{model}_nll"] < metrics[f"{model}_negative_elbo"], model
    # Five epochs on the smoke sample leave the 2-d VAE near the mean image; the larger one,
    # with 32 numbers per digit, is already clearly ahead of it.
    assert metrics["large_vae_nll"] < 0.97 * metrics["mixture_1_nll"]


def test_the_mixture_is_chosen_on_held_out_digits_and_beats_one_component(smoke_run):
    metrics = smoke_run.metrics
    components = int(metrics["mixture_components"])
    assert components in (10, 50, 200)
    assert metrics[f"mixture_{components}_nll"] < metrics["mixture_1_nll"]
    assert smoke_run.record["headline"]["baseline_metric"] == f"mixture_{components}_nll"


def test_the_record_holds_the_configuration_the_run_started_with(smoke_run):
    config = smoke_run.record["config"]
    assert config["seed"] == 42 and config["epochs"] == 50 and config["batch_size"] == 128
    assert config["importance_samples"] == 1000
