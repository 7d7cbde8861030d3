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
# # Dimensionality reduction with an autoencoder
#
# **Description:** Squeeze MNIST digits into 2 or 4 numbers with a deep autoencoder, PCA, t-SNE
# and UMAP, and ask which codes still tell the digits apart.<br>
# **Accelerator:** none needed (the full profile took 9.0 minutes on a 2-core CPU).<br>
# <a href="https://colab.research.google.com/github/aebook/aebook/blob/main/recipes/02_dimensionality_reduction.ipynb"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>

# %% [markdown]
# ## Introduction
#
# An autoencoder's encoder is a learned dimensionality reduction: it maps a 784-pixel image to a
# short *code* from which the decoder rebuilds the image. Principal component analysis (PCA) is the
# classical answer to the same question, and the best one among *linear* maps. The seed article
# trains a deep autoencoder (784-128-64-32 and back) and reports 79% test accuracy for a small
# classifier on its 32-number codes; Hinton and Salakhutdinov (*Science*, 2006) {cite:p}`hinton2006`
# showed that a deep autoencoder's 2-number codes keep apart digit classes that PCA's mix.
#
# To draw data in two dimensions, though, the usual tools are neighbour embeddings: t-SNE (van der
# Maaten and Hinton, 2008 {cite:p}`vandermaaten2008`) or UMAP (McInnes, Healy and Melville, 2018
# {cite:p}`mcinnes2018`), which place each image near its nearest neighbours in pixel space. This
# recipe computes 2- and 4-number codes with the autoencoder, PCA and UMAP, and 2-number codes with
# t-SNE, from the same training digits, and reads the test digits' codes out in two ways: the 5
# nearest neighbours among the training codes, and a linear classifier. What the autoencoder gives
# besides its codes, a decoder that draws any point of the map and an encoder that places new digits
# from its weights alone, is the subject of [recipe 17](17_parametric_maps.ipynb).

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

import itertools
import warnings

import keras
import numpy as np
from IPython.display import Markdown, display
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from aelib import plots, results, runs, stats, tables

# Without Jupyter's widgets, tqdm (which umap-learn imports) warns that it cannot draw a bar.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="IProgress not found")
    import openTSNE
    import umap

# %% [markdown]
# The parameters cell sets the run profile (`full`: real MNIST; `smoke`: seconds on a CPU with
# the embedded sample), the code sizes, the autoencoder's training budget and the baselines'
# settings. `runs.start` seeds every random generator, loads the profile's share of the data and
# says what ran.

# %% tags=["parameters"]
PROFILE = "full"
SEED = 42
SEEDS = 5  # Training seeds of each autoencoder (the data fixed); the smoke profile trains 2.
CODE_SIZES = (2, 4)
EPOCHS = 5
BATCH_SIZE = 128
LEARNING_RATE = 3e-3  # The peak of a cosine decay to zero over the whole run.
NEIGHBOURS = 5  # The k of the nearest-neighbour readout.
UMAP_NEIGHBOURS = 15  # umap-learn's documented defaults, not tuned here.
UMAP_MIN_DIST = 0.1
TSNE_PERPLEXITY = 30  # openTSNE's documented default, not tuned here.
TSNE_TRAIN_SIZE = 20_000  # t-SNE is fitted on this many training digits, for time.
HEADLINE_CODE_SIZE = 2

# %%
run = runs.start(
    "dimensionality_reduction",
    PROFILE,
    seed=SEED,
    dataset="mnist",
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    seeds=SEEDS,
    learning_rate=LEARNING_RATE,
    neighbours=NEIGHBOURS,
    umap_neighbours=UMAP_NEIGHBOURS,
    umap_min_dist=UMAP_MIN_DIST,
    tsne_perplexity=TSNE_PERPLEXITY,
    tsne_train_size=TSNE_TRAIN_SIZE,
    headline_code_size=HEADLINE_CODE_SIZE,
)
x_all, y_all = run.x_train, run.y_train
x_test, y_test = run.x_test, run.y_test
seeds = [SEED + offset for offset in range(SEEDS if run.profile.name == "full" else 2)]

# %% [markdown]
# ## Prepare the data
#
# Every method learns its codes from the same training digits without labels (the last tenth is
# held out for the autoencoder's validation); the labels serve only the readouts, and the test
# digits are scored once. t-SNE is fitted on a random subset of the training digits, for time.

# %%
# NBVAL_CHECK_OUTPUT
validation_start = len(x_all) * 9 // 10
x_train, x_validation = x_all[:validation_start], x_all[validation_start:]
y_train = y_all[:validation_start]
flat_train, flat_test = x_train.reshape(len(x_train), -1), x_test.reshape(len(x_test), -1)
tsne_rows = np.sort(np.random.default_rng(SEED).permutation(len(x_train))[:TSNE_TRAIN_SIZE])
print(f"x_train: (n, {', '.join(map(str, x_train.shape[1:]))}) {x_train.dtype}")
print(f"labels: {sorted(set(y_train.tolist()))}")

# %% [markdown]
# ## Build the model
#
# The deep model is recipe 13's, repeated here so that this page runs on its own:
# Hinton and Salakhutdinov's shape with today's parts. ReLU layers of 512, 256 and 128 units
# narrow the image down to a linear code (a ReLU there could switch a unit off for every image),
# and the decoder mirrors them up to a sigmoid image.


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
# cross-entropy per pixel between the image and its reconstruction, as in recipe 13. Each code
# size trains from every seed (its own initial weights and batch order), with Adam's learning
# rate falling along a cosine to zero so that the short run ends with small steps.

# %%
steps = run.epochs * -(-len(x_train) // run.batch_size)
encoders = {}  # (code size, seed) -> the trained encoder
for size in CODE_SIZES:
    with run.phase(f"train_{size}"):
        for seed in seeds:
            keras.utils.set_random_seed(seed)
            autoencoder, encoder, _ = build_deep_autoencoder(size)
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
            encoders[size, seed] = encoder
            print(f"code size {size}, seed {seed}: validation loss {losses[-1]:.4f}")

# %% [markdown]
# The baselines need no training loop. PCA's first *d* components are PCA with *d* components,
# so one decomposition serves both sizes. UMAP and openTSNE place the test digits into the map
# fitted on the training digits with `transform`; their settings are the libraries' documented
# defaults, not tuned. The first UMAP fit also compiles umap-learn's numba code (timed too).

# %%
with run.phase("pca"):
    pca = PCA(max(CODE_SIZES), svd_solver="full").fit(flat_train)
umap_codes = {}  # code size -> (train codes, test codes)
for size in CODE_SIZES:
    with run.phase(f"umap_{size}"):
        reducer = umap.UMAP(
            n_neighbors=UMAP_NEIGHBOURS,
            min_dist=UMAP_MIN_DIST,
            n_components=size,
            random_state=SEED,
            n_jobs=1,  # A seeded UMAP runs on one thread anyway.
        )
        umap_codes[size] = (reducer.fit_transform(flat_train), reducer.transform(flat_test))
with run.phase("tsne"):
    tsne = openTSNE.TSNE(2, perplexity=TSNE_PERPLEXITY, random_state=SEED, n_jobs=1)
    tsne_embedding = tsne.fit(flat_train[tsne_rows])
    tsne_codes = (np.asarray(tsne_embedding), np.asarray(tsne_embedding.transform(flat_test)))


# %% [markdown]
# ## Evaluate
#
# ### Read the codes out
#
# Two readouts, fitted on the training codes and scored on the test codes: a 5-nearest-neighbour
# vote (do images of one digit lie close together?) and logistic regression on standardized
# codes (do straight cuts separate them?). t-SNE's readouts are fitted on its subset. The
# autoencoder's numbers are the mean ± the standard deviation over its seeds; each baseline is
# fitted once. Each difference is the autoencoder's accuracy minus a baseline's, paired seed by
# seed, with its 95% interval over the seeds; an interval that covers zero is a tie.


# %%
def readout_accuracies(train_codes, test_codes, labels):
    """Test accuracy of the k-nearest-neighbour and of the linear readout on (n, d) codes."""
    knn = KNeighborsClassifier(NEIGHBOURS).fit(train_codes, labels)
    linear = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    linear.fit(train_codes, labels)
    return knn.score(test_codes, y_test), linear.score(test_codes, y_test)


scores = {}  # The record's metrics, such as "umap_2_knn_accuracy".
per_seed = {}  # The autoencoder's values over seeds: (size, "knn" | "linear" | ...) -> list
test_codes = {("tsne", 2): tsne_codes[1]}  # (method, size) -> test codes, for the pictures
with run.phase("evaluate"):
    readouts = readout_accuracies(*tsne_codes, y_train[tsne_rows])
    scores |= dict(zip(("tsne_2_knn_accuracy", "tsne_2_linear_accuracy"), readouts, strict=True))
    for size in CODE_SIZES:
        pca_codes = [pca.transform(flat)[:, :size] for flat in (flat_train, flat_test)]
        for method, (train_codes, codes) in (("pca", pca_codes), ("umap", umap_codes[size])):
            knn, linear = readout_accuracies(train_codes, codes, y_train)
            scores[f"{method}_{size}_knn_accuracy"] = knn
            scores[f"{method}_{size}_linear_accuracy"] = linear
            test_codes[method, size] = codes
    for (size, _), encoder in encoders.items():
        train_codes, codes = (encoder.predict(x, verbose=0) for x in (x_train, x_test))
        test_codes.setdefault(("ae", size), codes)  # The first seed's.
        knn, linear = readout_accuracies(train_codes, codes, y_train)
        # The same 5-NN among t-SNE's subset of training codes: what the subset costs.
        nearest = KNeighborsClassifier(NEIGHBOURS).fit(train_codes[tsne_rows], y_train[tsne_rows])
        values = {"knn": knn, "linear": linear, "subset_knn": nearest.score(codes, y_test)}
        for key, value in values.items():
            per_seed.setdefault((size, key), []).append(value)
    pixels = KNeighborsClassifier(NEIGHBOURS).fit(flat_train, y_train)
    scores["pixels_knn_accuracy"] = pixels.score(flat_test, y_test)
for (size, key), values in per_seed.items():
    scores |= stats.record_metrics(f"ae_{size}_{key}_accuracy", stats.summarize(values))

# %%
NAMES = {"ae": "autoencoder", "pca": "PCA", "tsne": "t-SNE", "umap": "UMAP"}


def spread(accuracies):
    """'75.4 ± 0.5%': the mean ± the standard deviation of per-seed accuracies, in percent."""
    summary = stats.summarize(100 * np.asarray(accuracies))
    return f"{summary.mean:.1f} ± {summary.std:.1f}%"


rows = []
for method, size in sorted(test_codes, key=lambda key: (key[1], list(NAMES).index(key[0]))):
    if method == "ae":
        cells = [spread(per_seed[size, key]) for key in ("knn", "linear")]
    else:
        cells = [f"{scores[f'{method}_{size}_{key}_accuracy']:.1%}" for key in ("knn", "linear")]
    name = NAMES[method] + (f" ({len(seeds)} seeds)" if method == "ae" else "")
    columns = ("code size", "method", "5-NN", "linear")
    rows.append(dict(zip(columns, (size, name, *cells), strict=True)))
display(Markdown(tables.markdown_table(rows)))
print(f"5-NN on all 784 pixels: {scores['pixels_knn_accuracy']:.1%}")
print(
    f"5-NN on the 2-number autoencoder codes, with only t-SNE's {len(tsne_rows):,} training "
    f"digits as neighbours: {spread(per_seed[2, 'subset_knn'])}"
)

# %%
rows, verdicts = [], {}
for size, readout, method in itertools.product(CODE_SIZES, ("knn", "linear"), NAMES):
    if method == "ae" or (method, size) not in test_codes:
        continue
    theirs = scores[f"{method}_{size}_{readout}_accuracy"]
    difference = stats.paired_difference(per_seed[size, readout], theirs)
    scores |= stats.record_metrics(
        f"ae_{size}_minus_{method}_{size}_{readout}_accuracy", difference
    )
    verdicts[size, readout, method] = stats.verdict(difference)
    in_points = stats.paired_difference(100 * np.asarray(per_seed[size, readout]), 100 * theirs)
    rows.append(
        {
            "code size": size,
            "readout": {"knn": "5-NN", "linear": "linear"}[readout],
            "baseline": NAMES[method],
            "autoencoder minus baseline": stats.describe_interval(in_points, 1, " points"),
            "the autoencoder": verdicts[size, readout, method],
        }
    )
display(Markdown(tables.markdown_table(rows)))

# %%
OUTCOMES = {
    "loses": "{} wins",
    "ties": "the autoencoder ties {}",
    "wins": "the autoencoder beats {}",
}
best, lines = {}, []  # best: code size -> the strongest baseline in the 5-NN readout
for size in CODE_SIZES:
    rivals = [method for method in ("pca", "tsne", "umap") if (method, size) in test_codes]
    best[size] = max(rivals, key=lambda method: scores[f"{method}_{size}_knn_accuracy"])
    outcome = OUTCOMES[verdicts[size, "knn", best[size]]].format(NAMES[best[size]])
    lines.append(
        f"- **{size} numbers**: {outcome}, {scores[f'{best[size]}_{size}_knn_accuracy']:.1%} "
        f"against {spread(per_seed[size, 'knn'])}."
    )
display(Markdown("The strongest baseline in 5-NN at each code size:\n\n" + "\n".join(lines)))

# %% [markdown]
# The neighbour embeddings optimise for what this readout asks: each digit's place in the map is
# chosen to keep its nearest neighbours in pixel space near it. The autoencoder's code must also
# let the decoder redraw the digit, and PCA keeps the two directions of greatest variance, along
# which many digits overlap, as the next figure shows. What the autoencoder gives in return, a
# decoder and an encoder for new digits, [recipe 17](17_parametric_maps.ipynb) measures.

# %% [markdown]
# ### The codes in two dimensions
#
# A two-number code can be drawn as it is, coloured by the label that no method saw.

# %% mystnb={"figure": {"caption": "Two-number codes of test digits from the autoencoder (its first seed), PCA, t-SNE and UMAP, coloured by digit.", "name": "codes-2d"}, "image": {"alt": "Four scatter plots of two-number codes coloured by digit."}}
shown = min(2000, len(x_test))
titles = {
    method: f"{NAMES[method]} (5-NN {scores[f'{method}_2_knn_accuracy']:.1%})" for method in NAMES
}
plots.plot_latent_space(
    {titles[method]: test_codes[method, 2][:shown] for method in NAMES}, y_test[:shown]
)

# %% [markdown]
# ## Record the results
#
# `results/dimensionality_reduction.json` holds every number above (such as `ae_2_knn_accuracy`
# with its spread) and the headline: the autoencoder's 5-NN at `HEADLINE_CODE_SIZE` numbers
# against the strongest baseline's.

# %%
size, baseline = HEADLINE_CODE_SIZE, best[HEADLINE_CODE_SIZE]
difference = f"ae_{size}_minus_{baseline}_{size}_knn_accuracy"
headline = results.Headline(
    title="Dimensionality reduction",
    metric=f"ae_{size}_knn_accuracy",
    label=f"deep autoencoder, {size}-number codes, 5-NN accuracy",
    baseline_metric=f"{baseline}_{size}_knn_accuracy",
    baseline_label=f"{NAMES[baseline]}, {size} dimensions, 5-NN",
    seed_figure="79% (a classifier on 32-number codes)",
    percent=True,
    seeds=len(seeds),
    spread_metric=f"ae_{size}_knn_accuracy_std",
    difference_low_metric=f"{difference}_low",
    difference_high_metric=f"{difference}_high",
)
run.finish(scores, headline)
print(f"{headline.label}: {scores[headline.metric]:.1%} ({len(seeds)} seeds)")
print(f"{headline.baseline_label}: {scores[headline.baseline_metric]:.1%}")

# %% [markdown]
# ## What to try next
#
# - Tune UMAP's `n_neighbors` and `min_dist` and t-SNE's perplexity on held-out training digits,
#   and fit t-SNE on all of them.
# - Add 8, 16 and 32 to `CODE_SIZES`, or train the seed's small classifier (two dense layers
#   with dropout) on 32-number codes and compare it with the seed's 79%.
