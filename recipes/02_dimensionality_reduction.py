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
# **Description:** Squeeze MNIST digits into 2 to 32 numbers with a deep autoencoder and with
# PCA, then ask which codes still tell the digits apart.<br>
# **Accelerator:** none needed (the full profile took 2.7 minutes on a 2-core CPU).<br>
# <a href="https://colab.research.google.com/github/aebook/aebook/blob/main/recipes/02_dimensionality_reduction.ipynb"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>

# %% [markdown]
# ## Introduction
#
# An autoencoder's encoder is a learned dimensionality reduction: it maps a 784-pixel image to a
# short *code* from which the decoder rebuilds the image. Principal component analysis (PCA) is
# the classical answer to the same question, and the best one among *linear* maps: no linear
# code of a given size rebuilds the images with a smaller squared error. The seed article
# trains a deep autoencoder (784-128-64-32 and back) and reports 79% test accuracy for a small
# classifier trained on its 32-number codes.
#
# Whether the non-linear code is worth its training depends on how small the code is. This
# recipe trains one autoencoder for each code size from 2 to 32 numbers, computes PCA codes of
# the same sizes from the same images, and reads every code out in two ways that do not favour
# either method: the 5 nearest neighbours among the training codes, and a linear classifier.
# Hinton and Salakhutdinov (*Science*, 2006) made the case with larger autoencoders (layers of
# 1000, 500 and 250 units, pretrained layer by layer): their 30-number codes rebuilt digits
# better than PCA's, and their 2-number codes kept apart digit classes that PCA's mixed.

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
        "aelib @ git+https://github.com/aebook/aebook@1aa3352e1ccbc1c0e27c4c2c52ea8632cc564e36"
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
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from aelib import metrics, plots, results, runs, tables

# %% [markdown]
# The parameters cell sets the run profile (`full`: real MNIST; `smoke`: seconds on a CPU with
# the embedded sample), the code sizes, and the training budget that every autoencoder gets.
# `runs.start` seeds every random generator, loads the profile's share of the data and says
# what ran.

# %% tags=["parameters"]
PROFILE = "full"
SEED = 42
CODE_SIZES = (2, 4, 8, 16, 32)
EPOCHS = 20
BATCH_SIZE = 512
LEARNING_RATE = 3e-3  # The peak of a cosine decay to zero over the whole run.
NEIGHBOURS = 5  # The k of the nearest-neighbour readout.
HEADLINE_CODE_SIZE = 4

# %%
run = runs.start(
    "dimensionality_reduction",
    PROFILE,
    seed=SEED,
    dataset="mnist",
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    learning_rate=LEARNING_RATE,
    neighbours=NEIGHBOURS,
    headline_code_size=HEADLINE_CODE_SIZE,
)
x_all, y_all = run.x_train, run.y_train
x_test, y_test = run.x_test, run.y_test

# %% [markdown]
# ## Prepare the data
#
# The autoencoders and PCA learn from the same training images without labels (the last tenth
# is held out for validation); the labels serve only the readouts, and test images score once.

# %%
validation_start = len(x_all) * 9 // 10
x_train, x_validation = x_all[:validation_start], x_all[validation_start:]
y_train = y_all[:validation_start]

# %%
# NBVAL_CHECK_OUTPUT
print(f"x_train: (n, {', '.join(map(str, x_train.shape[1:]))}) {x_train.dtype}")
print(f"labels: {sorted(set(y_train.tolist()))}")

# %% [markdown]
# ## Build the model
#
# The seed's model is one stack of dense layers, 784-128-64-*d*-64-128-784, where *d* is the
# code size. The code layer is linear: the seed gives it a ReLU, which can switch a unit off for
# every image and waste part of an already tiny code. The encoder is the stack up to the layer
# named `code`, and it shares the autoencoder's trained weights.


# %%
def build_deep_autoencoder(latent_dim):
    """A 784-128-64-latent_dim-64-128-784 autoencoder on (28, 28, 1) images in [0, 1]."""
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1), name="images"),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(latent_dim, name="code"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(28 * 28, activation="sigmoid"),
            keras.layers.Reshape((28, 28, 1)),
        ],
        name=f"deep_autoencoder_{latent_dim}",
    )


def encoder_of(autoencoder):
    """The encoder inside a trained deep autoencoder: (n, 28, 28, 1) images to (n, d) codes."""
    return keras.Model(autoencoder.inputs[0], autoencoder.get_layer("code").output)


autoencoders = {size: build_deep_autoencoder(size) for size in CODE_SIZES}

# %%
# NBVAL_CHECK_OUTPUT
for size, autoencoder in autoencoders.items():
    print(f"code size {size:2d}: {autoencoder.count_params():,} parameters")

# %% [markdown]
# ## Train
#
# Each autoencoder learns to rebuild its input $x$ (784 pixels in $[0, 1]$) from its own code,
# minimising the binary cross-entropy per pixel between $x$ and the reconstruction
# $\hat{x} = g(f(x))$, where $f$ is the encoder and $g$ the decoder:
#
# $$
# \mathcal{L}(x, \hat{x}) = -\frac{1}{784} \sum_{i=1}^{784}
#     \left[ x_i \log \hat{x}_i + (1 - x_i) \log (1 - \hat{x}_i) \right].
# $$
#
# All five get the same budget, Adam with a cosine-decayed learning rate and large batches,
# fixed with the validation split alone before any test image was scored.

# %%
steps = run.epochs * -(-len(x_train) // run.batch_size)
for size, autoencoder in autoencoders.items():
    schedule = keras.optimizers.schedules.CosineDecay(LEARNING_RATE, steps)
    autoencoder.compile(optimizer=keras.optimizers.Adam(schedule), loss="binary_crossentropy")
    with run.phase(f"train_{size}"):
        history = autoencoder.fit(
            x_train,
            x_train,
            epochs=run.epochs,
            batch_size=run.batch_size,
            validation_data=(x_validation, x_validation),
            verbose=0,
        )
    losses = history.history["val_loss"]
    print(f"code size {size:2d}: validation loss {losses[0]:.4f} -> {losses[-1]:.4f}")

# %% [markdown]
# PCA needs no training loop: one singular value decomposition of the same training images
# gives every code size at once (its first *d* components are PCA with *d* components).

# %%
flat_train, flat_test = x_train.reshape(len(x_train), -1), x_test.reshape(len(x_test), -1)
with run.phase("pca"):
    pca = PCA(max(CODE_SIZES), svd_solver="full").fit(flat_train)


# %% [markdown]
# ## Evaluate
#
# ### Read the codes out
#
# Two readouts, fitted on the training codes and scored on the test codes: a 5-nearest-neighbour
# vote (do images of one digit lie close together?) and logistic regression on standardized
# codes (do straight cuts separate them?). 5-NN on all 784 pixels is the reference.


# %%
def readout_accuracies(train_codes, test_codes):
    """Test accuracy of the k-nearest-neighbour and of the linear readout on (n, d) codes."""
    knn = KNeighborsClassifier(NEIGHBOURS).fit(train_codes, y_train)
    linear = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    linear.fit(train_codes, y_train)
    return knn.score(test_codes, y_test), linear.score(test_codes, y_test)


scores, test_codes = {}, {}  # scores: the record's metrics, e.g. "ae_4_knn_accuracy".
with run.phase("evaluate"):
    for size, autoencoder in autoencoders.items():
        encoder = encoder_of(autoencoder)
        codes = {
            "ae": [keras.ops.convert_to_numpy(encoder(x)) for x in (x_train, x_test)],
            "pca": [pca.transform(flat)[:, :size] for flat in (flat_train, flat_test)],
        }
        # PCA rebuilds an image as the mean plus its code times the first `size` components.
        pca_rebuilt = codes["pca"][1] @ pca.components_[:size] + pca.mean_
        reconstructions = {
            "ae": keras.ops.convert_to_numpy(autoencoder(x_test)),
            "pca": np.clip(pca_rebuilt, 0.0, 1.0).reshape(x_test.shape),
        }
        for method, (train_codes, method_test_codes) in codes.items():
            knn, linear = readout_accuracies(train_codes, method_test_codes)
            scores[f"{method}_{size}_knn_accuracy"] = knn
            scores[f"{method}_{size}_linear_accuracy"] = linear
            scores[f"{method}_{size}_mse"] = metrics.mse(x_test, reconstructions[method])
            test_codes[method, size] = method_test_codes
    pixels = KNeighborsClassifier(NEIGHBOURS).fit(flat_train, y_train)
    scores["pixels_knn_accuracy"] = pixels.score(flat_test, y_test)

columns = {
    f"{label} {readout}": f"{method}_{{}}_{key}"
    for readout, key in (("5-NN", "knn_accuracy"), ("linear", "linear_accuracy"), ("MSE", "mse"))
    for method, label in (("ae", "AE"), ("pca", "PCA"))
}
rows = [
    {"code size": size, **{name: scores[key.format(size)] for name, key in columns.items()}}
    for size in CODE_SIZES
]
formats = {name: ".4f" if "MSE" in name else ".1%" for name in columns}
display(Markdown(tables.markdown_table(rows, formats=formats)))
print(f"5-NN on all 784 pixels: {scores['pixels_knn_accuracy']:.1%}")

# %% mystnb={"figure": {"caption": "Test accuracy of the 5-nearest-neighbour and the linear readout on autoencoder and PCA codes of each size; the dotted line is 5-NN on all 784 pixels.", "name": "accuracy-by-code-size"}, "image": {"alt": "Accuracy against code size: four lines, the autoencoder's above PCA's for small codes."}}
figure, axis = plt.subplots(figsize=(6.5, 4))
for method, label, colour in (("ae", "autoencoder", "tab:blue"), ("pca", "PCA", "tab:orange")):
    for readout, name, style in (("knn", "5-NN", "-o"), ("linear", "linear", "--s")):
        accuracy = [scores[f"{method}_{size}_{readout}_accuracy"] for size in CODE_SIZES]
        axis.plot(CODE_SIZES, accuracy, style, color=colour, label=f"{label}, {name}")
axis.axhline(scores["pixels_knn_accuracy"], color="gray", linestyle=":", label="5-NN, pixels")
axis.set(xscale="log", xlabel="code size (numbers per image)", ylabel="test accuracy")
axis.set_xticks(CODE_SIZES, [str(size) for size in CODE_SIZES])
axis.minorticks_off()
axis.legend(fontsize="small")
plt.show()

# %%
lines = ["The autoencoder's 5-NN lead over PCA for codes of up to 8 numbers:", ""]
for size in (size for size in CODE_SIZES if size <= 8):
    ae_knn, pca_knn = scores[f"ae_{size}_knn_accuracy"], scores[f"pca_{size}_knn_accuracy"]
    line = f"- **{size} numbers**: autoencoder {ae_knn:.1%}, PCA {pca_knn:.1%}"
    line += f", a lead of {100 * (ae_knn - pca_knn):+.1f} points"
    if ae_knn - pca_knn < 0.10:
        line += f", {100 * (pca_knn + 0.10 - ae_knn):.1f} short of 10"
    if pca_knn + 0.10 > scores["pixels_knn_accuracy"]:
        line += (
            f"; a 10-point lead would need {pca_knn + 0.10:.1%}, above the "
            f"{scores['pixels_knn_accuracy']:.1%} of 5-NN on all 784 pixels"
        )
    lines.append(line + ".")
display(Markdown("\n".join(lines)))

# %% [markdown]
# The smaller the code, the larger the autoencoder's lead: along only two or four of PCA's
# directions of greatest variance the digits overlap, while the non-linear encoder places them
# apart. As the code grows, PCA keeps more of the pixels' own distances, which 5-NN relies on,
# and from 16 numbers on it is ahead, since the autoencoder's layers warp its code space. Both
# approach 5-NN on the raw pixels, which caps any lead; at 8 numbers PCA is so close to that cap
# that no code could lead it by 10 points. With the linear readout, and in reconstruction error,
# the autoencoder is ahead at every size: a straight cut through its code is a curved cut
# through the pixels.

# %% [markdown]
# ### The code space in two dimensions
#
# A two-number code can be drawn as it is, coloured by the label that neither method saw.

# %% mystnb={"figure": {"caption": "Two-number codes of test digits from the autoencoder (left) and PCA (right), coloured by digit.", "name": "codes-2d"}, "image": {"alt": "Two scatter plots of two-number codes coloured by digit."}}
shown = min(2000, len(x_test))
panels = {}
for method, label in (("ae", "autoencoder"), ("pca", "PCA")):
    accuracy = scores[f"{method}_2_knn_accuracy"]
    panels[f"{label}, 2 numbers (5-NN {accuracy:.1%})"] = test_codes[method, 2][:shown]
plots.plot_latent_space(panels, y_test[:shown])

# %% [markdown]
# ## Record the results
#
# `results/dimensionality_reduction.json` holds every number of the table (such as
# `ae_4_knn_accuracy`) and the headline: 5-NN at `HEADLINE_CODE_SIZE` numbers.

# %%
headline = results.Headline(
    title="Dimensionality reduction",
    metric=f"ae_{HEADLINE_CODE_SIZE}_knn_accuracy",
    label=f"autoencoder, {HEADLINE_CODE_SIZE}-number codes, 5-NN accuracy",
    baseline_metric=f"pca_{HEADLINE_CODE_SIZE}_knn_accuracy",
    baseline_label=f"PCA, {HEADLINE_CODE_SIZE} components, 5-NN",
    seed_figure="79% (a classifier on 32-number codes)",
    percent=True,
)
run.finish(scores, headline)
ours, baseline = scores[headline.metric], scores[headline.baseline_metric]
print(f"{headline.label}: {ours:.1%}; {headline.baseline_label}: {baseline:.1%}")

# %% [markdown]
# ## What to try next
#
# - Train the seed's small classifier (two dense layers with dropout) on the 32-number codes and
#   compare it with the seed's 79% and with the linear readout above.
# - Widen the encoder towards Hinton and Salakhutdinov's 1000-500-250 layers, or make it
#   convolutional as in the vanilla recipe, and rerun the sweep.
# - Draw the 32-number codes in the plane with t-SNE or UMAP (`umap-learn`) and compare the map
#   with the two-number codes above.
