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
# **Description:** Compress MNIST digits to 32 numbers with a deep autoencoder, then ask whether
# those codes are useful: classify digits from them, and map them to the plane.<br>
# **Accelerator:** none needed (the full profile takes about a quarter of an hour on a CPU).<br>
# <a href="https://colab.research.google.com/github/aebook/aebook/blob/main/recipes/02_dimensionality_reduction.ipynb"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>

# %% [markdown]
# ## Introduction
#
# An autoencoder's encoder is a learned dimensionality reduction: it maps a 784-pixel image to a
# short code from which the decoder can rebuild the image. A code that keeps what matters about
# a digit should also make the digit easy to recognise. The seed article trains a deep
# autoencoder (784-128-64-32 and back), rebuilds a separate decoder from its trained layers,
# then trains a small classifier on the 32-number codes and reports 79% test accuracy.
#
# This recipe does the same with a well-trained encoder, and puts the result in context: the
# same classifier on PCA codes of the same size and on the raw pixels, a nearest-neighbour
# classifier on each, a t-SNE map of the codes, and a 2-d autoencoder beside PCA-2.

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
        "aelib @ git+https://github.com/aebook/aebook@84b95704663d2ecb60b7220c17900631bfb1e97c"
    )
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", aelib_requirement], check=True)
    importlib.invalidate_caches()

# %%
import os

# Keep TensorFlow's start-up notices out of the page; this must precede importing Keras.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
from IPython.display import Markdown, display
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE
from sklearn.neighbors import KNeighborsClassifier

from aelib import baselines, book, data, metrics, plots, profiles, results

# %% [markdown]
# The parameters cell sets the run profile (`full`: real MNIST, the numbers quoted in the text;
# `smoke`: seconds on a CPU with the embedded sample), the code size, and how many random seeds
# each classifier is trained with.

# %% tags=["parameters"]
PROFILE = "full"
SEED = 42
EPOCHS = 30  # For the autoencoders and the classifiers alike; an epoch takes seconds.
BATCH_SIZE = 128
LATENT_DIM = 32
CLASSIFIER_SEEDS = 3  # Each classifier is trained this many times; the table shows mean and spread.
TSNE_POINTS = 2000  # t-SNE's cost grows quickly with the number of points.

# %%
profile = profiles.get_profile(PROFILE, epochs=EPOCHS, batch_size=BATCH_SIZE)
keras.utils.set_random_seed(SEED)
timer = results.PhaseTimer()

# %% [markdown]
# ## Prepare the data
#
# This recipe needs the labels as well as the images: the autoencoders never see them, the
# classifiers and the pictures do.

# %%
with timer("data"):
    dataset = data.load_mnist(source=profile.data_source)
x_train, y_train = profile.take(dataset.x_train, "train"), profile.take(dataset.y_train, "train")
x_test, y_test = profile.take(dataset.x_test, "test"), profile.take(dataset.y_test, "test")
book.show_run_banner(profile, dataset)

# %%
# NBVAL_CHECK_OUTPUT
print(f"x_train: (n, {', '.join(map(str, x_train.shape[1:]))}) {x_train.dtype}")
print(f"labels: {sorted(set(y_train.tolist()))}")

# %% [markdown]
# ## Build the models
#
# ### The deep autoencoder
#
# The seed's model is one stack of dense layers, 784-128-64-32-64-128-784. It is built here as
# one list of layers, so that after training the encoder and the decoder can be *rebuilt* from
# the trained layers: the layers up to the code make the encoder, the rest the decoder. The
# layers keep their weights, so the rebuilt models need no training of their own.
#
# One change from the seed: the code layer is linear. The seed gives it a ReLU, and in our runs
# 4 of its 32 units died (they output zero for every training image), which wasted an eighth of
# the code and cost the classifier below about 0.1 points of accuracy. A linear code cannot die.


# %%
def build_deep_autoencoder(latent_dim, code_activation="linear"):
    """A 784-128-64-latent_dim-64-128-784 autoencoder on (28, 28, 1) images in [0, 1]."""
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1), name="images"),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(latent_dim, activation=code_activation, name="code"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(28 * 28, activation="sigmoid"),
            keras.layers.Reshape((28, 28, 1)),
        ],
        name=f"deep_autoencoder_{latent_dim}",
    )


def split_autoencoder(autoencoder, latent_dim):
    """Rebuild (encoder, decoder) from a deep autoencoder's layers; they share its weights."""
    code_index = [layer.name for layer in autoencoder.layers].index("code")
    encoder = keras.Sequential(
        [keras.Input(shape=(28, 28, 1)), *autoencoder.layers[: code_index + 1]], name="encoder"
    )
    decoder = keras.Sequential(
        [keras.Input(shape=(latent_dim,)), *autoencoder.layers[code_index + 1 :]], name="decoder"
    )
    return encoder, decoder


autoencoder = build_deep_autoencoder(LATENT_DIM)
autoencoder.summary()

# %% [markdown]
# A second autoencoder squeezes the digits to **two** numbers, so its codes can be drawn as
# points in the plane.

# %%
autoencoder_2d = build_deep_autoencoder(2)

# %% [markdown]
# ### The classifier
#
# The seed's classifier: two dense layers with dropout and a softmax over the ten digits. A
# `Normalization` layer in front rescales each input feature to zero mean and unit variance on
# the training set. Code units come in arbitrary scales, some far larger than others, and a
# classifier trained on them raw learns slowly; the pixels and the PCA codes get the same
# treatment, so the comparison stays fair.


# %%
def build_classifier(x_train_features):
    """The seed's digit classifier on (n, features) inputs; outputs 10 class probabilities."""
    normalization = keras.layers.Normalization()
    normalization.adapt(x_train_features)
    return keras.Sequential(
        [
            keras.Input(shape=x_train_features.shape[1:]),
            normalization,
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dropout(0.4),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


# %% [markdown]
# These numbers must not drift between profiles.

# %%
# NBVAL_CHECK_OUTPUT
for model in (autoencoder, autoencoder_2d):
    print(f"{model.name}: {model.count_params():,} parameters")
print(
    f"classifier on {LATENT_DIM} codes: {build_classifier(np.ones((2, LATENT_DIM))).count_params():,}"
)

# %% [markdown]
# ## Train
#
# ### The autoencoders
#
# Both autoencoders learn to reproduce their input with binary cross-entropy and Adam, as in
# the first recipe. They never see a label.

# %%
histories = {}
for model in (autoencoder, autoencoder_2d):
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
    with timer(f"train_{model.name}"):
        histories[model.name] = model.fit(
            x_train,
            x_train,
            epochs=profile.epochs,
            batch_size=profile.batch_size,
            validation_split=0.1,
            shuffle=True,
            verbose=0,
        )
    validation_loss = histories[model.name].history["val_loss"]
    print(f"{model.name}: validation loss {validation_loss[0]:.4f} -> {validation_loss[-1]:.4f}")

# %%
plots.plot_history(histories, title="Binary cross-entropy per pixel")

# %% [markdown]
# ### Encode, and decode again
#
# The rebuilt encoder turns every image into its code; the rebuilt decoder turns codes back into
# images. Decoding the codes must give exactly what the autoencoder outputs, since the two paths
# run the same layers with the same weights.

# %%
encoder, decoder = split_autoencoder(autoencoder, LATENT_DIM)
codes_train = encoder.predict(x_train, batch_size=1024, verbose=0)
codes_test = encoder.predict(x_test, batch_size=1024, verbose=0)
decoded_test = decoder.predict(codes_test, batch_size=1024, verbose=0)
decoder_difference = float(
    np.abs(decoded_test - autoencoder.predict(x_test, batch_size=1024, verbose=0)).max()
)
dead_units = int(np.sum(np.ptp(codes_train, axis=0) < 1e-6))

# %%
# NBVAL_CHECK_OUTPUT
print(
    f"codes_train: (n, {codes_train.shape[1]}), decoded_test: (n, 28, 28, 1) is {decoded_test.shape[1:] == (28, 28, 1)}"
)
print(f"decoder(encoder(x)) matches autoencoder(x): {decoder_difference < 1e-5}")

# %% [markdown]
# A code unit that outputs the same value for every training image carries no information: it
# is *dead*. With the seed's ReLU code this count was 4; the linear code keeps all 32 alive.

# %%
print(f"{dead_units} of {LATENT_DIM} code units are dead")

# %% [markdown]
# ### The classifiers
#
# The same classifier is trained on three representations of the same images: the 32-number
# autoencoder codes, the 32-number PCA codes (PCA fitted on the training images only), and the
# 784 raw pixels. Each is trained `CLASSIFIER_SEEDS` times from different random initial weights;
# with differences of a few tenths of a percent between representations, one run per cell could
# not tell them apart.

# %%
with timer("pca"):
    pca = PCA(LATENT_DIM, random_state=SEED).fit(x_train.reshape(len(x_train), -1))
    pca_train = pca.transform(x_train.reshape(len(x_train), -1))
    pca_test = pca.transform(x_test.reshape(len(x_test), -1))
features = {
    f"autoencoder codes ({LATENT_DIM})": (codes_train, codes_test),
    f"PCA codes ({LATENT_DIM})": (pca_train, pca_test),
    "raw pixels (784)": (x_train.reshape(len(x_train), -1), x_test.reshape(len(x_test), -1)),
}

accuracies = {name: [] for name in features}
with timer("classifiers"):
    for name, (train_features, test_features) in features.items():
        for run in range(CLASSIFIER_SEEDS):
            keras.utils.set_random_seed(SEED + run)
            classifier = build_classifier(train_features)
            classifier.compile(
                optimizer=keras.optimizers.Adam(1e-3),
                loss="sparse_categorical_crossentropy",
                metrics=["accuracy"],
            )
            classifier.fit(
                train_features,
                y_train,
                epochs=profile.epochs,
                batch_size=profile.batch_size,
                verbose=0,
            )
            accuracies[name].append(classifier.evaluate(test_features, y_test, verbose=0)[1])
        print(f"{name}: test accuracy {100 * np.mean(accuracies[name]):.2f}%")

# %% [markdown]
# ## Evaluate
#
# ### How well the codes reconstruct
#
# First the autoencoder's own job, on the held-out test images, against PCA with as many
# components: per-pixel BCE and MSE, and PSNR per image (data range 1) then averaged.

# %%
pca_reconstruction = baselines.pca_reconstruction(x_train, x_test, LATENT_DIM)
reconstruction_scores = {
    f"PCA-{LATENT_DIM}": pca_reconstruction,
    f"autoencoder ({LATENT_DIM})": decoded_test,
}
table = ["| model | BCE | MSE | PSNR (dB) |", "|---|---:|---:|---:|"]
for name, reconstruction in reconstruction_scores.items():
    table.append(
        f"| {name} | {metrics.bce(x_test, reconstruction):.4f} "
        f"| {metrics.mse(x_test, reconstruction):.4f} | {metrics.psnr(x_test, reconstruction):.2f} |"
    )
display(Markdown("\n".join(table)))

# %% [markdown]
# ### How well the codes classify
#
# The table shows the test accuracy of the seed's classifier (mean and standard deviation over
# the seeds) and of a 5-nearest-neighbour classifier, which has no training randomness and
# measures something different: whether images of the same digit lie close together in the
# code space, with every dimension counted equally.

# %%
with timer("knn"):
    knn_accuracies = {
        name: KNeighborsClassifier(5).fit(train_features, y_train).score(test_features, y_test)
        for name, (train_features, test_features) in features.items()
    }
table = [
    "| representation | classifier (mean ± sd) | 5-NN |",
    "|---|---:|---:|",
]
for name in features:
    table.append(
        f"| {name} | {100 * np.mean(accuracies[name]):.2f}% ± {100 * np.std(accuracies[name]):.2f} "
        f"| {100 * knn_accuracies[name]:.2f}% |"
    )
display(Markdown("\n".join(table)))

# %% [markdown]
# With a well-trained encoder and standardized inputs, the seed's classifier reaches 98.4% on
# the autoencoder codes, far above the 79% the seed reports: codes that rebuild a digit well
# also identify it. Against PCA codes of the same size the lead is small, 0.07 points, about two
# standard errors over three seeds: real on this run, but no reason on its own to prefer an
# autoencoder for classification. Both 32-number codes beat the raw pixels with this small
# classifier, probably because its 784 standardized inputs, many of them almost always black,
# give it more to overfit, while a code has already discarded most of the pixel noise.
#
# The nearest-neighbour column can disagree with the classifier's. PCA preserves Euclidean
# distances as well as any 32-d linear map can, which is exactly what 5-NN relies on; the
# autoencoder's code space is warped by its non-linear layers, so its distances are less
# faithful even when the information is all there for a trained classifier to read.

# %% [markdown]
# ### The code space in two dimensions
#
# t-SNE draws high-dimensional points in the plane so that close neighbours stay close. Drawn
# for the 32-d autoencoder codes of test digits, coloured by the label the autoencoder never saw,
# the digits fall into separate islands.

# %%
tsne_count = min(TSNE_POINTS, len(x_test))
with timer("tsne"):
    tsne_map = TSNE(2, init="pca", random_state=SEED).fit_transform(codes_test[:tsne_count])
plots.plot_latent_space(
    {f"t-SNE of the {LATENT_DIM}-d autoencoder codes": tsne_map}, y_test[:tsne_count]
)

# %% [markdown]
# A code that is itself two-dimensional needs no t-SNE. The 2-d autoencoder's codes and the
# first two principal components of the same test images, side by side: the autoencoder gives
# several digits arms of their own, though others still crowd its centre, while PCA's linear
# projection overlaps most classes. The 5-NN accuracy within each plane puts a number on the
# difference.

# %%
encoder_2d, _ = split_autoencoder(autoencoder_2d, 2)
codes_2d = {
    "autoencoder, 2-d code": (
        encoder_2d.predict(x_train, batch_size=1024, verbose=0),
        encoder_2d.predict(x_test, batch_size=1024, verbose=0),
    ),
    "PCA, 2 components": (pca_train[:, :2], pca_test[:, :2]),
}
knn_2d = {
    name: KNeighborsClassifier(5).fit(train_codes, y_train).score(test_codes, y_test)
    for name, (train_codes, test_codes) in codes_2d.items()
}
plots.plot_latent_space(
    {
        f"{name} (5-NN {100 * knn_2d[name]:.1f}%)": test_codes[:tsne_count]
        for name, (_, test_codes) in codes_2d.items()
    },
    y_test[:tsne_count],
)

# %% [markdown]
# ### What the decoder makes of codes
#
# Rows: test digits, their reconstruction from 32 autoencoder numbers, from 32 PCA numbers, and
# from the 2-d code.

# %%
plots.show_image_rows(
    {
        "original": x_test,
        f"autoencoder ({LATENT_DIM})": decoded_test,
        f"PCA-{LATENT_DIM}": pca_reconstruction,
        "autoencoder (2)": autoencoder_2d.predict(x_test[:10], verbose=0),
    },
    count=10,
)

# %% [markdown]
# ## Record the results
#
# The metrics in `results/dimensionality_reduction.json`: reconstruction `ae_bce`, `ae_mse`,
# `ae_psnr`, `pca_bce`, `pca_mse`, `pca_psnr`; classifier accuracies `<input>_accuracy_mean`,
# `<input>_accuracy_std` and `<input>_knn_accuracy` for `ae`, `pca` and `pixels`;
# `ae_2d_knn_accuracy` and `pca_2d_knn_accuracy`; `dead_units`; and the decoder check
# `decoder_max_difference`.

# %%
keys = dict(zip(features, ("ae", "pca", "pixels"), strict=True))
record_metrics = {
    "ae_bce": metrics.bce(x_test, decoded_test),
    "ae_mse": metrics.mse(x_test, decoded_test),
    "ae_psnr": metrics.psnr(x_test, decoded_test),
    "pca_bce": metrics.bce(x_test, pca_reconstruction),
    "pca_mse": metrics.mse(x_test, pca_reconstruction),
    "pca_psnr": metrics.psnr(x_test, pca_reconstruction),
    "ae_2d_knn_accuracy": knn_2d["autoencoder, 2-d code"],
    "pca_2d_knn_accuracy": knn_2d["PCA, 2 components"],
    "dead_units": dead_units,
    "decoder_max_difference": decoder_difference,
    "classifier_seeds": CLASSIFIER_SEEDS,
}
for name, key in keys.items():
    record_metrics[f"{key}_accuracy_mean"] = float(np.mean(accuracies[name]))
    record_metrics[f"{key}_accuracy_std"] = float(np.std(accuracies[name]))
    record_metrics[f"{key}_knn_accuracy"] = knn_accuracies[name]
path = results.save_record(
    "dimensionality_reduction", profile.name, dataset.source, record_metrics, timer.seconds
)
print(
    f"wrote {path.name}: {len(record_metrics)} metrics, "
    f"e.g. ae_accuracy_mean = {record_metrics['ae_accuracy_mean']:.4f}"
)

# %% [markdown]
# ## What to try next
#
# - Remove the `Normalization` layer from the classifier and train it on the raw codes: how
#   close does the accuracy come to the seed's 79%?
# - Change `LATENT_DIM` to 8 or 64 and watch reconstruction and accuracy move in opposite
#   directions as the code shrinks.
# - Fine-tune the encoder together with the classifier (unfreeze it) on a few hundred labels:
#   that is the pretext-pretraining recipe's idea.
# - Replace t-SNE by UMAP (`umap-learn`), which also keeps some of the global layout.
