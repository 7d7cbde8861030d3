"""Recipe 07, super-resolution: what its smoke run must show (tests/recipes/conftest.py runs it)."""


def test_both_models_learn_and_the_residual_network_leads(smoke_run):
    metrics = smoke_run.metrics
    for model in ("srcnn", "subpixel"):
        assert metrics[f"{model}_last_epoch_loss"] < metrics[f"{model}_first_epoch_loss"], model
    assert metrics["bicubic_psnr"] > metrics["nearest_psnr"], metrics
    # Residual learning starts from the bicubic image, so it is far ahead of SRCNN after a few
    # steps, and its learned detail has not dragged it far below bicubic interpolation.
    assert metrics["subpixel_psnr"] > metrics["srcnn_psnr"] + 3.0, metrics
    assert metrics["subpixel_psnr"] > metrics["bicubic_psnr"] - 0.5, metrics
    # The literature's luma PSNR is measured for every method and ranks bicubic over nearest.
    assert metrics["bicubic_psnr_y"] > metrics["nearest_psnr_y"], metrics
    assert metrics["subpixel_psnr_y"] > metrics["srcnn_psnr_y"] + 3.0, metrics


def test_the_models_have_their_sizes_and_the_saved_model_reloads(smoke_run):
    metrics = smoke_run.metrics
    # The seed's SRCNN (9x9x64, 1x1x32, 5x5x3 on RGB) and a sub-pixel network of its size.
    assert metrics["srcnn_parameters"] == 20_099, metrics
    assert abs(metrics["subpixel_parameters"] / metrics["srcnn_parameters"] - 1) < 0.02, metrics
    assert metrics["subpixel_reload_difference"] < 1e-6


def test_the_record_holds_the_configuration_the_run_started_with(smoke_run):
    config = smoke_run.record["config"]
    assert config["seed"] == 42 and config["epochs"] == 10 and config["batch_size"] == 64
    assert config["factor"] == 2
    assert config["subpixel_width"] == 30 and config["subpixel_depth"] == 3
