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
# # Sparse autoencoders that explain a network
#
# **Description:** Train a top-k sparse autoencoder on a classifier's hidden layer, and measure
# how much of the layer its few active latents rebuild, against classical sparse codes.<br>
# **Accelerator:** none needed (the full profile took 6.8 minutes on a 2-core CPU).<br>
# <a href="https://colab.research.google.com/github/aebook/aebook/blob/main/recipes/15_interpretability.ipynb"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>

# %% [markdown]
# ## Introduction
#
# What does a hidden unit of a trained network stand for? Often nothing one can name: a neuron fires
# for several unrelated inputs, because the network packs more features than it has neurons into its
# layer, each feature a direction rather than a unit (Elhage et al., *Toy Models of Superposition*,
# 2022 {cite:p}`elhage2022`). Bricken et al. (*Towards Monosemanticity*, 2023) {cite:p}`bricken2023`
# unpacked such a layer with a *sparse autoencoder*: trained on the layer's activations, it rebuilds
# each one from a few of many more latents than the layer has neurons, and its latents turn out to
# mean one thing each far more often than the neurons do. Gao et al. (*Scaling and evaluating sparse
# autoencoders*, 2024) {cite:p}`gao2024` keep exactly k latents per input (a top-k activation),
# which sets the sparsity directly and leaves few latents dead.
#
# This recipe does it at MNIST scale: a small classifier, its second hidden layer of 128
# neurons, and a top-k sparse autoencoder with 1,024 latents. Two questions: how much of the
# layer the latents rebuild at each k, against PCA, FastICA and dictionary learning with as many
# active components; and whether the classifier still works on the rebuilt layer. Whether a
# latent means one digit more often than a neuron does is the subject of
# [recipe 22](22_interpretable_latents.ipynb), which retrains this page's models. No published
# figure compares: the papers above explain language models with millions of latents, not a
# digit classifier.

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
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display
from keras import ops
from sklearn.decomposition import PCA, FastICA, MiniBatchDictionaryLearning
from sklearn.exceptions import ConvergenceWarning

from aelib import results, runs, stats, tables

# %% tags=["parameters"]
PROFILE = "full"  # full: real MNIST; smoke: seconds on a CPU with the embedded sample.
SEED = 42
EPOCHS = 20  # The sparse autoencoder's, over the training images' activations.
BATCH_SIZE = 256
LEARNING_RATE = 1e-3  # Adam's first step, falling to zero along a cosine.
CLASSIFIER_EPOCHS = 5
LAYER_WIDTH = 128  # The classifier's second hidden layer, the one explained.
LATENTS = 1024  # Eight times the layer's width.
ACTIVE = (4, 8, 16, 32)  # The values of k tried, for every method.
HEADLINE_ACTIVE = 16
DICTIONARY_ALPHA = 1.0  # The dictionary's L1 weight while it learns its atoms.
DICTIONARY_SAMPLES = 20_000  # The training activations it learns from (time).
ICA_ITERATIONS = 1000
SEEDS = 5  # Trainings of the sparse autoencoder and the dictionary at the headline's k.

# %% [markdown]
# ## Prepare the data and the network to explain
#
# MNIST digits as (n, 28, 28, 1) in [0, 1]. The classifier is a plain multilayer perceptron:
# 256 and 128 ReLU units, then ten logits. `runs.start` seeds every random generator, loads the
# profile's share of the data and says what ran.

# %%
run = runs.start(
    "interpretability",
    PROFILE,
    seed=SEED,
    dataset="mnist",
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    learning_rate=LEARNING_RATE,
    latents=LATENTS,
    headline_active=HEADLINE_ACTIVE,
)
x_train, y_train, x_test, y_test = run.x_train, run.y_train, run.x_test, run.y_test

images = keras.Input(shape=(28, 28, 1), name="images")
hidden = keras.layers.Dense(256, activation="relu")(keras.layers.Flatten()(images))
layer = keras.layers.Dense(LAYER_WIDTH, activation="relu", name="explained")(hidden)
head = keras.layers.Dense(10, name="logits")
classifier = keras.Model(images, head(layer), name="classifier")
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
# The explained layer's activations, one row of 128 per image. As Gao et al. do, they are
# centred on the training mean and scaled to a mean squared norm of 1, so that errors read the
# same whatever the layer's scale.

# %%
to_layer = keras.Model(images, layer)
activations_train = keras.ops.convert_to_numpy(to_layer.predict(x_train, 2048, verbose=0))
activations_test = keras.ops.convert_to_numpy(to_layer.predict(x_test, 2048, verbose=0))
mean = activations_train.mean(axis=0)
scale = np.sqrt(np.mean(np.sum(np.square(activations_train - mean), axis=1)))
inputs_train, inputs_test = (activations_train - mean) / scale, (activations_test - mean) / scale
print(f"activations: train {inputs_train.shape}, test {inputs_test.shape}")

# %% [markdown]
# ## Build the model: a sparse autoencoder
#
# The encoder scores all 1,024 latents, keeps the k largest and sets the rest to zero; the
# decoder adds up the kept latents' directions:
#
# $$
# z = \operatorname{ReLU}\bigl(\operatorname{TopK}_k(W_\text{enc}\, x + b_\text{enc})\bigr),
# \qquad \hat{x} = W_\text{dec}\, z + b_\text{dec},
# $$
#
# trained on the squared error $\lVert x - \hat{x} \rVert^2$. Each latent's decoder direction is
# kept at unit length, so a latent cannot grow its direction to shrink its value. A latent that
# never wins a top-k contest gets no gradient and stays *dead*; starting the encoder as the
# decoder's transpose keeps most of them in play (Gao et al.).


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


print(f"{build_sparse_autoencoder(HEADLINE_ACTIVE, SEED)[0].count_params():,} parameters")

# %% [markdown]
# ## Train
#
# One sparse autoencoder per k, each on the 60,000 training images' activations.


# %%
def train_sparse_autoencoder(k, seed):
    """Build and train one sparse autoencoder; return (autoencoder, encoder, epoch losses)."""
    autoencoder, encoder = build_sparse_autoencoder(k, seed)
    steps = run.epochs * int(np.ceil(len(inputs_train) / run.batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(LEARNING_RATE, steps)
    # 32 batches per call from Python: small models otherwise spend much of their time on
    # per-batch overhead on a CPU. The computation is the same.
    autoencoder.compile(keras.optimizers.Adam(schedule), "mse", steps_per_execution=32)
    history = autoencoder.fit(
        inputs_train, inputs_train, batch_size=run.batch_size, epochs=run.epochs, verbose=0
    )
    return autoencoder, encoder, history.history["loss"]


sparse = {}
with run.phase("train"):
    for k in ACTIVE:
        sparse[k] = train_sparse_autoencoder(k, SEED)
        loss = sparse[k][2]
        print(f"k = {k:>2}: loss {loss[0]:.4f} -> {loss[-1]:.4f}")

# %% [markdown]
# ## Evaluate
#
# ### How much of the layer comes back
#
# The *fraction of variance unexplained* (FVU) is the squared error over the activations' total
# variance on the test images: 0 for a perfect rebuild, 1 for the mean. The baselines get the same
# number of active components per image: PCA and FastICA (Hyvärinen and Oja, 2000
# {cite:p}`hyvarinen2000`) keep k components, so their codes are dense but k long; dictionary
# learning (Mairal et al., 2009 {cite:p}`mairal2009`) learns 1,024 atoms and codes each image with k
# of them by orthogonal matching pursuit. The last columns feed each rebuilt layer to the
# classifier's head: the test accuracy it keeps.


# %%
def unexplained(rebuilt):
    """FVU of (n, LAYER_WIDTH) rebuilt test inputs: squared error over total variance."""
    error = np.sum(np.square(inputs_test - rebuilt))
    return float(error / np.sum(np.square(inputs_test - inputs_test.mean(axis=0))))


def head_accuracy(rebuilt):
    """Test accuracy of the classifier's head on rebuilt inputs, mapped back to the layer."""
    logits = keras.ops.convert_to_numpy(head(rebuilt * scale + mean))
    return float(np.mean(logits.argmax(axis=1) == y_test))


def fit_dictionary(seed):
    """Dictionary learning's LATENTS atoms, learned from DICTIONARY_SAMPLES training inputs."""
    return MiniBatchDictionaryLearning(
        n_components=LATENTS,
        alpha=DICTIONARY_ALPHA,
        batch_size=256,
        max_iter=1,
        transform_algorithm="omp",
        random_state=seed,
    ).fit(inputs_train[:DICTIONARY_SAMPLES])


with run.phase("dictionary"):
    dictionary = fit_dictionary(SEED)
codes, rebuilt, capped = {}, {}, {}
with run.phase("evaluate"):
    for k in ACTIVE:
        autoencoder, encoder, _ = sparse[k]
        # Direct calls on the whole array: predict() would trace a new function for each model.
        rebuilt["sparse autoencoder", k] = ops.convert_to_numpy(autoencoder(inputs_test))
        codes["sparse autoencoder", k] = ops.convert_to_numpy(encoder(inputs_test))
        pca = PCA(k, random_state=SEED).fit(inputs_train)
        codes["PCA", k] = pca.transform(inputs_test)
        rebuilt["PCA", k] = pca.inverse_transform(codes["PCA", k])
        ica = FastICA(k, random_state=SEED, max_iter=ICA_ITERATIONS)
        with warnings.catch_warnings():
            # Whether it converged is reported below, in words, instead of as a warning.
            warnings.simplefilter("ignore", ConvergenceWarning)
            ica.fit(inputs_train)
        capped[k] = ica.n_iter_ >= ICA_ITERATIONS
        codes["FastICA", k] = ica.transform(inputs_test)
        rebuilt["FastICA", k] = ica.inverse_transform(codes["FastICA", k])
        dictionary.set_params(transform_n_nonzero_coefs=k)
        codes["dictionary learning", k] = dictionary.transform(inputs_test)
        rebuilt["dictionary learning", k] = codes["dictionary learning", k] @ dictionary.components_
METHODS = ("sparse autoencoder", "PCA", "FastICA", "dictionary learning")
rows = [
    {"k": k}
    | {f"FVU, {method}": unexplained(rebuilt[method, k]) for method in METHODS}
    | {f"accuracy, {method}": head_accuracy(rebuilt[method, k]) for method in METHODS}
    for k in ACTIVE
]
formats = {key: (".2%" if key.startswith("accuracy") else ".3f") for key in rows[0] if key != "k"}
display(Markdown(tables.markdown_table(rows, formats=formats)))
print(f"the classifier on its own layer: {head_accuracy(inputs_test):.2%}")
if any(capped.values()):
    stopped = ", ".join(str(k) for k, cap in capped.items() if cap)
    print(f"FastICA stopped at its {ICA_ITERATIONS} iterations before converging at k = {stopped}")

# %% [markdown]
# PCA keeps the k directions of most variance, the least squared error any k-dimensional linear
# code can reach; FastICA rotates the same k-dimensional subspace, so it rebuilds exactly as
# much. The sparse codes choose their k directions per image from 1,024.

# %%
dead = {}
for k in ACTIVE:
    latents = ops.convert_to_numpy(sparse[k][1](inputs_train))
    dead[k] = int(np.sum(np.count_nonzero(latents, axis=0) == 0))
print(
    "dead latents (never active on a training image): "
    + ", ".join(f"{count} of {LATENTS} at k = {k}" for k, count in dead.items())
)

# %% [markdown]
# At the headline's k = `HEADLINE_ACTIVE`, the sparse autoencoder and dictionary learning are
# close, so both are trained again with other seeds, which change their starts and batches:

# %%
fvu = {method: unexplained(rebuilt[method, HEADLINE_ACTIVE]) for method in METHODS}
seeds = [SEED + offset for offset in range(SEEDS if run.profile.name == "full" else 2)]
seed_fvu = {"sae": [fvu["sparse autoencoder"]], "dictionary": [fvu["dictionary learning"]]}
with run.phase("seeds"):
    # The other seeds change the autoencoder's start and batches, and the dictionary's.
    for seed in seeds[1:]:
        autoencoder = train_sparse_autoencoder(HEADLINE_ACTIVE, seed)[0]
        seed_fvu["sae"].append(unexplained(ops.convert_to_numpy(autoencoder(inputs_test))))
        atoms = fit_dictionary(seed).set_params(transform_n_nonzero_coefs=HEADLINE_ACTIVE)
        seed_fvu["dictionary"].append(unexplained(atoms.transform(inputs_test) @ atoms.components_))
summaries = {method: stats.summarize(values) for method, values in seed_fvu.items()}
difference = stats.paired_difference(seed_fvu["sae"], seed_fvu["dictionary"])
drop = head_accuracy(inputs_test) - head_accuracy(rebuilt["sparse autoencoder", HEADLINE_ACTIVE])
display(
    Markdown(
        f"At k = {HEADLINE_ACTIVE}, the sparse autoencoder leaves "
        f"{stats.describe(summaries['sae'], digits=4)} of the layer's variance unexplained, "
        f"dictionary learning {stats.describe(summaries['dictionary'], digits=4)}: a difference "
        f"of {stats.describe_interval(difference, digits=4)}, so the sparse autoencoder "
        f"**{stats.verdict(difference, higher_is_better=False)}**; the classifier on its rebuilt "
        f"layer gives up {100 * drop:.2f} points of accuracy."
    )
)

# %% mystnb={"image": {"alt": "Two line plots against k, the active components per image: the fraction of variance unexplained, falling with k for all four methods, and the classifier's test accuracy on each rebuilt layer, with the accuracy on the layer itself as a dotted line."}}
figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
for method in METHODS:
    style = "--" if method == "FastICA" else "-"  # FastICA's line lies on PCA's.
    left.plot(ACTIVE, [row[f"FVU, {method}"] for row in rows], style, marker="o", label=method)
    right.plot(ACTIVE, [row[f"accuracy, {method}"] for row in rows], style, marker="o")
right.axhline(head_accuracy(inputs_test), color="grey", linestyle=":", label="the layer itself")
for axis, label in ((left, "FVU (lower is better)"), (right, "test accuracy of the head")):
    axis.set_xscale("log", base=2)
    axis.set_xticks(ACTIVE, [str(k) for k in ACTIVE])
    axis.set(xlabel="k, active components per image", ylabel=label)
    axis.grid(alpha=0.3)
left.set_yscale("log")
left.legend()
right.legend(loc="lower right")
plt.show()

# %% [markdown]
# *Figure: the fraction of the layer's variance each method leaves unexplained (left, log scale)
# and the classifier's test accuracy on each rebuilt layer (right), at each k.*

# %% [markdown]
# ## Record the results

# %%
record_metrics = {"classifier_accuracy": accuracy, "layer_accuracy": head_accuracy(inputs_test)}
keys = dict(zip(METHODS, ("sae", "pca", "ica", "dictionary"), strict=True))
for k in ACTIVE:
    for method, key in keys.items():
        record_metrics[f"{key}_{k}_fvu"] = unexplained(rebuilt[method, k])
        record_metrics[f"{key}_{k}_accuracy"] = head_accuracy(rebuilt[method, k])
    record_metrics[f"sae_{k}_dead"] = dead[k]
    loss = sparse[k][2]
    record_metrics |= {f"sae_{k}_first_epoch_loss": loss[0], f"sae_{k}_last_epoch_loss": loss[-1]}
record_metrics |= stats.record_metrics("sae_headline_fvu", summaries["sae"])
record_metrics |= stats.record_metrics("dictionary_headline_fvu", summaries["dictionary"])
record_metrics |= stats.record_metrics("sae_minus_dictionary_headline_fvu", difference)
headline = results.Headline(
    title="Interpretability",
    metric="sae_headline_fvu",
    label=f"top-k sparse autoencoder (k = {HEADLINE_ACTIVE} of {LATENTS} latents), fraction of "
    f"variance unexplained, mean of {len(seeds)} seeds (lower is better)",
    baseline_metric="dictionary_headline_fvu",
    baseline_label=f"dictionary learning, {HEADLINE_ACTIVE} of {LATENTS} atoms per image, "
    f"{len(seeds)} seeds",
    seeds=len(seeds),
    spread_metric="sae_headline_fvu_std",
    baseline_spread_metric="dictionary_headline_fvu_std",
    difference_low_metric="sae_minus_dictionary_headline_fvu_low",
    difference_high_metric="sae_minus_dictionary_headline_fvu_high",
)
run.finish(record_metrics, headline)

# %% [markdown]
# ## What to try next
#
# - Ask what the latents mean: [recipe 22](22_interpretable_latents.ipynb) scores how selective
#   they are for one digit and shows the digits that excite them most.
# - Explain the first hidden layer, or a convolutional network's feature maps.
# - Revive the dead latents with Gao et al.'s auxiliary loss, which asks the dead latents to
#   rebuild what the live ones miss.
# - Train longer or wider: Gao et al. find that the error falls as a power law in the number of
#   latents and in compute.
