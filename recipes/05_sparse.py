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
# # Sparse autoencoders
#
# **Description:** Add an L1 or a KL-divergence sparsity penalty on the code to a dense
# autoencoder's loss, so that a few units describe each image, and measure what it costs.<br>
# **Accelerator:** none needed (the full profile took 3.9 minutes on a 2-core CPU).<br>
# <a href="https://colab.research.google.com/github/aebook/aebook/blob/main/recipes/05_sparse.ipynb"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>

# %% [markdown]
# ## Introduction
#
# The first recipe kept its autoencoder from copying the input with a small code. A sparse
# autoencoder instead makes every active code unit cost something in the loss, so that each
# image is described by a few of them.
#
# The Keras blog (seed 001) adds an L1 activity penalty to its 32-unit dense autoencoder, trains it
# for 100 Adadelta epochs and reports a mean code activation on the 10,000 test images of 5.44,
# against 7.43 without the penalty. This recipe trains that 784-32-784 model with and without the
# penalty, and with the KL-divergence penalty of the classic sparse autoencoder (Ng's lecture notes
# {cite:p}`ng2011`; seed 000 describes both), and measures each code's sparsity and cost.

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

# Keep TensorFlow's start-up notices out of the page; this must precede importing Keras.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
from IPython.display import Markdown, display
from keras import ops

from aelib import metrics, plots, results, runs, tables

# %% [markdown]
# The profile (`full`: real MNIST; `smoke`: seconds) and the penalties (seed 003's typical L1).
# `runs.start` seeds every random generator, loads the profile's share of the data and says
# what ran.

# %% tags=["parameters"]
PROFILE = "full"
SEED = 42
EPOCHS = 30
BATCH_SIZE = 128
LATENT_DIM = 32
L1_WEIGHT = 1e-4  # lambda: the weight of the L1 activity penalty.
SPARSITY_TARGET = 0.05  # rho: the mean activation each sigmoid code unit should have.
SPARSITY_WEIGHT = 3e-3  # beta: the weight of the KL-divergence penalty.

# %%
run = runs.start(
    "sparse",
    PROFILE,
    seed=SEED,
    dataset="mnist",
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    latent_dim=LATENT_DIM,
    l1_weight=L1_WEIGHT,
    sparsity_target=SPARSITY_TARGET,
    sparsity_weight=SPARSITY_WEIGHT,
)
x_train, x_test = run.x_train, run.x_test

# %% [markdown]
# ## Prepare the data
#
# MNIST as in the first recipe, loaded by `runs.start` above: (n, 28, 28, 1) images in [0, 1];
# no labels are needed.

# %% [markdown]
# ## Build the models
#
# Each model minimizes the binary cross-entropy of the batch's $n$ images $x_i$ and their
# reconstructions $\hat{x}_i$ plus a penalty $\Omega$ on its codes $h$ ($k$ units per image):
#
# $$
# \mathcal{L} = \frac{1}{n} \sum_{i=1}^{n} \mathrm{BCE}(x_i, \hat{x}_i) + \Omega(h).
# $$
#
# The **L1 activity penalty** charges every unit for its activation, so the cheapest code
# switches most units off:
#
# $$
# \Omega_{\mathrm{L1}}(h) = \lambda \, \frac{1}{n} \sum_{i=1}^{n} \sum_{j=1}^{k} |h_{ij}|.
# $$
#
# The **KL sparsity penalty** needs a code in $(0, 1)$. It compares each unit's mean activation
# over the batch, $\hat{\rho}_j$, with a small target $\rho$, as the divergence between two coins
# that come up 1 with these probabilities:
#
# $$
# \Omega_{\mathrm{KL}}(h) = \beta \sum_{j=1}^{k} \left[ \rho \log \frac{\rho}{\hat{\rho}_j}
# + (1 - \rho) \log \frac{1 - \rho}{1 - \hat{\rho}_j} \right],
# \qquad \hat{\rho}_j = \frac{1}{n} \sum_{i=1}^{n} h_{ij}.
# $$
#
# It is zero when every unit is active a fraction $\rho$ of the time and grows without bound as
# $\hat{\rho}_j \to 0$, so no unit can die. Each penalty is a layer that adds itself to the loss
# (Keras 3.14 started dividing `activity_regularizer=` by the batch size).


# %%
@keras.saving.register_keras_serializable(package="aebook")
class L1Penalty(keras.layers.Layer):
    """Pass (batch, units) codes through; add weight * sum of |code|, batch mean, to the loss."""

    def __init__(self, weight=1e-4, **kwargs):
        super().__init__(**kwargs)
        self.weight = weight

    def call(self, codes):
        self.add_loss(self.weight * ops.mean(ops.sum(ops.abs(codes), axis=-1)))
        return codes

    def get_config(self):
        return {**super().get_config(), "weight": self.weight}


@keras.saving.register_keras_serializable(package="aebook")
class KLPenalty(keras.layers.Layer):
    """Pass (batch, units) codes in (0, 1) through; add weight * sum_j KL(target || mean_j)."""

    def __init__(self, target=0.05, weight=1e-3, **kwargs):
        if not 0.0 < target < 1.0:
            raise ValueError(f"target must be strictly between 0 and 1, not {target}.")
        super().__init__(**kwargs)
        self.target, self.weight = target, weight

    def call(self, codes):
        rho = self.target
        # Clipping keeps the logarithms finite when a unit is (almost) always off or on.
        rho_hat = ops.clip(ops.mean(codes, axis=0), 1e-7, 1.0 - 1e-7)
        divergence = rho * ops.log(rho / rho_hat) + (1 - rho) * ops.log((1 - rho) / (1 - rho_hat))
        self.add_loss(self.weight * ops.sum(divergence))
        return codes

    def get_config(self):
        return {**super().get_config(), "target": self.target, "weight": self.weight}


# %% [markdown]
# ### Four autoencoders, one skeleton
#
# Every model is the blog's 784-32-784 autoencoder with a ReLU code, or a sigmoid code in (0, 1)
# for the KL penalty. Each decoder starts at the mean training image (its output bias is each
# pixel's log-odds): started at grey, a sigmoid code saturates within an epoch for good.


# %%
def build_autoencoder(name, output_bias, activation="relu", penalty=None):
    """Return (autoencoder, encoder) for (28, 28, 1) images in [0, 1] and a LATENT_DIM code."""
    # Every model starts from the same initial weights, so their differences are the penalties'.
    keras.utils.set_random_seed(SEED)
    images = keras.Input(shape=(28, 28, 1), name="images")
    flat = keras.layers.Flatten()(images)
    codes = keras.layers.Dense(LATENT_DIM, activation=activation, name="code")(flat)
    if penalty is not None:
        codes = penalty(codes)
    decode = keras.layers.Dense(28 * 28, activation="sigmoid", name="pixels")
    reconstruction = keras.layers.Reshape((28, 28, 1))(decode(codes))
    decode.bias.assign(output_bias)
    return keras.Model(images, reconstruction, name=name), keras.Model(images, codes)


# The log-odds of each pixel's mean training value; clipping keeps always-black pixels finite.
mean_pixels = np.clip(x_train.mean(axis=0).reshape(-1), 1e-3, 1 - 1e-3)
output_bias = np.log(mean_pixels / (1 - mean_pixels))
l1_penalty = L1Penalty(L1_WEIGHT, name="penalty")
kl_penalty = KLPenalty(SPARSITY_TARGET, SPARSITY_WEIGHT, name="penalty")
models = {
    "ReLU": build_autoencoder("relu", output_bias),
    "ReLU + L1": build_autoencoder("relu_l1", output_bias, penalty=l1_penalty),
    "sigmoid": build_autoencoder("sigmoid", output_bias, activation="sigmoid"),
    "sigmoid + KL": build_autoencoder("sigmoid_kl", output_bias, "sigmoid", penalty=kl_penalty),
}

# %% [markdown]
# ## Train
#
# Each model minimizes $\mathcal{L}$ with Adam, seeing the same images in the same order.

# %%
histories = {}
fit_options = {"epochs": run.epochs, "batch_size": run.batch_size, "verbose": 0}
for name, (autoencoder, _) in models.items():
    keras.utils.set_random_seed(SEED)  # The same shuffling for every model.
    autoencoder.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
    with run.phase(f"train_{autoencoder.name}"):
        histories[name] = autoencoder.fit(x_train, x_train, validation_split=0.1, **fit_options)
plots.plot_history(histories, title="Cross-entropy per pixel plus the penalty")

# %% [markdown]
# *Figure: training and validation loss per epoch of the four models, penalty included.*
#
# ## Evaluate
#
# On the test images: the BCE (without the penalty), the mean code activation (the seed's
# number), the share of activations below 1% of the model's largest, and the *dead* units. A
# model can also lower the mean by shrinking its codes and growing the decoder's weights; two
# columns catch that, the decoder patterns' mean length and Hoyer's measure of each code $h$ of
# $k$ units, which ignores scale and runs from 0 (all units equally active) to 1 (one active):
#
# $$
# \mathrm{Hoyer}(h) = \frac{\sqrt{k} - \lVert h \rVert_1 / \lVert h \rVert_2}{\sqrt{k} - 1}.
# $$


# %%
def describe(autoencoder, encoder, images):
    """Test BCE, sparsity statistics of the (n, units) codes, mean length of decoder patterns."""
    reconstruction = ops.convert_to_numpy(autoencoder(images))  # Unlike predict(), traces nothing.
    codes = ops.convert_to_numpy(encoder(images))
    threshold = 0.01 * codes.max()
    root_units = np.sqrt(codes.shape[1])
    ratios = np.abs(codes).sum(axis=1) / np.maximum(np.linalg.norm(codes, axis=1), 1e-12)
    kernel = autoencoder.get_layer("pixels").kernel.numpy()  # (units, 784): a pattern per unit.
    return {
        "bce": metrics.bce(images, reconstruction),
        "mean_activation": float(codes.mean()),
        "near_zero": float(np.mean(codes < threshold)),
        "dead_units": int(np.sum(codes.max(axis=0) < threshold)),
        "hoyer_sparsity": float(np.mean((root_units - ratios) / (root_units - 1))),
        "decoder_norm": float(np.linalg.norm(kernel, axis=1).mean()),
    }


with run.phase("evaluate"):
    scores = {name: describe(*model, x_test) for name, model in models.items()}
labels = ("test BCE", "mean activation", "near zero", "dead units", "Hoyer", "decoder norm")
rows = [
    {"model": name, **dict(zip(labels, row.values(), strict=True))} for name, row in scores.items()
]
formats = {"test BCE": ".4f", "mean activation": ".3f", "near zero": ".1%", "Hoyer": ".3f"}
display(Markdown(tables.markdown_table(rows, formats={**formats, "decoder norm": ".2f"})))

# %% [markdown]
# What the table says about each penalty, computed from its rows:

# %%
relu, l1, sigmoid, kl = (scores[name] for name in models)
longer = l1["decoder_norm"] / relu["decoder_norm"]
scale = "part of the fall is a change of scale" if longer > 1.2 else "scale explains little"
reached = kl["mean_activation"] / SPARSITY_TARGET
progress = "only part of the way" if reached > 1.2 else "to its target"
lines = [
    f"- The L1 penalty divides the mean activation by "
    f"{relu['mean_activation'] / l1['mean_activation']:.1f}, and its decoder patterns are "
    f"{longer:.1f} times as long: {scale}. Hoyer's measure, blind to scale, goes from "
    f"{relu['hoyer_sparsity']:.3f} to {l1['hoyer_sparsity']:.3f}.",
    f"- The KL model's mean activation, {kl['mean_activation']:.3f}, is {reached:.1f} times its "
    f"target of {SPARSITY_TARGET:g}: at this weight the penalty moves the code from the plain "
    f"sigmoid's {sigmoid['mean_activation']:.3f} {progress}, for a test BCE of "
    f"{kl['bce']:.4f} against {sigmoid['bce']:.4f}.",
]
display(Markdown("\n".join(lines)))

# %% [markdown]
# ### What the codes look like
#
# Each code unit adds one image-sized pattern to the reconstruction, its row of decoder weights.

# %%
patterns = {}
for name in ("ReLU", "ReLU + L1", "sigmoid + KL"):
    kernel = models[name][0].get_layer("pixels").kernel.numpy().reshape(-1, 28, 28)
    low, high = kernel.min(axis=(1, 2), keepdims=True), kernel.max(axis=(1, 2), keepdims=True)
    patterns[name] = (kernel - low) / np.maximum(high - low, 1e-12)  # Each scaled to [0, 1].
plots.show_image_rows(patterns, count=16)

# %% [markdown]
# *Figure: the decoder patterns of 16 code units of the ReLU model (top), the L1 and the KL model,
# each scaled to [0, 1].*
#
# The registered penalty layers save as `.keras` and load with `safe_mode=True`, no `Lambda`:

# %%
autoencoder = models["sigmoid + KL"][0]
with tempfile.TemporaryDirectory() as directory:
    autoencoder.save(os.path.join(directory, "sigmoid_kl.keras"))
    reloaded = keras.saving.load_model(os.path.join(directory, "sigmoid_kl.keras"), safe_mode=True)
outputs = [ops.convert_to_numpy(model(x_test[:100])) for model in (autoencoder, reloaded)]
reload_difference = float(np.abs(outputs[1] - outputs[0]).max())

# %%
# NBVAL_CHECK_OUTPUT
penalty = reloaded.get_layer("penalty")
print(f"reloaded {type(penalty).__name__}(target={penalty.target}, weight={penalty.weight})")
print(f"reloaded model gives the same outputs: {reload_difference < 1e-6}")

# %% [markdown]
# ## Record the results
#
# `results/sparse.json` holds the table (`relu_l1_mean_activation`, ...) and the headline.

# %%
headline = results.Headline(
    title="Sparse",
    metric="relu_l1_mean_activation",
    label=(
        f"mean code activation, L1 weight {L1_WEIGHT:g}, {EPOCHS} Adam epochs "
        "(the seed's run: l1(10e-8), 100 Adadelta epochs)"
    ),
    baseline_metric="relu_mean_activation",
    baseline_label="the same autoencoder without the penalty",
    seed_figure="5.44 (7.43 without)",
)
record_metrics = {"reload_difference": reload_difference}
for name, (autoencoder, _) in models.items():
    losses = histories[name].history["loss"]
    row = {**scores[name], "first_epoch_loss": losses[0], "last_epoch_loss": losses[-1]}
    record_metrics.update({f"{autoencoder.name}_{key}": value for key, value in row.items()})
run.finish(record_metrics, headline)
ours, baseline = record_metrics[headline.metric], record_metrics[headline.baseline_metric]
print(f"mean code activation {ours:.2f} with L1, {baseline:.2f} without")

# %% [markdown]
# ## What to try next
#
# - Size a penalty against the loss it joins: the weight times the ReLU model's code sum per
#   image, against its BCE, for the seed code's `l1(10e-8)` and for 1e-4. Then train 100 epochs.
# - Give the decoder `kernel_constraint=keras.constraints.UnitNorm(axis=1)`, so that each unit's
#   pattern has length 1, and see how much of the L1 model's drop in mean activation survives.
# - Widen the code to 256 units and see whether the KL model's patterns become strokes.
# - Fix the number of active units instead of charging for them:
#   [the k-sparse autoencoder](12_k_sparse.ipynb) keeps the k largest of an overcomplete code
#   and is measured against dictionary learning.
