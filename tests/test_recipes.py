"""Execute every recipe with papermill in the smoke profile and check what it computed.

The executed notebooks land in _build/executed/, where `make html` builds the book from them.
"""

from pathlib import Path

import papermill
import pytest

from aelib import results

ROOT = Path(__file__).resolve().parents[1]
EXECUTED = ROOT / "_build" / "executed" / "recipes"
SMOKE_RESULTS = ROOT / "_build" / "results"
NOTEBOOKS = sorted((ROOT / "recipes").glob("[0-9][0-9]_*.ipynb"))


def _check_vanilla(metrics):
    for model in ("dense", "deep", "conv"):
        # Training reduced the loss of every model...
        assert metrics[f"{model}_last_epoch_loss"] < metrics[f"{model}_first_epoch_loss"], model
    # ...and even after a few hundred steps each reconstructs better than the mean image.
    for model in ("dense", "deep", "conv", "pca_32", "pca_128"):
        assert metrics[f"{model}_mse"] < 0.95 * metrics["mean_image_mse"], model
    assert 0.0 < metrics["pca_128_mse"] < metrics["pca_32_mse"]
    # The separate encoder and decoder share the autoencoder's layers.
    assert metrics["encoder_decoder_max_difference"] < 1e-5


def _check_denoising(metrics):
    for model in ("blog", "unet"):
        assert metrics[f"{model}_last_epoch_loss"] < metrics[f"{model}_first_epoch_loss"], model
    # Every method, learned or classical, improves on the noisy input it was given...
    for method in ("gaussian", "median", "blog", "unet"):
        assert metrics[f"{method}_psnr"] > metrics["noisy_psnr"] + 1.0, method
    # ...the U-Net already beats the median filter after a few hundred steps...
    assert metrics["unet_psnr"] > metrics["median_psnr"], metrics
    # ...and stronger noise always costs the median filter PSNR.
    sweep = [metrics[f"median_psnr_at_{level}"] for level in (10, 20, 30, 40, 50, 60, 70)]
    assert sweep == sorted(sweep, reverse=True), sweep


CHECKS = {"vanilla": _check_vanilla, "denoising": _check_denoising}


@pytest.mark.recipe
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.stem)
def test_recipe_runs_in_the_smoke_profile(notebook, tmp_path, monkeypatch):
    results_dir = tmp_path / "results"
    monkeypatch.setenv("AELIB_RESULTS_DIR", str(results_dir))
    EXECUTED.mkdir(parents=True, exist_ok=True)
    papermill.execute_notebook(
        str(notebook),
        str(EXECUTED / notebook.name),
        parameters={"PROFILE": "smoke"},
        cwd=str(notebook.parent),
        kernel_name="python3",
        progress_bar=False,
    )
    records = list(results_dir.glob("*.json"))
    assert len(records) == 1, f"{notebook.name} wrote {records}"
    record = results.load_record(records[0])
    assert record["profile"] == "smoke" and record["data_source"] == "embedded"
    assert record["recipe"] in CHECKS, f"no smoke checks for recipe {record['recipe']!r}"
    CHECKS[record["recipe"]](record["metrics"])
    # Keep the record beside the executed notebook, for the book build and for people.
    SMOKE_RESULTS.mkdir(parents=True, exist_ok=True)
    (SMOKE_RESULTS / records[0].name).write_text(records[0].read_text())
