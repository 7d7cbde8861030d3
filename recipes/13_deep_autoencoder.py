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
# # Deep autoencoders
#
# **Description:** Stack several layers on each side of a tiny code, and beat PCA where a
# one-layer autoencoder cannot: MNIST digits rebuilt from 2, 8 and 32 numbers.<br>
# **Accelerator:** none needed (the full profile took 4.3 minutes on a 2-core CPU).<br>
# <a href="https://colab.research.google.com/github/aebook/aebook/blob/main/recipes/13_deep_autoencoder.ipynb"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>

# %% [markdown]
# ## Introduction
#
# Recipe 01 trains the Keras blog's one-layer autoencoder and finds it no better than principal
# component analysis (PCA) at a code of 2 numbers: apart from its two activations it is a linear
# model, and a linear autoencoder learns at best PCA's subspace (Baldi and Hornik, 1989
# {cite:p}`baldi1989`). The digits do not lie on a plane, though. Hinton and Salakhutdinov
# (*Reducing the dimensionality of data with neural networks*, Science 2006 {cite:p}`hinton2006`)
# showed that an autoencoder with several non-linear layers on each side of the code can follow
# their curved shape, and rebuilds digits from a small code far better than PCA.
#
# This recipe builds such a deep autoencoder and measures that claim at 2, 8 and 32 numbers per
# image. Where the margin over PCA could be small, the model trains from several seeds, and the
# page gives the mean, the spread and a 95% interval of the difference.

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
import logging
import math
import os

# Keep TensorFlow's start-up notices out of the page; this must precede importing Keras.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# And its notices about retracing: each of the page's models traces its own functions.
logging.getLogger("tensorflow").addFilter(lambda record: "retracing" not in record.getMessage())

import keras
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

from aelib import baselines, metrics, plots, results, runs, stats, tables

# %% [markdown]
# The parameters cell sets the run profile. `full` trains on the real MNIST and gives the numbers
# on this page; `smoke` caps every size and trains 2 seeds, so the notebook runs quickly (tests
# use it). `runs.start` seeds every random generator, loads the profile's share of the data and
# says what ran. The training settings were chosen in short runs scored on the validation images
# (the last tenth of the training set), never on the test set.

# %% tags=["parameters"]
PROFILE = "full"
SEED = 42
EPOCHS = 4
BATCH_SIZE = 128
LEARNING_RATE = 3e-3  # Adam's first step, falling to zero along a cosine.
WIDTHS = (512, 256, 128)  # The encoder's hidden layers; the decoder mirrors them.
CODE_SIZES = (2, 8, 32)
SEEDS = 5  # Training seeds where the margin over PCA could be small.
SEEDED_CODE_SIZES = (2, 8)
HEADLINE_CODE_SIZE = 2

# %%
run = runs.start(
    "deep_autoencoder",
    PROFILE,
    seed=SEED,
    dataset="mnist",
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    learning_rate=LEARNING_RATE,
    seeds=SEEDS,
    headline_code_size=HEADLINE_CODE_SIZE,
)
x_train, x_test = run.x_train, run.x_test
seeds = [SEED + offset for offset in range(SEEDS if run.profile.name == "full" else 2)]
print(f"seeds {', '.join(map(str, seeds))}; {run.epochs} epochs, batch size {run.batch_size}")

# %% [markdown]
# ## Prepare the data
#
# The images are float32 in [0, 1] with a channel axis; the banner above says where they were
# found: a data folder, the `keras.datasets` download, or the embedded 5,000-digit sample.

# %%
# NBVAL_CHECK_OUTPUT
print(f"x_train: (n, {', '.join(map(str, x_train.shape[1:]))}) {x_train.dtype}")
print(f"pixel range: [{x_train.min():.1f}, {x_train.max():.1f}]")

# %% [markdown]
# ## Build the model
#
# Hinton and Salakhutdinov's shape with today's parts: ReLU layers of 512, 256 and 128 units
# narrow the image down to a *linear* code layer, so the code can take any value, and the
# decoder mirrors them up to a sigmoid that keeps the pixels in [0, 1]. Their encoder (1000, 500
# and 250 units) needed layer-by-layer pretraining with restricted Boltzmann machines before
# fine-tuning; with ReLUs and Adam this one trains directly.


# %%
def build_deep_autoencoder(code_size, widths=WIDTHS):
    """Return (autoencoder, encoder, decoder): ReLU layers of `widths` down to a linear
    code_size code, and their mirror image up to a sigmoid (28, 28, 1) image."""
    encoder = keras.Sequential(
        [keras.Input(shape=(28, 28, 1)), keras.layers.Flatten()]
        + [keras.layers.Dense(width, activation="relu") for width in widths]
        + [keras.layers.Dense(code_size, name="code")],
        name=f"deep_encoder_{code_size}",
    )
    decoder = keras.Sequential(
        [keras.Input(shape=(code_size,))]
        + [keras.layers.Dense(width, activation="relu") for width in reversed(widths)]
        + [keras.layers.Dense(28 * 28, activation="sigmoid"), keras.layers.Reshape((28, 28, 1))],
        name=f"deep_decoder_{code_size}",
    )
    images = keras.Input(shape=(28, 28, 1), name="images")
    autoencoder = keras.Model(images, decoder(encoder(images)), name=f"deep_{code_size}")
    return autoencoder, encoder, decoder


build_deep_autoencoder(HEADLINE_CODE_SIZE)[1].summary()

# %%
# NBVAL_CHECK_OUTPUT
# These numbers must not drift between profiles.
for code_size in CODE_SIZES:
    parameters = build_deep_autoencoder(code_size)[0].count_params()
    print(f"code {code_size:>2}: {parameters:>9,} parameters")

# %% [markdown]
# ## Train
#
# The image is both the input and the target, and the loss is the binary cross-entropy between
# each pixel $x_i$ and its reconstruction $\hat{x}_i$ over the $D = 784$ pixels, as in recipe 01:
#
# $$
# \mathcal{L}(x, \hat{x}) = -\frac{1}{D} \sum_{i=1}^{D}
# \bigl[ x_i \log \hat{x}_i + (1 - x_i) \log (1 - \hat{x}_i) \bigr],
# \qquad \hat{x} = g(f(x)).
# $$
#
# Adam's step falls along a cosine to zero, so that a short run ends with small, settled steps.
# A tenth of the training images is kept aside for validation; each seed draws its own initial
# weights and batch order, and the data stay the same.


# %%
def train_seeds(code_size, seeds):
    """Train one deep autoencoder per seed; return {seed: (autoencoder, encoder, history)}."""
    steps = run.epochs * math.ceil(int(0.9 * len(x_train)) / run.batch_size)
    trained = {}
    with run.phase(f"train_{code_size}"):
        for seed in seeds:
            keras.utils.set_random_seed(seed)
            autoencoder, encoder, _ = build_deep_autoencoder(code_size)
            schedule = keras.optimizers.schedules.CosineDecay(LEARNING_RATE, decay_steps=steps)
            # 64 batches per call from Python: small models otherwise spend much of their time
            # on per-batch overhead on a CPU. The computation is the same.
            autoencoder.compile(
                keras.optimizers.Adam(schedule), loss="binary_crossentropy", steps_per_execution=64
            )
            history = autoencoder.fit(
                x_train,
                x_train,
                epochs=run.epochs,
                batch_size=run.batch_size,
                validation_split=0.1,
                verbose=0,
            )
            trained[seed] = (autoencoder, encoder, history)
    loss = trained[seeds[0]][2].history["val_loss"]
    print(
        f"code {code_size}: {len(seeds)} seed(s) in {run.seconds[f'train_{code_size}']:.0f} s; "
        f"validation loss of seed {seeds[0]} {loss[0]:.4f} -> {loss[-1]:.4f}"
    )
    return trained


deep = {
    size: train_seeds(size, seeds if size in SEEDED_CODE_SIZES else seeds[:1])
    for size in CODE_SIZES
}

# %%
first = seeds[0]
plots.plot_history(
    {f"code {size}": trained[first][2] for size, trained in deep.items()},
    title="Binary cross-entropy per pixel, first seed",
)

# %% [markdown]
# *Training (solid) and validation (dashed) loss per epoch of the first seed's model at each
# code size.*

# %% [markdown]
# ## Evaluate
#
# PCA keeps the $k$ directions in which the training images vary most; projecting an image onto
# them and back is the rank-$k$ linear reconstruction with the least squared error (the
# Eckart-Young theorem), so it is the strongest linear code, and it has no settings to tune.
# The measure is the peak signal-to-noise ratio for pixels in [0, 1], averaged over the 10,000
# test images (each capped at 60 dB):
#
# $$
# \mathrm{PSNR}(x, \hat{x}) = 10 \log_{10}
# \frac{1}{\frac{1}{D} \sum_{i=1}^{D} (x_i - \hat{x}_i)^2} \ \text{dB}.
# $$
#
# The table also gives squared error and SSIM (structural similarity, 1 for identical images); a
# model's row is the mean over its seeds.

# %%
measures = {"MSE": metrics.mse, "PSNR (dB)": metrics.psnr, "SSIM": metrics.ssim}
with run.phase("pca"):
    reconstructions = {
        f"PCA-{size}": baselines.pca_reconstruction(x_train, x_test, size) for size in CODE_SIZES
    }
seed_scores = {}
with run.phase("evaluate"):
    for name, images in reconstructions.items():
        seed_scores[name] = [{m: function(x_test, images) for m, function in measures.items()}]
    for size, trained in deep.items():
        # One call on the whole test set per model; they are small enough for it.
        outputs = [keras.ops.convert_to_numpy(model[0](x_test)) for model in trained.values()]
        reconstructions[f"deep-{size}"] = outputs[0]
        seed_scores[f"deep-{size}"] = [
            {m: function(x_test, output) for m, function in measures.items()} for output in outputs
        ]
rows = [
    {"method": name, "seeds": len(scores)}
    | {measure: np.mean([score[measure] for score in scores]) for measure in measures}
    for name, scores in sorted(seed_scores.items(), key=lambda item: int(item[0].split("-")[1]))
]
formats = {"MSE": ".4f", "PSNR (dB)": ".2f", "SSIM": ".3f"}
display(Markdown(tables.markdown_table(rows, formats=formats)))

# %%
# The deep model's mean and spread over its seeds at each code size, and its paired difference
# from PCA (which has no seed) with the 95% interval.
psnr = {name: [score["PSNR (dB)"] for score in scores] for name, scores in seed_scores.items()}
summaries = {size: stats.summarize(psnr[f"deep-{size}"]) for size in CODE_SIZES}
differences = {
    size: stats.paired_difference(psnr[f"deep-{size}"], psnr[f"PCA-{size}"][0])
    for size in CODE_SIZES
}
lines = []
for size in CODE_SIZES:
    difference = differences[size]
    verdict = {"wins": "ahead", "ties": "a tie", "loses": "behind"}[stats.verdict(difference)]
    if difference.seeds == 1:  # One seed settles a margin of more than 1 dB only.
        verdict = f"{verdict} by more than 1 dB" if abs(difference.mean) > 1 else "not settled"
    lines.append(
        f"- **{size} numbers:** PCA {psnr[f'PCA-{size}'][0]:.2f} dB; the deep autoencoder "
        f"{stats.describe(summaries[size], 2, ' dB')}, "
        f"{stats.describe_interval(difference, 2, ' dB')} against PCA: {verdict}."
    )
display(Markdown("\n".join(lines)))

# %%
figure, axis = plt.subplots(figsize=(6, 3.5))
for kind in ("deep", "PCA"):
    per_size = [stats.summarize(psnr[f"{kind}-{size}"]) for size in CODE_SIZES]
    means, spreads = [item.mean for item in per_size], [item.std for item in per_size]
    axis.errorbar(CODE_SIZES, means, spreads, marker="o", capsize=3, label=kind)
axis.set_xscale("log", base=2)
axis.set_xticks(CODE_SIZES, [str(size) for size in CODE_SIZES])
axis.set(xlabel="code size (numbers per image)", ylabel="test PSNR (dB)")
axis.legend()
axis.grid(alpha=0.3)
plt.show()

# %% [markdown]
# *Test PSNR of the deep autoencoder and of PCA at each code size (mean over seeds, with a bar of
# one standard deviation where there are several); higher is better.*

# %% [markdown]
# ### Reconstructions
#
# Two numbers per digit are enough for PCA to say roughly how much ink there is and where; the
# deep model has to choose a digit, and the rows show whether it draws the right one.

# %%
shown = [name for size in CODE_SIZES for name in (f"PCA-{size}", f"deep-{size}")]
plots.show_image_rows({"original": x_test} | {name: reconstructions[name] for name in shown})

# %% [markdown]
# *Ten test digits (top) and their reconstructions by PCA and by the deep autoencoder (first
# seed) from codes of 2, 8 and 32 numbers.*

# %% [markdown]
# ## Record the results
#
# `results/deep_autoencoder.json` keeps every row of the table (`deep_2_psnr`, `pca_2_psnr`, ...),
# each seeded model's spread, per-seed values and difference from PCA with its interval, and the
# headline: the deep model against PCA at 2 numbers.

# %%
record_metrics = {}
for row in rows:
    key = row["method"].replace("-", "_").lower()
    record_metrics |= {f"{key}_{measure.split()[0].lower()}": row[measure] for measure in measures}
for size, trained in deep.items():
    key = f"deep_{size}"
    loss = trained[first][2].history["loss"]
    record_metrics |= {f"{key}_first_epoch_loss": loss[0], f"{key}_last_epoch_loss": loss[-1]}
    record_metrics[f"{key}_minus_pca_{size}_psnr"] = differences[size].mean
    if size in SEEDED_CODE_SIZES:
        record_metrics |= stats.record_metrics(f"{key}_psnr", summaries[size])
        record_metrics |= stats.record_metrics(f"{key}_minus_pca_{size}_psnr", differences[size])
        for seed, value in zip(seeds, psnr[f"deep-{size}"], strict=True):
            record_metrics[f"{key}_psnr_seed_{seed}"] = value
best = f"deep_{HEADLINE_CODE_SIZE}"
headline = results.Headline(
    title="Deep autoencoder",
    metric=f"{best}_psnr",
    label=f"deep dense autoencoder, {HEADLINE_CODE_SIZE}-number code, PSNR (dB)",
    baseline_metric=f"pca_{HEADLINE_CODE_SIZE}_psnr",
    baseline_label=f"PCA, {HEADLINE_CODE_SIZE} components",
    seeds=len(seeds),
    spread_metric=f"{best}_psnr_std",
    difference_low_metric=f"{best}_minus_pca_{HEADLINE_CODE_SIZE}_psnr_low",
    difference_high_metric=f"{best}_minus_pca_{HEADLINE_CODE_SIZE}_psnr_high",
)
run.finish(record_metrics, headline)

# %% [markdown]
# ## What to try next
#
# Recipe 02 uses this model to squeeze digits into 2 and 4 numbers and reads what the code has
# learned, against t-SNE and UMAP. Widen or deepen the encoder (Hinton and Salakhutdinov's 1000,
# 500 and 250 units), or train longer: these settings were chosen to fit a 2-core CPU. Replace
# the `Dense` layers with convolutions, as recipe 03 does, and compare at the same code size.
