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
# # k-sparse autoencoders against dictionary learning
#
# **Description:** Keep only the k largest units of an overcomplete code, and measure the
# result against dictionary learning with as many atoms and as many active coefficients.<br>
# **Accelerator:** none needed (the full profile took 9.0 minutes on a 2-core CPU).<br>
# <a href="https://colab.research.google.com/github/aebook/aebook/blob/main/recipes/12_k_sparse.ipynb"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>

# %% [markdown]
# ## Introduction
#
# [The sparse autoencoders recipe](05_sparse.ipynb) charged every active unit a penalty; how many
# units an image uses is then whatever the loss settles on. The k-sparse autoencoder (Makhzani &
# Frey, 2014 {cite:p}`makhzani2014`) fixes the count: a linear encoder scores 256 units, only the k
# largest pass to the decoder, and the decoder draws the digit from those k. Each decoder row is an
# *atom*, and every image is a sum of k atoms.
#
# That is the model of sparse coding, whose classical method is dictionary learning (Mairal et al.,
# 2009 {cite:p}`mairal2009`): learn the atoms, then code each new image with orthogonal matching
# pursuit (OMP, Pati et al., 1993 {cite:p}`pati1993`), which picks k atoms one by one and refits
# their weights by least squares. With the same 256 atoms and the same k = 25, which draws the test
# digits better, and at what cost in encoding time?

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
import tempfile
import time
import warnings

# Keep TensorFlow's start-up notices out of the page; this must precede importing Keras.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
from IPython.display import Markdown, display
from keras import ops
from sklearn.decomposition import MiniBatchDictionaryLearning
from sklearn.exceptions import ConvergenceWarning

from aelib import metrics, plots, results, runs, stats, tables

# Keras 3.10 (Colab's) warns when a reloaded model is called on a bare array; the call is right.
warnings.filterwarnings("ignore", message="The structure of `inputs` doesn't match")

# %% [markdown]
# The profile (`full`: real MNIST; `smoke`: seconds) and the settings. `runs.start` seeds every
# random generator, loads the profile's share of the data and says what ran.

# %% tags=["parameters"]
PROFILE = "full"
SEED = 42
SEEDS = 5  # Autoencoders trained, the data fixed; the smoke profile trains 2.
EPOCHS = 30  # The best of the trials on the held-out images.
BATCH_SIZE = 64
# Adam's first step, falling to zero along a cosine. Batch size and rate were chosen on the
# held-out images (benchmarks/results/k_sparse_search.md lists the trials).
LEARNING_RATE = 1e-2
CODE_UNITS = 256  # The code's units, and the dictionary's atoms.
ACTIVE_UNITS = 25  # k: the nonzero units (and atoms) of each image.
DICTIONARY_IMAGES = 10_000  # The training images it learns from (a subsample: see below).
# Dictionary learning's L1 weight, images per update and passes over all its images after the
# first, chosen on the held-out training images by benchmarks/dictionary_search.py (the
# appendix lists its trials).
DICTIONARY_ALPHA = 0.3
DICTIONARY_BATCH_SIZE = 32
DICTIONARY_PASSES = 3

# %%
run = runs.start(
    "k_sparse",
    PROFILE,
    seed=SEED,
    dataset="mnist",
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    learning_rate=LEARNING_RATE,
    seeds=SEEDS,
    code_units=CODE_UNITS,
    active_units=ACTIVE_UNITS,
    dictionary_alpha=DICTIONARY_ALPHA,
    dictionary_images=DICTIONARY_IMAGES,
    dictionary_passes=DICTIONARY_PASSES,
    dictionary_batch_size=DICTIONARY_BATCH_SIZE,
)
x_train, x_test = run.x_train, run.x_test
full = run.profile.name == "full"

# %% [markdown]
# ## Prepare the data
#
# MNIST as in the first recipe: (n, 28, 28, 1) images in [0, 1]; no labels are needed. Keras's
# `validation_split=0.1` holds out the last tenth of the training images, and dictionary
# learning's settings were chosen on the same held-out images.

# %%
split = int(len(x_train) * 0.9)
print(f"{split:,} training images, {len(x_train) - split:,} held out, {len(x_test):,} test images")

# %% [markdown]
# ## Build the model
#
# With images and codes as rows, the encoder scores every unit, $z = (x - \bar{x}) W + b$, and
# the code keeps the k largest:
#
# $$
# h = z \odot m, \qquad m_j = 1 \text{ if } z_j \text{ is among the } k \text{ largest of } z,
# \text{ else } 0,
# $$
#
# so exactly k units reach the decoder, $\hat{x} = \sigma(h D + c)$, and the rows of $D$ are the
# atoms. The loss is the mean squared error, the error PSNR measures. The gradient flows only
# through the k winners, so a unit that never wins never learns. Two choices of Gao et al. (2024)
# {cite:p}`gao2024` keep units in play: the encoder sees the image minus the mean training image (no
# unit wins every image by matching the average digit) and starts as the decoder's transpose.


# %%
@keras.saving.register_keras_serializable(package="aebook")
class TopK(keras.layers.Layer):
    """Keep the k largest values of each (batch, units) code and set the others to zero."""

    def __init__(self, k=25, **kwargs):
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be a positive integer, not {k!r}.")
        super().__init__(**kwargs)
        self.k = k

    def build(self, input_shape):
        if input_shape[-1] is not None and self.k > input_shape[-1]:
            raise ValueError(f"k={self.k} exceeds the code's {input_shape[-1]} units.")

    def call(self, codes):
        _, winners = ops.top_k(codes, self.k)
        # A mask built from the winners' indices keeps exactly k units, ties included.
        mask = ops.sum(ops.one_hot(winners, ops.shape(codes)[-1], dtype=codes.dtype), axis=1)
        return codes * mask

    def get_config(self):
        return {**super().get_config(), "k": self.k}


def build_k_sparse(seed, mean_image, output_bias):
    """Return (autoencoder, encoder): (28, 28, 1) images in [0, 1] to k-of-CODE_UNITS codes."""
    keras.utils.set_random_seed(seed)
    images = keras.Input(shape=(28, 28, 1), name="images")
    flat = keras.layers.Flatten()(images)
    centered = keras.layers.Normalization(mean=mean_image, variance=np.ones_like(mean_image))(flat)
    encode = keras.layers.Dense(CODE_UNITS, name="code")
    codes = TopK(ACTIVE_UNITS, name="top_k")(encode(centered))
    decode = keras.layers.Dense(28 * 28, activation="sigmoid", name="pixels")
    reconstruction = keras.layers.Reshape((28, 28, 1))(decode(codes))
    # The decoder starts at the mean image (its bias is each pixel's log-odds).
    decode.bias.assign(output_bias)
    encode.kernel.assign(ops.transpose(decode.kernel))
    return keras.Model(images, reconstruction, name="k_sparse"), keras.Model(images, codes)


mean_image = x_train[:split].mean(axis=0).reshape(-1)
# Clipping keeps the log-odds of always-black pixels finite.
mean_pixels = np.clip(mean_image, 1e-3, 1 - 1e-3)
output_bias = np.log(mean_pixels / (1 - mean_pixels))

# %% [markdown]
# ## Train
#
# One autoencoder per seed: the data stay fixed, the seed sets the initial weights and the
# order of the batches. Adam's step falls along a cosine.

# %%
seeds = [SEED + index for index in range(SEEDS if full else 2)]
steps = run.epochs * int(np.ceil(split / run.batch_size))
fit_options = {"epochs": run.epochs, "batch_size": run.batch_size, "verbose": 0}
trained, histories = {}, {}
for seed in seeds:
    autoencoder, encoder = build_k_sparse(seed, mean_image, output_bias)
    optimizer = keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(LEARNING_RATE, steps))
    # 32 batches per call from Python: this small model otherwise spends much of its time on
    # per-batch overhead on a CPU. The computation is the same.
    autoencoder.compile(optimizer=optimizer, loss="mse", steps_per_execution=32)
    with run.phase("train"):
        history = autoencoder.fit(x_train, x_train, validation_split=0.1, **fit_options)
    trained[seed], histories[f"seed {seed}"] = (autoencoder, encoder), history
plots.plot_history(histories, title="Mean squared error per pixel")
print(f"{len(seeds)} seeds, {run.seconds['train'] / len(seeds):.0f} s a seed")

# %% [markdown]
# *Figure: training and validation loss per epoch, one line pair per seed.*
#
# ## The baseline: dictionary learning
#
# scikit-learn's `MiniBatchDictionaryLearning` learns 256 atoms from mini-batches, coding each
# batch with an L1 weight `alpha`; its `transform` then codes any image with OMP and exactly k
# atoms. Learning is slow, so it sees a subsample of the training images: one pass over half of
# them, then three over all of them. Its held-out PSNR still rose at the third pass (the appendix
# shows by how much), so more passes would help it a little.

# %%
# Coordinate descent hits its iteration cap on some batches; the PSNR judges the result.
warnings.filterwarnings("ignore", category=ConvergenceWarning)
dictionary_images = x_train[: DICTIONARY_IMAGES if full else 200].reshape(-1, 28 * 28)
dictionary = MiniBatchDictionaryLearning(
    n_components=CODE_UNITS,
    alpha=DICTIONARY_ALPHA,
    batch_size=DICTIONARY_BATCH_SIZE,
    max_iter=1,  # fit() makes one pass; partial_fit() below makes the others.
    max_no_improvement=None,  # Every pass runs to its end.
    transform_algorithm="omp",
    transform_n_nonzero_coefs=ACTIVE_UNITS,
    random_state=SEED,
)
shuffle = np.random.default_rng(SEED)
with run.phase("dictionary_training"):
    dictionary.fit(dictionary_images[: len(dictionary_images) // 2])
    for _ in range(DICTIONARY_PASSES):
        order = shuffle.permutation(len(dictionary_images))
        for batch in np.array_split(order, len(order) // DICTIONARY_BATCH_SIZE):
            dictionary.partial_fit(dictionary_images[batch])
print(f"{DICTIONARY_PASSES + 1} passes, {run.seconds['dictionary_training']:.0f} s")

# %% [markdown]
# ## Evaluate
#
# Both code every test image with exactly k of 256 units or atoms, and both encodings are timed:
# the encoder's `predict` (the median of three calls, its graph already built) against OMP's
# `transform` (one call, long enough to time once).

# %%
psnrs, nonzeros = [], []
with run.phase("evaluate"):
    for autoencoder, encoder in trained.values():
        reconstruction = autoencoder.predict(x_test, batch_size=1000, verbose=0)
        psnrs.append(metrics.psnr(x_test, reconstruction))
        codes = encoder.predict(x_test, batch_size=1000, verbose=0)
        nonzeros.append(np.count_nonzero(codes, axis=1))
encoder, timings = trained[SEED][1], []
with run.phase("encode"):
    for _ in range(3):
        start = time.perf_counter()
        codes = encoder.predict(x_test, batch_size=1000, verbose=0)
        timings.append(time.perf_counter() - start)
    start = time.perf_counter()
    dictionary_codes = dictionary.transform(x_test.reshape(len(x_test), -1))  # (n, atoms)
    dictionary_seconds = time.perf_counter() - start
# Each image is drawn as the sum of its atoms, clipped to [0, 1] as the autoencoder's pixels are.
sums_of_atoms = dictionary_codes @ dictionary.components_
dictionary_reconstruction = np.clip(sums_of_atoms, 0.0, 1.0).reshape(x_test.shape)
autoencoder_seconds = float(np.median(timings))
dictionary_psnr = metrics.psnr(x_test, dictionary_reconstruction)
dictionary_nonzeros = np.count_nonzero(dictionary_codes, axis=1)
mean_image_psnr = metrics.psnr(x_test, np.broadcast_to(mean_image.reshape(28, 28, 1), x_test.shape))
summary = stats.summarize(psnrs)
difference = stats.paired_difference(psnrs, dictionary_psnr)
rows = [
    ("k-sparse autoencoder", stats.describe(summary), np.ravel(nonzeros), autoencoder_seconds),
    ("dictionary + OMP", f"{dictionary_psnr:.2f}", dictionary_nonzeros, dictionary_seconds),
    ("the mean image (no code)", f"{mean_image_psnr:.2f}", np.zeros(1, int), float("nan")),
]
columns = ("method", "test PSNR (dB)", "nonzeros per image", "encoding (s)")
table = [
    dict(zip(columns, (method, psnr, f"{counts.min()} to {counts.max()}", seconds), strict=True))
    for method, psnr, counts, seconds in rows
]
display(Markdown(tables.markdown_table(table, formats={"encoding (s)": ".2f"})))
# The verdict, from the seeds' paired differences: a tie when the interval covers zero.
verdict = {"wins": "ahead", "ties": "a tie", "loses": "behind"}[stats.verdict(difference)]
speedup = dictionary_seconds / autoencoder_seconds
display(
    Markdown(
        f"Against dictionary learning's {dictionary_psnr:.2f} dB, the k-sparse autoencoder's "
        f"test PSNR differs by {stats.describe_interval(difference, unit=' dB')}: "
        f"**{verdict}**. It encodes the {len(x_test):,} test images "
        f"{speedup:.0f} times as fast ({autoencoder_seconds:.2f} s against "
        f"{dictionary_seconds:.2f} s): OMP searches each image's atoms one at a time and refits "
        f"their weights after each, where the encoder picks all k in one matrix product."
    )
)

# %% [markdown]
# ### What the atoms look like
#
# Each atom is an image-sized pattern; a digit is the sum of k of them.


# %%
def most_used(atoms, codes, count=16):
    """The count atoms (rows of (units, 784)) nonzero in most codes, each scaled to [0, 1]."""
    atoms = atoms[np.argsort(-np.count_nonzero(codes, axis=0))[:count]].reshape(-1, 28, 28)
    low, high = atoms.min(axis=(1, 2), keepdims=True), atoms.max(axis=(1, 2), keepdims=True)
    return (atoms - low) / np.maximum(high - low, 1e-12)


kernel = trained[SEED][0].get_layer("pixels").kernel.numpy()
atoms = {
    "k-sparse": most_used(kernel, codes),
    "dictionary": most_used(dictionary.components_, dictionary_codes),
}
plots.show_image_rows(atoms, count=16)

# %% [markdown]
# *Figure: the 16 atoms used most often on the test images by the k-sparse autoencoder (its
# decoder rows, first seed) and by dictionary learning, each scaled to [0, 1].*

# %%
reconstruction = ops.convert_to_numpy(trained[SEED][0](x_test[:10]))  # No retracing.
drawn = {"original": x_test, "k-sparse": reconstruction, "dictionary": dictionary_reconstruction}
plots.show_image_rows(drawn, count=10)

# %% [markdown]
# *Figure: ten test digits (top), each drawn from 25 atoms by the k-sparse autoencoder (first
# seed) and by dictionary learning with OMP.*
#
# The registered `TopK` layer saves as `.keras` and loads with `safe_mode=True`, no `Lambda`:

# %%
# NBVAL_CHECK_OUTPUT
autoencoder = trained[SEED][0]
with tempfile.TemporaryDirectory() as directory:
    autoencoder.save(os.path.join(directory, "k_sparse.keras"))
    reloaded = keras.saving.load_model(os.path.join(directory, "k_sparse.keras"), safe_mode=True)
outputs = [ops.convert_to_numpy(model(x_test[:100])) for model in (autoencoder, reloaded)]
reload_difference = float(np.abs(outputs[1] - outputs[0]).max())
top_k = reloaded.get_layer("top_k")
print(f"reloaded {type(top_k).__name__}(k={top_k.k}), same outputs: {reload_difference < 1e-6}")

# %% [markdown]
# ## Record the results
#
# `results/k_sparse.json` holds every number above and the headline: the autoencoder's mean test
# PSNR over its seeds against dictionary learning's.

# %%
headline = results.Headline(
    title="k-sparse",
    metric="k_sparse_psnr",
    label=f"k-sparse autoencoder, {ACTIVE_UNITS} of {CODE_UNITS} units, test PSNR (dB)",
    baseline_metric="dictionary_psnr",
    baseline_label=f"dictionary learning + OMP, {ACTIVE_UNITS} of {CODE_UNITS} atoms",
    seed_figure="",
    seeds=len(seeds),
    spread_metric="k_sparse_psnr_std",
    difference_low_metric="k_sparse_minus_dictionary_psnr_low",
    difference_high_metric="k_sparse_minus_dictionary_psnr_high",
)
losses = histories[f"seed {SEED}"].history["loss"]
record_metrics = {
    **stats.record_metrics("k_sparse_psnr", summary),
    **stats.record_metrics("k_sparse_minus_dictionary_psnr", difference),
    **{f"k_sparse_psnr_seed_{seed}": psnr for seed, psnr in zip(seeds, psnrs, strict=True)},
    "first_epoch_loss": losses[0],
    "last_epoch_loss": losses[-1],
    "k_sparse_min_nonzeros": int(np.min(nonzeros)),
    "k_sparse_max_nonzeros": int(np.max(nonzeros)),
    "k_sparse_encode_seconds": autoencoder_seconds,
    "dictionary_psnr": dictionary_psnr,
    "dictionary_max_nonzeros": int(dictionary_nonzeros.max()),
    "dictionary_encode_seconds": dictionary_seconds,
    "encode_speedup": speedup,
    "mean_image_psnr": mean_image_psnr,
    "reload_difference": reload_difference,
}
run.finish(record_metrics, headline)
print(f"k-sparse {stats.describe(summary, unit=' dB')}, dictionary {dictionary_psnr:.2f} dB")

# %% [markdown]
# ## What to try next
#
# - Set `CODE_UNITS = 1000`, more atoms than pixels, as Makhzani & Frey did, and see whether
#   OMP's greedy search or the encoder's single pass gains more from them.
# - Lower `ACTIVE_UNITS` to 10 and watch the atoms turn from strokes into whole digits.
# - Raise `DICTIONARY_PASSES` and see whether the tie holds once dictionary learning converges.
