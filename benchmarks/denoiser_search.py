"""The settings of recipe 03's classical denoisers: a grid of each, tried on held-out pairs.

``python -m benchmarks.denoiser_search`` adds recipe 03's noise to the MNIST training images (the
recipe's own ``add_noise``, with the noise factor, mean and seed its ``runs.start`` declares) and
keeps the last ``--tuning-size`` pairs of the tenth that the recipe's autoencoder never trains on
(Keras's ``validation_split=0.1``). Each classical denoiser of :data:`CANDIDATES` tries every
combination of its grid, each followed by the affine de-bias ``a D(x) + b`` fitted by least
squares on the same pairs, and keeps the combination with the best mean PSNR after the de-bias
(the first one on a tie). The PCA projection uses the principal directions of the other nine
tenths of the clean training images. The test images are never touched.

It needs the real MNIST (set ``AELIB_DATA_DIR``); ``--sample`` runs on the embedded sample
instead, for the tests, and its numbers are not the published ones. It writes
``benchmarks/results/denoiser_search.md`` and ``.json`` (``--output`` names another path, less
the suffix). Recipe 03 states the chosen settings; ``tests/test_denoiser_search.py`` checks them
against the JSON.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import numbers
import time
from pathlib import Path

import numpy as np
from scipy import ndimage
from skimage import restoration
from sklearn.decomposition import PCA

from aelib import data, metrics, results
from benchmarks import time_to_quality
from booktools import book

RECIPE = "03_denoising"
RESULTS = Path(__file__).resolve().parent / "results"

# Each candidate: its label, a denoiser of one 2-d image in [0, 1], and the grid of its settings.
# The PCA projection's denoiser is made by `search`, from the principal directions it fits.
CANDIDATES = {
    "input": ("noisy input, de-biased", np.asarray, {}),  # The de-bias alone.
    "gaussian": ("Gaussian blur", ndimage.gaussian_filter, {"sigma": (0.5, 0.75, 1.0, 1.5)}),
    "median": ("median filter", ndimage.median_filter, {"size": (3, 5)}),
    "total_variation": (
        "total variation",
        restoration.denoise_tv_chambolle,
        {"weight": (0.1, 0.15, 0.2, 0.25, 0.3, 0.4)},
    ),
    "non_local_means": (
        "non-local means",
        restoration.denoise_nl_means,
        {"h": (0.2, 0.25, 0.3, 0.35), "patch_size": (3, 5), "patch_distance": (3,)},
    ),
    "wavelet": (
        "wavelet shrinkage",
        restoration.denoise_wavelet,
        {
            "sigma": (0.2, 0.3, 0.45),
            "mode": ("soft", "hard"),
            "wavelet": ("db2",),
            "wavelet_levels": (2, 3),
        },
    ),
    "bilateral": (
        "bilateral filter",
        restoration.denoise_bilateral,
        {"sigma_color": (0.3, 0.6, 1.0), "sigma_spatial": (1.0, 3.0), "win_size": (3, 5)},
    ),
    "pca": ("PCA projection", None, {"components": (16, 24, 32, 48, 64, 96)}),
}


def check_settings(noise_factor, noise_mean, seed, tuning_size) -> None:
    """ValueError, naming the setting, for a search that cannot run or would mean nothing."""
    for name, value in (("noise factor", noise_factor), ("noise mean", noise_mean)):
        if not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise ValueError(f"The {name} must be a finite number, not {value!r}.")
    if noise_factor <= 0:
        raise ValueError(f"The noise factor must be > 0 (a noise to remove), not {noise_factor}.")
    for name, value, least in (("seed", seed, 0), ("tuning size", tuning_size, 1)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < least:
            raise ValueError(f"The {name} must be an integer >= {least}, not {value!r}.")


def denoise_each(denoiser, images, **settings):
    """Apply ``denoiser`` (one 2-d image in, one out) to each image of (n, 28, 28, 1)."""
    denoised = np.stack([denoiser(image[..., 0], **settings) for image in images])
    return denoised[..., None].astype(np.float32)


def tune(denoiser, grid, noisy, clean):
    """Every combination of ``grid``'s settings, each de-biased and scored on the pairs.

    Returns the best by PSNR after the de-bias (``settings``, ``tuning_psnr``, ``debias_slope``,
    ``debias_intercept``), with every combination's numbers under ``trials``.
    """
    trials = []
    for values in itertools.product(*grid.values()):
        settings = dict(zip(grid, values, strict=True))
        denoised = denoise_each(denoiser, noisy, **settings)
        slope, intercept = np.polyfit(denoised.ravel(), clean.ravel(), deg=1)
        score = metrics.psnr(clean, np.clip(slope * denoised + intercept, 0.0, 1.0))
        trials.append(
            {
                "settings": settings,
                "tuning_psnr": float(score),
                "debias_slope": float(slope),
                "debias_intercept": float(intercept),
            }
        )
    # max keeps the first of equal scores: the earlier setting in the grid's order.
    best = max(trials, key=lambda trial: trial["tuning_psnr"])
    return best | {"trials": trials}


def search(tuning_clean, tuning_noisy, pca_images, seed, candidates=CANDIDATES):
    """Tune each candidate on the pairs; the PCA projection's directions come from
    ``pca_images`` (clean, none of the pairs). Images (n, 28, 28, 1) float32 in [0, 1]."""
    candidates = dict(candidates)
    if "pca" in candidates:
        label, _, grid = candidates["pca"]
        pca = PCA(max(grid["components"]), svd_solver="randomized", random_state=seed)
        pca.fit(pca_images.reshape(len(pca_images), -1))

        def pca_projection(image, components):
            basis = pca.components_[:components]
            return ((image.ravel() - pca.mean_) @ basis.T @ basis + pca.mean_).reshape(image.shape)

        candidates["pca"] = (label, pca_projection, grid)
    return {
        key: {"label": label, "grid": grid} | tune(denoiser, grid, tuning_noisy, tuning_clean)
        for key, (label, denoiser, grid) in candidates.items()
    }


def describe(settings):
    """Settings as text: "weight 0.25, ..." ("-" when there are none), as recipe 03 shows them."""
    return ", ".join(f"{name} {value}" for name, value in settings.items()) or "-"


def report_markdown(report: dict) -> str:
    """The Markdown report: what was searched, the chosen settings, then every trial."""
    header = "| method | settings | held-out PSNR (dB) | de-bias a | de-bias b |"
    rule = "| --- | --- | ---: | ---: | ---: |"

    def row(label, trial, bold=False):
        mark = "**" if bold else ""
        cells = [label, describe(trial["settings"]), f"{trial['tuning_psnr']:.2f}"]
        cells += [f"{trial['debias_slope']:.2f}", f"{trial['debias_intercept']:+.2f}"]
        return "| " + " | ".join(f"{mark}{cell}{mark}" for cell in cells) + " |"

    methods = report["methods"]
    chosen = [row(method["label"], method) for method in methods.values()]
    trials = [
        row(method["label"], trial, bold=trial["settings"] == method["settings"])
        for method in methods.values()
        for trial in method["trials"]
    ]
    count = sum(len(method["trials"]) for method in methods.values())
    return "\n".join(
        [
            f"# Classical denoisers: the settings tried for recipe 03 ({report['date']})",
            "",
            f"Each row: one setting of one classical denoiser of recipe 03, applied to the last "
            f"{report['tuning_pairs']:,} of the {report['held_out']:,} MNIST training images that "
            f"the recipe's autoencoder does not train on, with the recipe's noise (standard "
            f"deviation {report['noise_factor']}, mean {report['noise_mean']}, seed "
            f"{report['seed']}, clipped to [0, 1]), then the affine de-bias a D(x) + b fitted "
            f"by least squares on the same pairs. The held-out PSNR is the mean PSNR after the "
            f"de-bias, the number each choice is made on (the first setting wins a tie); the test "
            f"digits are never used. The PCA projection keeps the leading principal directions "
            f"of the other {report['pca_images']:,} clean training images. Data: "
            f"{report['data']}. {count} settings in {report['seconds']:.0f} s "
            f"({report['hardware']}).",
            "",
            "## The settings chosen",
            "",
            "Recipe 03 states these settings, fits the same de-bias on the same pairs and runs "
            "each method on the test digits.",
            "",
            header,
            rule,
            *chosen,
            "",
            "## Every setting tried",
            "",
            "The chosen setting of each method in bold.",
            "",
            header,
            rule,
            *trials,
            "",
        ]
    )


def write_report(report: dict, output: str | Path) -> tuple[Path, Path]:
    """Write ``report`` to ``output``.json and its Markdown to ``output``.md, each atomically."""
    output = Path(output)
    paths = output.with_name(output.name + ".json"), output.with_name(output.name + ".md")
    results.write_text_atomically(paths[0], json.dumps(report, indent=2) + "\n")
    results.write_text_atomically(paths[1], report_markdown(report))
    return paths


def main(argv: list[str] | None = None) -> int:
    """Run the search with recipe 03's noise and held-out pairs; write and name the report."""
    declared = time_to_quality.declared_config(RECIPE)
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.denoiser_search", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--noise-factor", type=float, default=declared["noise_factor"])
    parser.add_argument("--noise-mean", type=float, default=declared["noise_mean"])
    parser.add_argument("--seed", type=int, default=declared["seed"])
    parser.add_argument(
        "--tuning-size",
        type=int,
        default=declared["tuning_size"],
        help="held-out training pairs to choose on (at most a tenth of the training images)",
    )
    parser.add_argument(
        "--sample", action="store_true", help="the embedded sample: a test, not the real numbers"
    )
    parser.add_argument(
        "--output",
        default=str(RESULTS / "denoiser_search"),
        help="the report's path less .md and .json (default: benchmarks/results/denoiser_search)",
    )
    arguments = parser.parse_args(argv)
    noise = (arguments.noise_factor, arguments.noise_mean)
    check_settings(*noise, arguments.seed, arguments.tuning_size)

    started = time.perf_counter()
    mnist = data.load_mnist("embedded" if arguments.sample else "auto", verbose=False)
    # The recipe's own noise: its function, read from recipes/03_denoising.py, on all the
    # training images at once, as the recipe draws it.
    add_noise = time_to_quality.recipe_definitions(RECIPE)["add_noise"]
    x_train = mnist.x_train
    x_train_noisy = add_noise(x_train, *noise, seed=arguments.seed)
    held_out = len(x_train) // 10
    size = min(arguments.tuning_size, held_out)
    methods = search(x_train[-size:], x_train_noisy[-size:], x_train[:-held_out], arguments.seed)
    hardware = results.describe_hardware()
    report = {
        "recipe": RECIPE,
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        # The data folder as $AELIB_DATA_DIR, so that the report holds on any machine.
        "data": book.neutral_paths(mnist.description, RESULTS.parents[1]),
        "noise_factor": arguments.noise_factor,
        "noise_mean": arguments.noise_mean,
        "seed": arguments.seed,
        "held_out": held_out,
        "tuning_pairs": size,
        "pca_images": len(x_train) - held_out,
        "seconds": time.perf_counter() - started,
        "hardware": f"{hardware['cpu']}, {hardware['cpu_count']} cores",
        "methods": methods,
    }
    for path in write_report(report, arguments.output):
        print(f"wrote {path}")
    for method in methods.values():
        settings, score = describe(method["settings"]), method["tuning_psnr"]
        print(f"  {method['label']}: {settings}; {score:.2f} dB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
