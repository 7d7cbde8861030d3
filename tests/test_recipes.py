"""Execute every recipe with papermill in the smoke profile and check what it computed.

`make smoke` runs them on this environment's kernel; `make colab` on a Colab-like kernel
(tests/colab/setup.py), where each notebook's first cell must install aelib itself, two
recipes at a time (pytest-xdist). The same execution also serves nbval's check: the outputs
of the cells marked NBVAL_CHECK_OUTPUT must match the committed notebook's.

The executed notebooks land in _build/executed/, where `make html` builds the book from them.
"""

import json
import os
import re
import subprocess
from pathlib import Path

import notebook_outputs
import papermill
import pytest

from aelib import results

ROOT = Path(__file__).resolve().parents[1]
EXECUTED = ROOT / "_build" / "executed" / "recipes"
SMOKE_RESULTS = ROOT / "_build" / "results"
NOTEBOOKS = sorted((ROOT / "recipes").glob("[0-9][0-9]_*.ipynb"))
SANITIZE_RULES = ROOT / "tests" / "nbval_sanitize.cfg"


def _check_vanilla(metrics):
    sizes = (2, 8, 32, 128)
    for size in sizes:
        # Training reduced the loss of every autoencoder...
        assert metrics[f"ae_{size}_last_epoch_loss"] < metrics[f"ae_{size}_first_epoch_loss"], size
        # ...and PCA's code of every size rebuilds the digits better than the mean image.
        assert metrics[f"pca_{size}_mse"] < metrics["mean_image_mse"], size
    # After only a few hundred steps the larger autoencoders beat the mean image too...
    for size in (32, 128):
        assert metrics[f"ae_{size}_mse"] < 0.9 * metrics["mean_image_mse"], size
    # ...and a bigger code rebuilds better, for PCA and for the autoencoders.
    for method in ("ae", "pca"):
        psnr = [metrics[f"{method}_{size}_psnr"] for size in sizes]
        assert psnr == sorted(psnr), (method, psnr)
    # The separate encoder and decoder share the autoencoder's layers.
    assert metrics["encoder_decoder_max_difference"] < 1e-5


def _check_denoising(metrics):
    assert metrics["last_epoch_loss"] < metrics["first_epoch_loss"], metrics
    # Every method, learned or classical, improves on the noisy input it was given...
    for method in ("gaussian", "median", "autoencoder"):
        assert metrics[f"{method}_psnr"] > metrics["noisy_psnr"] + 1.0, method
    # ...and the autoencoder beats the median filter, on both scores, after a few hundred steps.
    assert metrics["autoencoder_psnr"] > metrics["median_psnr"] + 1.0, metrics
    assert metrics["autoencoder_ssim"] > metrics["median_ssim"], metrics
    # The blur's width is one of the candidates, chosen on training images.
    assert metrics["gaussian_sigma"] in (0.5, 0.75, 1.0, 1.5, 2.0)
    # The test cross-entropy is far below a constant guess of 0.5 per pixel (ln 2 = 0.69).
    assert 0.0 < metrics["autoencoder_bce"] < 0.3, metrics


def _check_dimensionality_reduction(metrics):
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


def _check_sparse(metrics):
    for model in ("relu", "relu_l1", "sigmoid", "sigmoid_kl"):
        assert metrics[f"{model}_last_epoch_loss"] < metrics[f"{model}_first_epoch_loss"], model
        assert metrics[f"{model}_bce"] < 0.3, model  # The mean image scores about 0.26.
    # The L1 penalty makes the ReLU code sparser than without it, by its mean and by Hoyer's
    # measure, which a mere rescaling of the code cannot change...
    assert metrics["relu_l1_mean_activation"] < 0.8 * metrics["relu_mean_activation"], metrics
    assert metrics["relu_l1_hoyer_sparsity"] > metrics["relu_hoyer_sparsity"], metrics
    # ...and the KL penalty pulls the sigmoid code's mean towards its small target.
    assert metrics["sigmoid_kl_mean_activation"] < metrics["sigmoid_mean_activation"], metrics
    # The model with its penalty layer saves as .keras and reloads to the same outputs.
    assert metrics["reload_difference"] < 1e-6


def _check_contractive(metrics):
    for model in ("sigmoid", "contractive"):
        assert metrics[f"{model}_last_epoch_loss"] < metrics[f"{model}_first_epoch_loss"], model
    # The closed-form Jacobian agrees with finite differences and with the layer's own penalty.
    assert metrics["jacobian_relative_error"] < 1e-3
    # The penalty flattens the encoder around the test images, and the same input noise moves
    # its code less, relative to the spread of the codes, than the unpenalized encoder's.
    assert metrics["contractive_jacobian_norm"] < 0.8 * metrics["sigmoid_jacobian_norm"], metrics
    change = metrics["contractive_relative_code_change"]
    assert 0.0 < change < metrics["sigmoid_relative_code_change"], metrics
    # PCA's encoder is a projection with orthonormal rows: its squared Jacobian norm is the
    # number of components exactly.
    assert abs(metrics["pca_jacobian_norm"] - 32) < 1e-3, metrics
    for model in ("sigmoid", "contractive", "pca"):
        assert 10.0 < metrics[f"{model}_psnr"] < 40.0, model
    assert metrics["reload_difference"] < 1e-6


def _check_vae(metrics):
    for model in ("seed_vae", "dense_vae"):
        elbo = metrics[f"{model}_negative_elbo"]
        # The two terms add up to the loss Keras evaluates, and the code is worth its KL cost:
        # every VAE beats the mean image, the same Bernoulli pixels with no code.
        assert elbo == pytest.approx(metrics[f"{model}_reconstruction"] + metrics[f"{model}_kl"])
        assert metrics[f"{model}_kl"] > 0.0, model
        assert elbo < 0.99 * metrics["mean_image_negative_elbo"], model
    assert metrics["reload_difference"] < 1e-6


def _check_colorization(metrics):
    assert metrics["unet_last_epoch_loss"] < metrics["unet_first_epoch_loss"], metrics
    # Predicting only the colour keeps the luma exact: the U-Net beats the gray copy even after
    # a few seconds of training (SSIM needs the full run: the smoke run's U-Net blurs edges).
    assert metrics["unet_pooled_psnr"] > metrics["gray_pooled_psnr"], metrics


def _check_super_resolution(metrics):
    for model in ("srcnn", "subpixel"):
        assert metrics[f"{model}_last_epoch_loss"] < metrics[f"{model}_first_epoch_loss"], model
    assert metrics["bicubic_psnr"] > metrics["nearest_psnr"], metrics
    # Residual learning starts from the bicubic image, so it is far ahead of SRCNN after a few
    # steps, and its learned detail has not dragged it far below bicubic interpolation.
    assert metrics["subpixel_psnr"] > metrics["srcnn_psnr"] + 3.0, metrics
    assert metrics["subpixel_psnr"] > metrics["bicubic_psnr"] - 0.5, metrics
    # The seed's SRCNN (9x9x64, 1x1x32, 5x5x3 on RGB) and a deeper sub-pixel network.
    assert metrics["srcnn_parameters"] == 20_099, metrics
    assert metrics["subpixel_parameters"] > 10 * metrics["srcnn_parameters"], metrics
    assert metrics["subpixel_reload_difference"] < 1e-6


def _check_pretext(metrics):
    arms = ("scratch", "encoder_finetuned")
    budgets = sorted(
        int(key.split("_")[1])
        for key in metrics
        if key.startswith("scratch_") and key.endswith("_accuracy")
    )
    assert len(budgets) >= 2, budgets
    for arm in arms:
        for budget in budgets:
            assert 0.0 <= metrics[f"{arm}_{budget}_accuracy"] <= 1.0, (arm, budget)
            assert metrics[f"{arm}_{budget}_accuracy_sd"] >= 0.0, (arm, budget)
        # From scratch or pretrained, the classifier learns the digits far above chance (10%)
        # even on a few dozen labels, and better with ten times more.
        assert metrics[f"{arm}_{budgets[0]}_accuracy"] > 0.5, arm
        assert metrics[f"{arm}_{budgets[-1]}_accuracy"] > metrics[f"{arm}_{budgets[0]}_accuracy"]
    # The pretext was learned: the denoising loss fell by a tenth at least from its first epoch,
    # and the autoencoder's output is closer to the clean test digits than its noisy input.
    assert metrics["pretext_loss_last"] < 0.9 * metrics["pretext_loss_first"]
    assert 0.0 < metrics["denoised_test_mse"] < metrics["noisy_test_mse"], metrics
    # Every encoder copy (warm-up to autoencoder, autoencoder to classifier) was exact: one per
    # seed into an autoencoder and one per seed and budget into a classifier, two seeds at least.
    assert metrics["encoder_transfers"] >= 2 * (1 + len(budgets))
    assert metrics["inexact_encoder_transfers"] == 0
    # The headline's gain is the pretrained arm's mean minus scratch's, in points.
    gain = (
        metrics[f"encoder_finetuned_{budgets[0]}_accuracy"]
        - metrics[f"scratch_{budgets[0]}_accuracy"]
    )
    assert abs(metrics["encoder_finetuned_gain_smallest_budget"] - 100 * gain) < 1e-6
    assert metrics["encoder_finetuned_gain_smallest_budget_sd"] >= 0.0


def _check_compression(metrics):
    # JPEG and WebP, over their quality ranges: a higher quality costs bits and buys PSNR.
    for codec, count in (("jpeg", 17), ("webp", 12)):
        for key in ("quality", "bpp", "psnr"):
            values = [metrics[f"{codec}_{index}_{key}"] for index in range(count)]
            assert values == sorted(values) and values[0] < values[-1], (codec, key, values)
    for index in range(4):  # The learned codec, one point per lambda.
        # Every test photo went through the range coder and back (the recipe raises if one
        # latent differs), and no latent fell outside the coder's alphabet.
        assert metrics[f"codec_{index}_photos_coded"] >= 100
        assert metrics[f"codec_{index}_clipped_latents"] == 0
        # The bytes written cost what the prior predicts plus the framing: 16 bits of grid size
        # and the last, partly filled 32-bit word (at 1,024 pixels a photo, under 0.1 bpp).
        overhead = metrics[f"codec_{index}_bpp"] - metrics[f"codec_{index}_model_bpp"]
        assert 0.01 < overhead < 0.1, (index, overhead)
        # Even after the smoke profile's few steps, every codec beats sending the mean photo.
        assert metrics[f"codec_{index}_psnr"] > metrics["mean_image_psnr"] + 2.0
    lambdas = sorted(metrics[f"codec_{index}_lambda"] for index in range(4))
    assert lambdas[0] < lambdas[-1] and len(set(lambdas)) == 4, lambdas
    # The comparison near 0.5 bpp is JPEG's own point nearest it.
    jpeg_rates = [metrics[f"jpeg_{index}_bpp"] for index in range(17)]
    nearest = min(jpeg_rates, key=lambda rate: abs(rate - 0.5))
    assert metrics["jpeg_near_half_bpp_bpp"] == nearest


def _check_anomaly_detection(metrics):
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
    # The held-out digit: a threshold set on normal validation images flags about 5% of the
    # normal test images, and the nearest neighbour finds the held-out digit better than chance.
    for detector in ("ae", "pca", "knn"):
        assert 0.0 < metrics[f"holdout_{detector}_false_alarm_rate"] < 0.15, detector
        for metric in ("auc", "precision", "recall"):
            assert 0.0 <= metrics[f"holdout_{detector}_{metric}"] <= 1.0, (detector, metric)
    assert metrics["holdout_knn_auc"] > 0.65, metrics["holdout_knn_auc"]


CHECKS = {
    "vanilla": _check_vanilla,
    "dimensionality_reduction": _check_dimensionality_reduction,
    "denoising": _check_denoising,
    "colorization": _check_colorization,
    "sparse": _check_sparse,
    "vae": _check_vae,
    "super_resolution": _check_super_resolution,
    "pretext": _check_pretext,
    "compression": _check_compression,
    "anomaly_detection": _check_anomaly_detection,
    "contractive": _check_contractive,
}


def _colab_kernel():
    """The Colab-like kernel's facts when the tests run on it (``make colab``), else None."""
    if os.environ.get("AELIB_SMOKE_KERNEL") != "aebook-colab":
        return None
    facts = json.loads((ROOT / "_build" / "colab" / "kernel.json").read_text())
    # Each pytest-xdist worker has an environment and a kernel of its own (tests/colab/setup.py).
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    if worker not in facts["workers"]:
        raise RuntimeError(f"no Colab-like kernel for worker {worker}: run make colab-env")
    facts.update(facts["workers"][worker])
    # The pinned requirement each notebook's install cell holds, e.g.
    # "aelib @ git+https://github.com/aebook/aebook@<40 hex digits>".
    facts["pin_pattern"] = re.compile(r'"aelib @ git\+(?P<url>[^"@]+)@(?P<commit>[0-9a-f]{40})"')
    facts["uninstall"] = [facts["python"], "-m", "pip", "uninstall", "-q", "-y", "aelib"]
    facts["origin"] = [
        facts["python"],
        "-c",
        "import importlib.metadata as m; "
        "print(m.distribution('aelib').read_text('direct_url.json'))",
    ]
    return facts


@pytest.mark.recipe
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.stem)
def test_recipe_runs_in_the_smoke_profile(notebook, tmp_path, monkeypatch):
    results_dir = tmp_path / "results"
    monkeypatch.setenv("AELIB_RESULTS_DIR", str(results_dir))
    EXECUTED.mkdir(parents=True, exist_ok=True)
    colab = _colab_kernel()
    if colab:
        # As in a new Colab session, aelib is not installed until the first cell installs it.
        subprocess.run(colab["uninstall"], check=True, capture_output=True, cwd="/")
    papermill.execute_notebook(
        str(notebook),
        str(EXECUTED / notebook.name),
        parameters={"PROFILE": "smoke"},
        cwd=str(notebook.parent),
        kernel_name=colab["kernel"] if colab else os.environ.get("AELIB_SMOKE_KERNEL", "python3"),
        progress_bar=False,
    )
    if colab:
        # The install cell put aelib there, from the repository URL at the commit it pins.
        # Run from "/", so that this checkout's own metadata folder cannot answer instead.
        cells = json.loads(notebook.read_text())["cells"]
        pins = colab["pin_pattern"].findall("\n".join("".join(cell["source"]) for cell in cells))
        assert len(pins) == 1, f"{notebook.name} pins aelib {len(pins)} times"
        pinned_url, pinned_commit = pins[0]
        found = subprocess.run(colab["origin"], check=True, capture_output=True, cwd="/")
        origin = json.loads(found.stdout)
        assert origin["url"] == pinned_url == colab["url"], origin
        assert origin["vcs_info"]["commit_id"] == pinned_commit, origin
        assert origin["vcs_info"]["requested_revision"] == pinned_commit, origin
    records = list(results_dir.glob("*.json"))
    assert len(records) == 1, f"{notebook.name} wrote {records}"
    record = results.load_record(records[0])
    assert record["profile"] == "smoke" and record["data_source"] == "embedded"
    assert record["recipe"] in CHECKS, f"no smoke checks for recipe {record['recipe']!r}"
    CHECKS[record["recipe"]](record["metrics"])
    # Keep the record beside the executed notebook, for the book build and for people.
    SMOKE_RESULTS.mkdir(parents=True, exist_ok=True)
    (SMOKE_RESULTS / records[0].name).write_text(records[0].read_text())
    # nbval's check on this same execution: the outputs that must not drift (the cells marked
    # NBVAL_CHECK_OUTPUT) agree with the committed notebook's, after nbval's sanitizing rules.
    problems = notebook_outputs.compare_checked_outputs(
        notebook, EXECUTED / notebook.name, notebook_outputs.read_patterns(SANITIZE_RULES)
    )
    assert not problems, "\n\n".join(problems)
