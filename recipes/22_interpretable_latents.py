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
# # Does one latent mean one digit?
#
# **Description:** Measure whether a sparse autoencoder's latents stand for one digit each more
# often than the neurons of the layer it explains, and look at what excites them.<br>
# **Accelerator:** none needed (the full profile took 1.0 minutes on a 2-core CPU).<br>
# <a href="https://colab.research.google.com/github/aebook/aebook/blob/main/recipes/22_interpretable_latents.ipynb"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>

# %% [markdown]
# ## Introduction
#
# A network packs more features into a layer than the layer has neurons, each feature a direction
# rather than a unit, so a single neuron often fires for several unrelated inputs (Elhage et al.,
# *Toy Models of Superposition*, 2022 {cite:p}`elhage2022`). Bricken et al. (*Towards
# Monosemanticity*, 2023) {cite:p}`bricken2023` found that the latents of a sparse autoencoder
# trained on such a layer mean one thing each far more often than its neurons do.
#
# [Recipe 15](15_interpretability.ipynb) trains a top-k sparse autoencoder with 1,024 latents on
# the 128-neuron hidden layer of a small MNIST classifier, and measures how much of the layer it
# rebuilds. This page asks the other question: does one unit mean one digit? It scores the
# latents, the neurons and the components of PCA, FastICA and dictionary learning by how
# selective they are for one digit, and shows the digits that excite a few latents and a few
# neurons most. It repeats recipe 15's classifier and sparse autoencoder, with the same seeds and
# settings, so that it runs alone. No published figure compares: the papers above explain
# language models with millions of latents, not a digit classifier.

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
import warnings

# Keep TensorFlow's start-up notices out of the page; this must precede importing Keras.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
from IPython.display import Markdown, display
from keras import ops
from sklearn.decomposition import PCA, FastICA, MiniBatchDictionaryLearning
from sklearn.exceptions import ConvergenceWarning

from aelib import plots, results, runs, tables

# %% tags=["parameters"]
PROFILE = "full"  # full: real MNIST; smoke: seconds on a CPU with the embedded sample.
SEED = 42
EPOCHS = 20  # The sparse autoencoder's, over the training images' activations.
BATCH_SIZE = 256
LEARNING_RATE = 1e-3  # Adam's first step, falling to zero along a cosine.
CLASSIFIER_EPOCHS = 5
LAYER_WIDTH = 128  # The classifier's second hidden layer, the one explained.
LATENTS = 1024  # Eight times the layer's width.
ACTIVE = 16  # Active latents (k) per image, and components for every baseline.
DICTIONARY_ALPHA = 1.0  # The dictionary's L1 weight while it learns its atoms.
DICTIONARY_SAMPLES = 20_000  # The training activations it learns from (time).
ICA_ITERATIONS = 1000
TOP = 100  # The strongest test activations per unit that the one-digit share looks at.
PURITY = 0.9  # 90% of them on one digit make a unit a one-digit unit.

# %% [markdown]
# ## Prepare the data and the network to explain
#
# MNIST digits as (n, 28, 28, 1) in [0, 1], and recipe 15's classifier: a multilayer perceptron
# with 256 and 128 ReLU units, then ten logits. `runs.start` seeds every random generator, loads
# the profile's share of the data and says what ran.

# %%
run = runs.start(
    "interpretable_latents",
    PROFILE,
    seed=SEED,
    dataset="mnist",
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    learning_rate=LEARNING_RATE,
    latents=LATENTS,
    active=ACTIVE,
)
x_train, y_train, x_test, y_test = run.x_train, run.y_train, run.x_test, run.y_test

images = keras.Input(shape=(28, 28, 1), name="images")
hidden = keras.layers.Dense(256, activation="relu")(keras.layers.Flatten()(images))
layer = keras.layers.Dense(LAYER_WIDTH, activation="relu", name="explained")(hidden)
classifier = keras.Model(images, keras.layers.Dense(10, name="logits")(layer), name="classifier")
classifier.compile(
    keras.optimizers.Adam(1e-3),
    keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
with run.phase("classifier"):
    classifier.fit(x_train, y_train, batch_size=128, epochs=CLASSIFIER_EPOCHS, verbose=0)
accuracy = classifier.evaluate(x_test, y_test, batch_size=2048, verbose=0)[1]
print(f"classifier test accuracy {accuracy:.2%}")

# %% [markdown]
# The explained layer's activations, one row of 128 per image, centred on the training mean and
# scaled to a mean squared norm of 1, as in recipe 15.

# %%
to_layer = keras.Model(images, layer)
activations_train = keras.ops.convert_to_numpy(to_layer.predict(x_train, 2048, verbose=0))
activations_test = keras.ops.convert_to_numpy(to_layer.predict(x_test, 2048, verbose=0))
mean = activations_train.mean(axis=0)
scale = np.sqrt(np.mean(np.sum(np.square(activations_train - mean), axis=1)))
inputs_train, inputs_test = (activations_train - mean) / scale, (activations_test - mean) / scale
print(f"activations: train {inputs_train.shape}, test {inputs_test.shape}")

# %% [markdown]
# ## Build the model: recipe 15's sparse autoencoder
#
# The encoder scores all 1,024 latents and keeps the k largest; the decoder adds up the kept
# latents' unit-length directions (recipe 15 explains each choice):
#
# $$
# z = \operatorname{ReLU}\bigl(\operatorname{TopK}_k(W_\text{enc}\, x + b_\text{enc})\bigr),
# \qquad \hat{x} = W_\text{dec}\, z + b_\text{dec}.
# $$
#
# Each latent $z_j$ is a unit this page scores, like a neuron of the layer.


# %%
# NBVAL_CHECK_OUTPUT
@keras.saving.register_keras_serializable(package="aebook")
class TopK(keras.layers.Layer):
    """Keep the k largest values of each (batch, units) row, ReLU them, zero the others."""

    def __init__(self, k=16, **kwargs):
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be a positive integer, not {k!r}.")
        super().__init__(**kwargs)
        self.k = k

    def call(self, scores):
        _, winners = ops.top_k(scores, self.k)
        # A mask built from the winners' indices keeps exactly k units, ties included.
        mask = ops.sum(ops.one_hot(winners, ops.shape(scores)[-1], dtype=scores.dtype), axis=1)
        return ops.relu(scores * mask)

    def get_config(self):
        return {**super().get_config(), "k": self.k}


def build_sparse_autoencoder(k, seed):
    """Return (autoencoder, encoder) for (n, LAYER_WIDTH) activations and LATENTS latents."""
    keras.utils.set_random_seed(seed)
    activations = keras.Input(shape=(LAYER_WIDTH,), name="activations")
    encode = keras.layers.Dense(LATENTS, name="encode")
    decode = keras.layers.Dense(
        LAYER_WIDTH, name="decode", kernel_constraint=keras.constraints.UnitNorm(axis=1)
    )
    latents = TopK(k, name="top_k")(encode(activations))
    autoencoder = keras.Model(activations, decode(latents), name=f"sparse_autoencoder_{k}")
    # Random unit directions for the decoder, and their transpose for the encoder.
    directions = np.random.default_rng(seed).normal(size=(LATENTS, LAYER_WIDTH))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    decode.kernel.assign(directions.astype("float32"))
    encode.kernel.assign(directions.T.astype("float32"))
    return autoencoder, keras.Model(activations, latents, name=f"encoder_{k}")


print(f"{build_sparse_autoencoder(ACTIVE, SEED)[0].count_params():,} parameters")

# %% [markdown]
# ## Train the sparse autoencoder and the baselines
#
# The sparse autoencoder at k = `ACTIVE`, on the training images' activations, with recipe 15's
# schedule. The baselines get the same number of components per image: PCA and FastICA (Hyvärinen
# and Oja, 2000 {cite:p}`hyvarinen2000`) keep k, dictionary learning (Mairal et al., 2009
# {cite:p}`mairal2009`) codes each image with k of 1,024 atoms. The fraction of variance each leaves
# unexplained on the test images is recipe 15's table at this k, printed again as a check that the
# same models were trained.

# %%
steps = run.epochs * int(np.ceil(len(inputs_train) / run.batch_size))
with run.phase("train"):
    autoencoder, encoder = build_sparse_autoencoder(ACTIVE, SEED)
    schedule = keras.optimizers.schedules.CosineDecay(LEARNING_RATE, steps)
    # 32 batches per call from Python, as in recipe 15: less per-batch overhead on a CPU.
    autoencoder.compile(keras.optimizers.Adam(schedule), "mse", steps_per_execution=32)
    loss = autoencoder.fit(
        inputs_train, inputs_train, batch_size=run.batch_size, epochs=run.epochs, verbose=0
    ).history["loss"]
print(f"k = {ACTIVE}: loss {loss[0]:.4f} -> {loss[-1]:.4f}")

codes, rebuilt = {}, {}
with run.phase("baselines"):
    # Direct calls on the whole array: predict() would trace a new function for the model.
    codes["sparse autoencoder"] = ops.convert_to_numpy(encoder(inputs_test))
    rebuilt["sparse autoencoder"] = ops.convert_to_numpy(autoencoder(inputs_test))
    pca = PCA(ACTIVE, random_state=SEED).fit(inputs_train)
    codes["PCA"] = pca.transform(inputs_test)
    rebuilt["PCA"] = pca.inverse_transform(codes["PCA"])
    ica = FastICA(ACTIVE, random_state=SEED, max_iter=ICA_ITERATIONS)
    with warnings.catch_warnings():
        # Recipe 15 reports whether FastICA converged; this page only reads its components.
        warnings.simplefilter("ignore", ConvergenceWarning)
        ica.fit(inputs_train)
    codes["FastICA"] = ica.transform(inputs_test)
    rebuilt["FastICA"] = ica.inverse_transform(codes["FastICA"])
    dictionary = MiniBatchDictionaryLearning(
        n_components=LATENTS,
        alpha=DICTIONARY_ALPHA,
        batch_size=256,
        max_iter=1,
        transform_algorithm="omp",
        transform_n_nonzero_coefs=ACTIVE,
        random_state=SEED,
    ).fit(inputs_train[:DICTIONARY_SAMPLES])
    codes["dictionary learning"] = dictionary.transform(inputs_test)
    rebuilt["dictionary learning"] = codes["dictionary learning"] @ dictionary.components_
total = np.sum(np.square(inputs_test - inputs_test.mean(axis=0)))
fvu = {
    name: float(np.sum(np.square(inputs_test - value)) / total) for name, value in rebuilt.items()
}
print(f"FVU at k = {ACTIVE}: " + ", ".join(f"{name} {value:.3f}" for name, value in fvu.items()))

# %% [markdown]
# ## Evaluate
#
# ### Does one unit mean one digit?
#
# A unit's *class selectivity* (Morcos et al., 2018 {cite:p}`morcos2018`) compares its mean
# activation on the digit it likes best, $\mu_\text{max}$, with its mean over the nine others,
# $\mu_\text{rest}$:
#
# $$
# \text{selectivity} = \frac{\mu_\text{max} - \mu_\text{rest}}{\mu_\text{max} + \mu_\text{rest}},
# $$
#
# 1 for a unit that fires for one digit only, 0 for one that fires alike for all. A second,
# plainer measure: the share of units whose 100 strongest test activations fall at least 90% on
# one digit, among the units that fire on at least 100 test images. Signed codes
# (PCA, FastICA, dictionary learning) count by their magnitude. Both are taken over the units
# that fire on the test images.


# %%
def selectivity(values, top=TOP, purity=PURITY):
    """For the columns of (n, units) values over y_test's ten digits: the units that fire, their
    mean class selectivity, the units that fire on at least `top` images, and the share of
    those whose `top` strongest activations fall at least `purity` on one digit."""
    magnitude = np.abs(values)
    per_class = np.stack([magnitude[y_test == digit].mean(axis=0) for digit in range(10)])
    best = per_class.max(axis=0)
    rest = (per_class.sum(axis=0) - best) / 9
    alive = best > 0
    index = np.mean((best - rest)[alive] / (best + rest)[alive])
    busy = np.count_nonzero(magnitude, axis=0) >= top
    strongest = y_test[np.argsort(-magnitude[:, busy], axis=0)[:top]]  # (top, busy units)
    shares = np.stack([np.mean(strongest == digit, axis=0) for digit in range(10)]).max(axis=0)
    return {
        "firing": int(alive.sum()),
        "mean class selectivity": float(index),
        f"firing on {top}+": int(busy.sum()),
        "share one-digit": float(np.mean(shares >= purity)) if busy.any() else 0.0,
    }


units = {"neurons of the layer": activations_test} | codes
selectivities = {name: selectivity(values) for name, values in units.items()}
rows = [{"units": name, **row} for name, row in selectivities.items()]
formats = {"mean class selectivity": ".3f", "share one-digit": ".0%"}
display(Markdown(tables.markdown_table(rows, formats=formats)))
ours, neurons = selectivities["sparse autoencoder"], selectivities["neurons of the layer"]
selective = ours["mean class selectivity"] / neurons["mean class selectivity"]
one_digit = ours["share one-digit"] / max(neurons["share one-digit"], 1e-12)
most_selective = max(selectivities, key=lambda name: selectivities[name]["mean class selectivity"])
most_one_digit = max(selectivities, key=lambda name: selectivities[name]["share one-digit"])
display(
    Markdown(
        f"At k = {ACTIVE}, the sparse autoencoder's latents have {selective:.2f} times the "
        f"neurons' class selectivity (the index cannot pass 1, so no units could reach more than "
        f"{1 / neurons['mean class selectivity']:.2f} times), and {one_digit:.2f} times their "
        f"share of one-digit units. The highest class selectivity above is {most_selective}'s, "
        f"the largest share of one-digit units {most_one_digit}'s."
    )
)

# %% [markdown]
# A handful of components, as PCA and FastICA keep here, can each spread over a whole digit, and
# the one-digit share rewards that; the sparse code's 1,024 latents can also stand for parts that
# several digits share, a stroke or a loop, which no single digit owns. The pictures show both
# kinds.
#
# ### What a latent stands for
#
# The ten test digits that excite a unit most, for the five neurons and the five latents that
# fire on the most test images.


# %%
def top_images(values, count=5):
    """For the count units of (n, units) values that fire on most images, each unit's ten most
    activating test images."""
    busiest = np.argsort(-np.count_nonzero(values > 0, axis=0))[:count]
    return {f"unit {unit}": x_test[np.argsort(-values[:, unit])[:10]] for unit in busiest}


# %% mystnb={"image": {"alt": "Five rows of ten test digits, one row per neuron of the classifier's layer: the digits that excite that neuron most."}}
plots.show_image_rows(top_images(activations_test), count=10)

# %% [markdown]
# *Figure: the ten test digits that excite each of five neurons most, one row per neuron.*

# %% mystnb={"image": {"alt": "Five rows of ten test digits, one row per sparse-autoencoder latent: the digits that excite that latent most."}}
plots.show_image_rows(top_images(codes["sparse autoencoder"]), count=10)

# %% [markdown]
# *Figure: the ten test digits that excite each of five sparse-autoencoder latents most, one row
# per latent.*

# %% [markdown]
# ## Record the results

# %%
keys = {
    "neurons of the layer": "neurons",
    "sparse autoencoder": "sae",
    "PCA": "pca",
    "FastICA": "ica",
    "dictionary learning": "dictionary",
}
record_metrics = {
    "classifier_accuracy": accuracy,
    f"sae_{ACTIVE}_first_epoch_loss": loss[0],
    f"sae_{ACTIVE}_last_epoch_loss": loss[-1],
}
record_metrics |= {f"{keys[name]}_{ACTIVE}_fvu": value for name, value in fvu.items()}
for name, row in selectivities.items():
    record_metrics |= {
        f"{keys[name]}_selectivity": row["mean class selectivity"],
        f"{keys[name]}_firing": row["firing"],
        f"{keys[name]}_one_digit_share": row["share one-digit"],
    }
headline = results.Headline(
    title="Interpretable latents",
    metric="sae_selectivity",
    label=f"top-k sparse autoencoder latents (k = {ACTIVE} of {LATENTS}), mean class selectivity",
    baseline_metric="neurons_selectivity",
    baseline_label=f"the layer's {LAYER_WIDTH} neurons",
)
run.finish(record_metrics, headline)

# %% [markdown]
# ## What to try next
#
# - Name the latents: for each, the digit it prefers and how often it wins on that digit alone.
# - Score selectivity at each k of recipe 15: does a sparser code mean one digit more often?
# - Explain the first hidden layer, whose units respond to strokes rather than to whole digits.
# - Steer the classifier: add one latent's decoder direction to the layer and watch the
#   prediction move.
