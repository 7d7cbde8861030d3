# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---
# %% [markdown]
# # Does a contractive code follow the data?
#
# **Description:** Measure whether a contractive autoencoder's code follows small moves of a
# digit (shifts, a rotation) while it ignores Gaussian noise of the same norm, against the same
# model without the penalty and PCA, over several training seeds.<br>
# **Accelerator:** none needed (the full profile took 6.8 minutes on a 2-core CPU).<br>
# <a href="https://colab.research.google.com/github/aebook/aebook/blob/main/recipes/18_contractive_manifold.ipynb"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>

# %% [markdown]
# ## Introduction
#
# [Recipe 11](11_contractive.ipynb) builds the contractive penalty of Rifai et al. (2011)
# {cite:p}`rifai2011`: noise then moves the code little. The claim behind it, as the R-Keras
# cookbook (seed 000) puts it, is about directions: the reconstruction term keeps the code sensitive
# along the directions in which the data really varies, so the code follows the data's manifold and
# stays steady across.
#
# A digit shifted by a pixel or turned by a few degrees is still a digit: the image difference
# points along the data, while Gaussian noise of the same norm points almost anywhere else among
# the 784 pixels. The **along/off ratio**, how far the first moves the code over how far the
# second does, is high for a code that follows the data and ignores the rest. We measure it for
# recipe 11's 784-32-784 autoencoder with and without the penalty, and for PCA's 32 numbers.

# %% [markdown]
# ## Setup
#
# The first cell installs `aelib`, the book's small helper library, wherever it is missing (Colab,
# Kaggle, a fresh Jupyter), at the commit this notebook was run with; it leaves TensorFlow alone.
# In a checkout of the repository, `make book` or `pip install -e .` has installed it already.

# %%
import importlib.util
import subprocess
import sys

# Colab, Kaggle or a fresh Jupyter lack aelib: install the commit this notebook was run with.
# It brings only aelib's light dependencies; TensorFlow and Keras stay as they are.
if importlib.util.find_spec("aelib") is None:
    aelib_requirement = (
        "aelib @ git+https://github.com/aebook/aebook@eb2c6e52216d8c1319f9d1834db14c02ae03abff"
    )
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", aelib_requirement], check=True)
    importlib.invalidate_caches()


# %%
import os

# Keep TensorFlow's start-up notices out of the page; this must precede importing Keras.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display
from keras import ops
from scipy import ndimage
from sklearn.decomposition import PCA

from aelib import metrics, plots, results, runs, stats, tables

# %% [markdown]
# The parameters: the profile (`full`: real MNIST; `smoke`: the embedded sample), the seeds, the
# candidate weights and the rotation. `runs.start` seeds every generator and loads the data.

# %% tags=["parameters"]
PROFILE = "full"
SEED = 42
SEEDS = 5  # Training seeds of each autoencoder (the data fixed); the smoke profile trains 2.
EPOCHS = 30
BATCH_SIZE = 128
LATENT_DIM = 32
CONTRACTION_WEIGHTS = (3e-3, 1e-2, 3e-2)  # Candidates for lambda, chosen on held-out data.
ROTATION_DEGREES = 5.0  # The small rotation of the moves along the data.

# %%
run = runs.start(
    "contractive_manifold",
    PROFILE,
    seed=SEED,
    dataset="mnist",
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    latent_dim=LATENT_DIM,
    seeds=SEEDS,
    contraction_weights=" ".join(f"{weight:g}" for weight in CONTRACTION_WEIGHTS),
    rotation_degrees=ROTATION_DEGREES,
)
x_train, x_test = run.x_train, run.x_test
seeds = [SEED + index for index in range(SEEDS if run.profile.name == "full" else 2)]

# %% [markdown]
# ## Prepare the data
#
# MNIST as in the first recipe: (n, 28, 28, 1) images in [0, 1], no labels. The last tenth of
# the training images is held out: no model trains on it, and the weight is chosen on it.
#
# Each held-out and test image gets three moves along the data: a shift by one whole pixel (up,
# down, left or right; exact), a shift by half a pixel in a random direction (bilinear
# interpolation) and a rotation by `ROTATION_DEGREES` either way. Each move's difference
# $x' - x$ is paired with Gaussian noise rescaled, image by image, to the same norm; noisy
# images are not clipped, since the test is about the encoder.

# %%
held_out_count = len(x_train) // 10
x_fit, x_held_out = x_train[:-held_out_count], x_train[-held_out_count:]
MOVES = ("one_pixel_shift", "half_pixel_shift", "rotation")


def image_norms(images):
    """The Euclidean norm of each of (n, 28, 28, 1) images, as (n, 1, 1, 1)."""
    return np.linalg.norm(images.reshape(len(images), -1), axis=1)[:, None, None, None]


def make_moves(images, seed):
    """{move: (along, off)}: each image moved, and each image plus Gaussian noise of the norm
    of its move's difference; all (n, 28, 28, 1)."""
    rng = np.random.default_rng(seed)
    along = {move: np.empty_like(images) for move in MOVES}
    for index, image in enumerate(images[..., 0]):
        step = ((0, 1), (0, -1), (1, 0), (-1, 0))[rng.integers(4)]
        angle, sign = rng.uniform(0.0, 2.0 * np.pi), rng.choice([-1.0, 1.0])
        half_step = (0.5 * np.sin(angle), 0.5 * np.cos(angle))
        along["one_pixel_shift"][index, ..., 0] = ndimage.shift(image, step, order=0)
        along["half_pixel_shift"][index, ..., 0] = ndimage.shift(image, half_step, order=1)
        rotated = ndimage.rotate(image, sign * ROTATION_DEGREES, reshape=False, order=1)
        along["rotation"][index, ..., 0] = rotated
    moves = {}
    for move, moved in along.items():
        noise = rng.normal(size=images.shape).astype(np.float32)
        moves[move] = (moved, images + noise * image_norms(moved - images) / image_norms(noise))
    return moves


with run.phase("moves"):
    held_out_moves, test_moves = make_moves(x_held_out, SEED), make_moves(x_test, SEED + 1)
norm_mismatch = 0.0
for move, (along, off) in test_moves.items():
    sizes = image_norms(along - x_test)
    norm_mismatch = max(norm_mismatch, float(np.max(np.abs(image_norms(off - x_test) - sizes))))
    print(f"{move.replace('_', ' ')}: mean norm of x' - x over the test images {sizes.mean():.2f}")

# %%
# NBVAL_CHECK_OUTPUT
print(f"the noise has the same norm as each move's difference: {norm_mismatch < 1e-4}")
along, off = (np.concatenate([pair[side][:1] for pair in test_moves.values()]) for side in (0, 1))
differences = {"moved": along, "x' - x": 0.5 + (along - x_test[:1]) / 2}
plots.show_image_rows(differences | {"noise": 0.5 + (off - x_test[:1]) / 2}, count=len(MOVES))

# %% [markdown]
# *Figure: columns are a one-pixel shift, a half-pixel shift and a rotation of the first test
# digit; rows are the moved digit, its difference from the original and noise of the same norm
# (mid-gray is zero).*

# %% [markdown]
# ## Build the model
#
# This page repeats recipe 11's `ContractiveDense` layer and model so that it runs alone. The
# layer adds to the binary cross-entropy $\lambda$ times the squared Frobenius norm of the code's
# Jacobian, in the closed form that recipe 11 derives and checks; the plain model is the same
# layer with $\lambda = 0$, and the decoder starts at the mean training image, as in recipe 05.


# %%
@keras.saving.register_keras_serializable(package="aebook")
class ContractiveDense(keras.layers.Dense):
    """A sigmoid Dense layer; adds contraction * mean ||d code / d input||_F^2 to the loss."""

    def __init__(self, units, contraction=1e-3, activation="sigmoid", **kwargs):
        if activation != "sigmoid":
            raise ValueError(f"the closed-form Jacobian needs a sigmoid code, not {activation!r}.")
        super().__init__(units, activation=activation, **kwargs)
        self.contraction = contraction

    def call(self, inputs):
        codes = super().call(inputs)  # (batch, units) in (0, 1).
        kernel_norms = ops.sum(ops.square(self.kernel), axis=0)  # sum_p W_pj^2, one per unit.
        jacobian_norms = ops.sum(ops.square(codes * (1.0 - codes)) * kernel_norms, axis=-1)
        self.add_loss(self.contraction * ops.mean(jacobian_norms))
        return codes

    def get_config(self):
        return {**super().get_config(), "contraction": self.contraction}


# The log-odds of each pixel's mean training value; clipping keeps always-black pixels finite.
mean_pixels = np.clip(x_fit.mean(axis=0).reshape(-1), 1e-3, 1 - 1e-3)
output_bias = np.log(mean_pixels / (1 - mean_pixels))


def build_autoencoder(contraction, seed):
    """Return (autoencoder, encoder) for (28, 28, 1) images in [0, 1] and a LATENT_DIM code."""
    # At one seed every weight starts from the same initial weights: differences are the penalty's.
    keras.utils.set_random_seed(seed)
    images = keras.Input(shape=(28, 28, 1), name="images")
    flat = keras.layers.Flatten()(images)
    codes = ContractiveDense(LATENT_DIM, contraction, name="code")(flat)
    decode = keras.layers.Dense(28 * 28, activation="sigmoid", name="pixels")
    reconstruction = keras.layers.Reshape((28, 28, 1))(decode(codes))
    decode.bias.assign(output_bias)
    return keras.Model(images, reconstruction), keras.Model(images, codes)


# %% [markdown]
# ## Train
#
# Adam, and at one seed the same images in the same order for every model. The first seed
# trains every candidate weight; PCA fits the same training images.


# %%
def train(contraction, seed):
    """Train one autoencoder on x_fit; return (autoencoder, encoder)."""
    autoencoder, encoder = build_autoencoder(contraction, seed)
    # Running 64 steps per call gives the same weights as one at a time, with less overhead.
    optimizer = keras.optimizers.Adam(1e-3)
    autoencoder.compile(optimizer, loss="binary_crossentropy", steps_per_execution=64)
    keras.utils.set_random_seed(seed)  # The same shuffling for every weight at this seed.
    autoencoder.fit(x_fit, x_fit, batch_size=run.batch_size, epochs=run.epochs, verbose=0)
    return autoencoder, encoder


trained = {}  # (lambda, seed) -> (autoencoder, encoder)
with run.phase("train_candidates"):
    for contraction in (0.0, *CONTRACTION_WEIGHTS):
        trained[contraction, SEED] = train(contraction, SEED)
pca = PCA(n_components=LATENT_DIM, svd_solver="randomized", random_state=SEED)
pca = pca.fit(x_fit.reshape(len(x_fit), -1))

# %% [markdown]
# ### Choose the weight on held-out training images
#
# `evaluate` scores a code, on the held-out images here and the test images below: its PSNR, the
# along/off ratio of each move and their mean. The chosen weight has the highest held-out ratio
# among those whose held-out PSNR is at least PCA's, so it cannot buy its ratio with a code that
# no longer holds the digit; the other seeds train it and the plain model.


# %%
def encode(model, images):
    """The (n, LATENT_DIM) codes of (n, 28, 28, 1) images by PCA or a trained autoencoder."""
    if model is pca:
        return pca.transform(images.reshape(len(images), -1))
    return model[1].predict(images, batch_size=1024, verbose=0)


def evaluate(model, images, moves):
    """The scores of PCA or of a trained (autoencoder, encoder) on images."""
    codes = encode(model, images)
    if model is pca:
        rebuilt = np.clip(pca.inverse_transform(codes), 0.0, 1.0).reshape(images.shape)
    else:
        rebuilt = model[0].predict(images, batch_size=1024, verbose=0)

    def change(moved):
        return np.linalg.norm(encode(model, moved) - codes, axis=-1).mean()

    ratios = {f"{move}_ratio": change(along) / change(off) for move, (along, off) in moves.items()}
    return {
        "psnr": metrics.psnr(images, rebuilt.astype(np.float32)),
        "along_off_ratio": float(np.mean(list(ratios.values()))),
    } | {key: float(ratio) for key, ratio in ratios.items()}


with run.phase("choose"):
    candidates = {
        weight: evaluate(trained[weight, SEED], x_held_out, held_out_moves)
        for weight in (0.0, *CONTRACTION_WEIGHTS)
    }
    candidates["PCA"] = evaluate(pca, x_held_out, held_out_moves)
eligible = [w for w in CONTRACTION_WEIGHTS if candidates[w]["psnr"] >= candidates["PCA"]["psnr"]]
smallest = min(CONTRACTION_WEIGHTS)  # The fallback, should no weight reach PCA's PSNR.
chosen_weight = max(eligible, key=lambda w: candidates[w]["along_off_ratio"], default=smallest)
rows = [
    {"model": name if name == "PCA" else f"λ = {name:g}"}
    | {"held-out PSNR (dB)": row["psnr"], "along/off ratio": row["along_off_ratio"]}
    for name, row in candidates.items()
]
formats = {"held-out PSNR (dB)": ".2f", "along/off ratio": ".3f"}
display(Markdown(tables.markdown_table(rows, formats=formats)))
fallback = "" if eligible else ", the smallest: none reaches PCA's held-out PSNR"
display(Markdown(f"The chosen weight is λ = {chosen_weight:g}{fallback}."))
models = {"plain": 0.0, "contractive": chosen_weight}
with run.phase("train_seeds"):
    for seed in seeds[1:]:
        for contraction in models.values():
            trained[contraction, seed] = train(contraction, seed)

# %% [markdown]
# ## Evaluate
#
# **Does the code follow the data?** The same scores on the test images: mean ± standard
# deviation over the seeds, and each difference of the along/off ratio paired seed by seed (PCA
# has one value), with its 95% interval; a tie when the interval covers zero.

# %%
with run.phase("evaluate"):
    per_seed = {
        name: [evaluate(trained[weight, seed], x_test, test_moves) for seed in seeds]
        for name, weight in models.items()
    }
    pca_scores = evaluate(pca, x_test, test_moves)
summaries = {
    f"{name}_{key}": stats.summarize([row[key] for row in scores])
    for name, scores in per_seed.items()
    for key in pca_scores
}
columns = {"along_off_ratio": ("along/off ratio", 3), "psnr": ("PSNR (dB)", 2)}
rows = [
    {"model": f"{name}, λ = {weight:g}"}
    | {
        label: stats.describe(summaries[f"{name}_{key}"], digits)
        for key, (label, digits) in columns.items()
    }
    for name, weight in models.items()
]
rows.append(
    {"model": f"PCA, {LATENT_DIM} components"}
    | {label: f"{pca_scores[key]:.{digits}f}" for key, (label, digits) in columns.items()}
)
ratios = {name: [row["along_off_ratio"] for row in scores] for name, scores in per_seed.items()}
ratios["PCA"] = pca_scores["along_off_ratio"]
comparisons, lines = {}, []
for ours, baseline in (("contractive", "plain"), ("contractive", "PCA"), ("plain", "PCA")):
    difference = stats.paired_difference(ratios[ours], ratios[baseline])
    comparisons[f"{ours}_minus_{baseline.lower()}_along_off_ratio"] = difference
    lines.append(
        f"- along/off ratio, {ours} minus {baseline}: "
        f"{stats.describe_interval(difference, 3)}: {ours} {stats.verdict(difference)}."
    )
display(Markdown(tables.markdown_table(rows) + "\n\n" + "\n".join(lines)))

# %%
figure, axis = plt.subplots(figsize=(7, 3.5))
keys, positions = [f"{move}_ratio" for move in MOVES], np.arange(len(MOVES))
for offset, name in enumerate(models):
    heights = [summaries[f"{name}_{key}"].mean for key in keys]
    errors = [summaries[f"{name}_{key}"].std for key in keys]
    axis.bar(positions + 0.27 * (offset - 1), heights, 0.27, yerr=errors, label=name, capsize=3)
axis.bar(positions + 0.27, [pca_scores[key] for key in keys], 0.27, label="PCA")
axis.set_xticks(positions, [move.replace("_", " ") for move in MOVES])
axis.set(ylabel="code change along / off the data")
axis.legend()
plt.show()

# %% [markdown]
# *Figure: the along/off ratio of each code for each move on the test images (higher follows the
# data and ignores the rest); bars are means over the seeds, whiskers their standard deviation.*
#
# PCA's ratio is a fact about the data alone: its code is the projection on the 32 directions
# of largest variance, and random noise puts on average 32/784 of its energy there. Nothing in
# the plain autoencoder's loss asks it to ignore the directions no digit moves along; the penalty
# flattens every direction the reconstruction does not pay for, the paper's argument.

# %% [markdown]
# ## Record the results
#
# `results/contractive_manifold.json` holds every model's scores (means with their spread over
# the seeds), the paired differences, the held-out choice of the weight and the headline.

# %%
headline = results.Headline(
    title="Contractive manifold",
    metric="contractive_along_off_ratio",
    label=(
        f"code change along the data (shifts, a rotation) / off it (noise of the same norm), "
        f"contractive penalty {chosen_weight:g}, mean of {len(seeds)} seeds (higher is better)"
    ),
    baseline_metric="pca_along_off_ratio",
    baseline_label=f"PCA with {LATENT_DIM} components, the same test moves",
    seeds=len(seeds),
    spread_metric="contractive_along_off_ratio_std",
    difference_low_metric="contractive_minus_pca_along_off_ratio_low",
    difference_high_metric="contractive_minus_pca_along_off_ratio_high",
)
record_metrics = {"perturbation_norm_mismatch": norm_mismatch, "contraction_weight": chosen_weight}
for name, row in candidates.items():
    name = "pca" if name == "PCA" else f"lambda_{name:g}".replace(".", "_")
    record_metrics |= {f"held_out_{name}_{key}": value for key, value in row.items()}
for name, summary in (summaries | comparisons).items():
    record_metrics |= stats.record_metrics(name, summary)
record_metrics |= {f"pca_{key}": value for key, value in pca_scores.items()}
run.finish(record_metrics, headline)
ours, baseline = record_metrics[headline.metric], record_metrics[headline.baseline_metric]
print(f"along/off ratio {ours:.3f} with the penalty (mean of the seeds), {baseline:.3f} for PCA")

# %% [markdown]
# ## What to try next
#
# - Add larger moves (shifts of two or three pixels, rotations of 15 degrees) and watch where
#   each code stops following the digit.
# - Refine the grid of weights between the chosen one and the next, and see whether the ratio
#   can pass PCA's by more than its interval.
