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
# # Parametric maps: what an encoder and a decoder give that UMAP does not
#
# **Description:** Map MNIST digits to a 2-d plane with a deep autoencoder, and measure what its
# two networks do that t-SNE and UMAP cannot: draw any point of the plane, place new digits from
# their weights alone, and rebuild digits from their codes.<br>
# **Accelerator:** none needed (the full profile took 6.6 minutes on a 2-core CPU).<br>
# <a href="https://colab.research.google.com/github/aebook/aebook/blob/main/recipes/17_parametric_maps.ipynb"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>

# %% [markdown]
# ## Introduction
#
# [Recipe 02](02_dimensionality_reduction.ipynb) squeezes MNIST digits into two numbers and finds
# that the neighbour embeddings, t-SNE (van der Maaten and Hinton, 2008 {cite:p}`vandermaaten2008`)
# and UMAP (McInnes, Healy and Melville, 2018 {cite:p}`mcinnes2018`), keep the digit classes apart
# better than a deep autoencoder's code. Those two methods are *non-parametric*: they return
# coordinates for the digits they were fitted on. To place a new digit, their `transform` searches
# the training digits for its nearest neighbours, so the fitted model keeps every training digit;
# and there is no map back from the plane to images, except umap-learn's approximate
# `inverse_transform`.
#
# An autoencoder is *parametric*: its encoder $f$ and decoder $g$ are functions with weights. Van
# der Maaten (2009) {cite:p}`vandermaaten2009` trained a network to the t-SNE objective for that
# reason, and Sainburg, McInnes and Gentner (2021) {cite:p}`sainburg2021` did the same for UMAP.
# This recipe measures three consequences on MNIST, against UMAP, openTSNE and PCA (the linear
# parametric map): the decoder draws any point of the plane; the encoder places the test digits from
# its weights alone, timed against the libraries' `transform`, with the bytes each method keeps to
# do it; and the decoder rebuilds digits from their codes, against UMAP's `inverse_transform` and
# PCA's, in time and error.

# %% [markdown]
# ## Setup
#
# The first cell installs `aelib`, the book's small helper library, wherever it is missing (Colab,
# Kaggle, a fresh Jupyter), at the commit this notebook was run with; it leaves TensorFlow alone.
# It also installs `openTSNE` and `umap-learn` where they are missing (Colab has only the second).

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
# The baselines t-SNE and UMAP come from openTSNE and umap-learn (both BSD-licensed).
packages = {"openTSNE": "openTSNE", "umap": "umap-learn"}  # module -> package
missing = [package for module, package in packages.items() if not importlib.util.find_spec(module)]
if missing:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", *missing], check=True)
    importlib.invalidate_caches()

# %%
import os

# Keep TensorFlow's start-up notices out of the page; this must precede importing Keras.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import math
import pickle
import time
import warnings

import keras
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display
from sklearn.decomposition import PCA

from aelib import metrics, results, runs, stats, tables

# Without Jupyter's widgets, tqdm (which umap-learn imports) warns that it cannot draw a bar.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="IProgress not found")
    import openTSNE
    import umap

# %% [markdown]
# The parameters cell sets the run profile (`full`: real MNIST; `smoke`: seconds on a CPU with
# the embedded sample). The autoencoder's training and the baselines' settings are recipe 02's;
# `tests/recipes/test_17_parametric_maps.py` checks them against its record. `runs.start` seeds
# every random generator, loads the profile's share of the data and says what ran.

# %% tags=["parameters"]
PROFILE = "full"
SEED = 42
SEEDS = 5  # Training seeds for the rebuilding error; the timings use the first.
EPOCHS = 5
BATCH_SIZE = 128
LEARNING_RATE = 3e-3  # The peak of a cosine decay to zero over the whole run.
UMAP_NEIGHBOURS = 15  # umap-learn's documented defaults, as in recipe 02.
UMAP_MIN_DIST = 0.1
TSNE_PERPLEXITY = 30  # openTSNE's documented default, as in recipe 02.
TSNE_TRAIN_SIZE = 20_000  # t-SNE is fitted on this many training digits, for time.
REPEATS = 3  # Each placement is timed this many times; the page keeps the fastest.
INVERSE_DIGITS = 200  # umap-learn's inverse_transform takes about a third of a second a digit.

# %%
run = runs.start(
    "parametric_maps",
    PROFILE,
    seed=SEED,
    dataset="mnist",
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    seeds=SEEDS,
    learning_rate=LEARNING_RATE,
    umap_neighbours=UMAP_NEIGHBOURS,
    umap_min_dist=UMAP_MIN_DIST,
    tsne_perplexity=TSNE_PERPLEXITY,
    tsne_train_size=TSNE_TRAIN_SIZE,
    repeats=REPEATS,
    inverse_digits=INVERSE_DIGITS,
)
x_all, x_test = run.x_train, run.x_test
seeds = [SEED + offset for offset in range(SEEDS if run.profile.name == "full" else 2)]
inverse_digits = INVERSE_DIGITS if run.profile.name == "full" else 8

# %% [markdown]
# ## Prepare the data
#
# The split is recipe 02's: every method learns its map from the same training digits, the last
# tenth held out for the autoencoder's validation, and t-SNE from a random subset of them.

# %%
# NBVAL_CHECK_OUTPUT
validation_start = len(x_all) * 9 // 10
x_train, x_validation = x_all[:validation_start], x_all[validation_start:]
flat_train, flat_test = x_train.reshape(len(x_train), -1), x_test.reshape(len(x_test), -1)
tsne_rows = np.sort(np.random.default_rng(SEED).permutation(len(x_train))[:TSNE_TRAIN_SIZE])
print(f"x_train: (n, {', '.join(map(str, x_train.shape[1:]))}) {x_train.dtype}")
print(f"pixel range: [{x_train.min():.1f}, {x_train.max():.1f}]")

# %% [markdown]
# ## Build the model
#
# The deep model is recipe 13's, repeated here so that this page runs on its own: ReLU layers of
# 512, 256 and 128 units narrow the image down to a linear 2-number code, and the decoder mirrors
# them up to a sigmoid image.


# %%
def build_deep_autoencoder(latent_dim, widths=(512, 256, 128)):
    """Return (autoencoder, encoder, decoder): ReLU layers of `widths` down to a linear
    latent_dim code, and their mirror image up to a sigmoid (28, 28, 1) image."""
    encoder = keras.Sequential(
        [keras.Input(shape=(28, 28, 1)), keras.layers.Flatten()]
        + [keras.layers.Dense(width, activation="relu") for width in widths]
        + [keras.layers.Dense(latent_dim, name="code")],
        name=f"deep_encoder_{latent_dim}",
    )
    decoder = keras.Sequential(
        [keras.Input(shape=(latent_dim,))]
        + [keras.layers.Dense(width, activation="relu") for width in reversed(widths)]
        + [keras.layers.Dense(28 * 28, activation="sigmoid"), keras.layers.Reshape((28, 28, 1))],
        name=f"deep_decoder_{latent_dim}",
    )
    images = keras.Input(shape=(28, 28, 1), name="images")
    autoencoder = keras.Model(images, decoder(encoder(images)), name=f"deep_{latent_dim}")
    return autoencoder, encoder, decoder


# %% [markdown]
# ## Train
#
# Each autoencoder learns to rebuild its input from its own code, minimising the binary
# cross-entropy per pixel, with Adam's learning rate falling along a cosine to zero. Each seed
# gives its own initial weights and batch order.

# %%
steps = run.epochs * -(-len(x_train) // run.batch_size)
trained = {}  # seed -> (encoder, decoder)
with run.phase("train"):
    for seed in seeds:
        keras.utils.set_random_seed(seed)
        autoencoder, encoder, decoder = build_deep_autoencoder(2)
        optimizer = keras.optimizers.Adam(
            keras.optimizers.schedules.CosineDecay(LEARNING_RATE, steps)
        )
        # 64 batches per call from Python cut the overhead of small models on a CPU.
        autoencoder.compile(optimizer, "binary_crossentropy", steps_per_execution=64)
        losses = autoencoder.fit(
            x_train,
            x_train,
            epochs=run.epochs,
            batch_size=run.batch_size,
            validation_data=(x_validation, x_validation),
            verbose=0,
        ).history["val_loss"]
        trained[seed] = (encoder, decoder)
        print(f"seed {seed}: validation loss {losses[-1]:.4f}")
encoder, decoder = trained[seeds[0]]  # The first seed's model draws and is timed below.

# %% [markdown]
# The baselines are fitted as in recipe 02: PCA with two components, UMAP on every training
# digit, t-SNE on its subset. Each fitted model is what a reader would keep to place new digits.

# %%
with run.phase("pca"):
    pca = PCA(2, svd_solver="full").fit(flat_train)
with run.phase("umap"):
    reducer = umap.UMAP(
        n_neighbors=UMAP_NEIGHBOURS,
        min_dist=UMAP_MIN_DIST,
        n_components=2,
        random_state=SEED,
        n_jobs=1,  # A seeded UMAP runs on one thread anyway.
    ).fit(flat_train)
with run.phase("tsne"):
    tsne = openTSNE.TSNE(2, perplexity=TSNE_PERPLEXITY, random_state=SEED, n_jobs=1)
    tsne_embedding = tsne.fit(flat_train[tsne_rows])

# %% [markdown]
# ## Evaluate
#
# ### Place new digits
#
# The encoder needs only its weights to place a new digit, and so does PCA's projection; the
# `transform` of UMAP and of openTSNE search the fitted training digits for the new digit's
# neighbours and then optimise its place. Each method places the test digits after a warm-up
# call that compiles what it needs; the fastest of `REPEATS` calls counts. The encoder runs on
# both cores, a seeded UMAP and this openTSNE on one: at most a factor of two of the gap.


# %%
def fastest(function, inputs, warm_up, repeats=1):
    """The shortest time of `repeats` calls function(inputs), after one call on `warm_up`
    (the warm-up compiles what the function needs); and the last call's result."""
    function(warm_up)
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        returned = function(inputs)
        seconds.append(time.perf_counter() - start)
    return min(seconds), np.asarray(returned)


NAMES = {"ae": "autoencoder", "pca": "PCA", "umap": "UMAP", "tsne": "t-SNE"}
place = {  # method -> its map from flat images to 2-number codes
    "ae": lambda flat: encoder(flat.reshape(-1, 28, 28, 1)),
    "pca": pca.transform,
    "umap": reducer.transform,
    "tsne": tsne_embedding.transform,
}
scores, test_codes = {}, {}  # The record's metrics, such as "umap_2_embed_seconds"; the codes.
with run.phase("place"):
    for method, transform in place.items():
        seconds, test_codes[method] = fastest(transform, flat_test, flat_train[:100], REPEATS)
        scores[f"{method}_2_embed_seconds"] = seconds

# %% [markdown]
# What each method keeps to place new digits: the encoder's weights and PCA's mean and
# components, counted in bytes as arrays. The fitted UMAP and t-SNE have no such short list (a
# neighbour-search index, the training digits, their map), so the cell counts the bytes that
# `pickle`, the libraries' documented way to save them, writes; the page never loads a pickle.

# %%
with run.phase("weigh"):
    kept = {
        "ae": sum(weight.nbytes for weight in encoder.get_weights()),
        "pca": pca.components_.nbytes + pca.mean_.nbytes,
        "umap": len(pickle.dumps(reducer)),
        "tsne": len(pickle.dumps(tsne_embedding)),
    }
scores |= {f"{method}_2_model_megabytes": size / 1e6 for method, size in kept.items()}
print(
    f"The training digits alone, as float32 pixels: {flat_train.nbytes / 1e6:.1f} MB "
    f"(UMAP's), {flat_train[tsne_rows].nbytes / 1e6:.1f} MB (t-SNE's subset)"
)

# %% [markdown]
# ### Draw any point of the plane
#
# The decoder turns any two numbers into an image. Here a grid of codes at evenly spaced
# percentiles of the test digits' codes on each axis is decoded by the autoencoder and, for
# comparison, by PCA, whose inverse adds the code times its two components to the mean digit.


# %%
def decode_grid(decode, codes, size=12):
    """A (28 * size, 28 * size) image: decode(grid) for a size x size grid of 2-number codes at
    evenly spaced percentiles (2nd to 98th) of the (n, 2) `codes` along each axis."""
    percentiles = np.linspace(2, 98, size)
    across, down = (np.percentile(codes[:, axis], percentiles) for axis in (0, 1))
    grid = np.stack(np.meshgrid(across, down[::-1]), axis=-1).reshape(-1, 2)
    digits = np.clip(np.reshape(decode(grid), (size, size, 28, 28)), 0.0, 1.0)
    return digits.transpose(0, 2, 1, 3).reshape(28 * size, 28 * size)


# %% mystnb={"figure": {"caption": "Digits decoded from a 12 by 12 grid of two-number codes by the autoencoder's decoder (left) and by PCA's inverse (right); the rows and columns sit at evenly spaced percentiles (2nd to 98th) of each method's test codes.", "name": "decoded-grid"}, "image": {"alt": "Two 12 by 12 grids of decoded digits: sharp, varied digits on the left, blurred blends on the right."}}
rebuild = {"ae": decoder, "pca": pca.inverse_transform, "umap": reducer.inverse_transform}
figure, axes = plt.subplots(1, 2, figsize=(11, 5.5))
for axis, method in zip(axes, ("ae", "pca"), strict=True):
    axis.imshow(decode_grid(rebuild[method], test_codes[method]), cmap="gray")
    axis.set_title(NAMES[method])
    axis.set_axis_off()
plt.show()

# %% [markdown]
# ### Rebuild digits from their codes
#
# umap-learn's `inverse_transform` optimises an image for each code from the training digits
# whose codes lie near it; openTSNE has none. The decoder and PCA's inverse are one pass of
# arithmetic. Each method rebuilds the first `INVERSE_DIGITS` test digits from its own codes of
# them, timed once after a warm-up on two codes. The error is the mean squared error per pixel;
# the autoencoder's is its mean ± the standard deviation over the seeds, and its difference from
# UMAP's is paired seed by seed, with a 95% interval; an interval that covers zero is a tie.

# %%
first = flat_test[:inverse_digits]
with run.phase("rebuild"):
    for method, inverse in rebuild.items():
        codes = test_codes[method][:inverse_digits]
        seconds, images = fastest(inverse, codes, codes[:2])
        scores[f"{method}_2_rebuild_seconds"] = seconds
        images = np.clip(images.reshape(inverse_digits, -1), 0.0, 1.0)
        scores[f"{method}_2_rebuild_mse"] = metrics.mse(first, images)
    seed_errors = []  # The autoencoder's, seed by seed, each from its own codes.
    for encode, decode in trained.values():
        images = keras.ops.convert_to_numpy(decode(encode(x_test[:inverse_digits])))
        seed_errors.append(metrics.mse(first, images.reshape(inverse_digits, -1)))
scores |= stats.record_metrics("ae_2_rebuild_mse", stats.summarize(seed_errors))

# %%
COLUMNS = {
    "embed_seconds": f"place {len(flat_test):,} test digits (s)",
    "model_megabytes": "kept to place them (MB)",
    "rebuild_seconds": f"rebuild {inverse_digits} digits (s)",
    "rebuild_mse": "their MSE",
}
rows = []
for method in place:
    row = {"method": NAMES[method]}
    row |= {name: scores.get(f"{method}_2_{key}", math.nan) for key, name in COLUMNS.items()}
    if method == "ae":
        row[COLUMNS["rebuild_mse"]] = stats.describe(stats.summarize(seed_errors), 4)
    rows.append(row)
formats = dict(zip(COLUMNS.values(), (".3g", ",.3f", ".3g", ".4f"), strict=True))
display(Markdown(tables.markdown_table(rows, formats=formats)))

# %%
difference = stats.paired_difference(seed_errors, scores["umap_2_rebuild_mse"])
scores |= stats.record_metrics("ae_2_minus_umap_2_rebuild_mse", difference)
verdict = stats.verdict(difference, higher_is_better=False)
error = {"wins": "lower than", "ties": "level with", "loses": "higher than"}[verdict]
seconds, megabytes = (
    {method: scores[f"{method}_2_{key}"] for method in place}
    for key in ("embed_seconds", "model_megabytes")
)
display(
    Markdown(
        f"The encoder places the {len(flat_test):,} test digits "
        f"{seconds['umap'] / seconds['ae']:.0f} times as fast as UMAP's transform and "
        f"{seconds['tsne'] / seconds['ae']:.0f} times as fast as t-SNE's, from "
        f"{megabytes['ae']:.1f} MB of weights where the fitted UMAP keeps "
        f"{megabytes['umap']:,.1f} MB and t-SNE {megabytes['tsne']:,.1f} MB. PCA, the linear "
        f"parametric map, places them in {seconds['pca']:.2g} s from {megabytes['pca']:.3f} MB, "
        "but recipe 02 finds that its plane mixes the digit classes. UMAP's inverse takes "
        f"{scores['umap_2_rebuild_seconds'] / scores['ae_2_rebuild_seconds']:,.0f} times as long "
        f"as the decoder, and the decoder's error on the same {inverse_digits} digits is {error} "
        f"UMAP's: {stats.describe_interval(difference, 4)}."
    )
)

# %% [markdown]
# ## Record the results
#
# `results/parametric_maps.json` holds every number above (such as `umap_2_embed_seconds`) and
# the headline: the seconds the encoder takes to place the test digits, against UMAP's
# transform, the neighbour embedding that keeps the classes apart best in recipe 02.

# %%
headline = results.Headline(
    title="Parametric maps",
    metric="ae_2_embed_seconds",
    label=f"deep encoder, seconds to place {len(flat_test):,} new digits in a 2-d map "
    "(lower is better)",
    baseline_metric="umap_2_embed_seconds",
    baseline_label="UMAP's transform, the same digits on the same machine",
)
run.finish(scores, headline)
print(f"{headline.label}: {scores[headline.metric]:.3f} s")
print(f"{headline.baseline_label}: {scores[headline.baseline_metric]:.3f} s")

# %% [markdown]
# ## What to try next
#
# - Train umap-learn's `ParametricUMAP` (Sainburg, McInnes and Gentner, 2021), which fits a
#   Keras encoder to UMAP's objective: this page's placement speed with UMAP's plane.
# - Decode the grid above with UMAP's `inverse_transform`, and compare its drawings of the
#   plane's empty regions with the decoder's.
