# ---
# jupyter:
#   accelerator: GPU
#   colab:
#     gpuType: T4
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: accelerator,colab
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
# # Colorization with autoencoders
#
# **Description:** Predict the colours of CIFAR-10 photos from their grayscale version with a
# U-Net that predicts only the colour, and measure it and the seed's bottleneck autoencoder
# against simply copying the gray image.<br>
# **Accelerator:** GPU (this notebook asks Colab for a T4; the full profile took 73.4 minutes on a 2-core CPU).<br>
# <a href="https://colab.research.google.com/github/aebook/aebook/blob/main/recipes/04_colorization.ipynb"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>

# %% [markdown]
# ## Introduction
#
# A grayscale photo keeps each pixel's brightness and loses its colour; an autoencoder can learn
# to put the colour back. The seed (the R-Keras cookbook) squeezes the gray image through three
# stride-2 convolutions into a 256-number latent vector and rebuilds the colour image with a
# mirrored decoder, trained for 20 epochs with batch size 32 on all 50,000 CIFAR-10 photos.
#
# That bottleneck throws away what the input already knows: every pixel's brightness comes back
# blurred. This recipe's U-Net carries the detail around the bottleneck with skip connections
# and predicts only the two colour channels of the YUV colour space; the brightness is copied.

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
        "aelib @ git+https://github.com/aebook/aebook@ea9858f6b4ad31cd54a3342c9dadbaaf974b641d"
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

from aelib import metrics, plots, results, runs, tables

# %% [markdown]
# The parameters cell sets the run profile (`full`: real CIFAR-10, the published numbers; `smoke`:
# seconds on a CPU with crops of scikit-image's photos) and the training lengths. The seed's model
# gets a *shortened* budget: 5 epochs with batch size 64 on 20,000 photos. `runs.start` seeds every
# random generator, loads the profile's share of the data and says what ran.

# %% tags=["parameters"]
PROFILE = "full"
SEED = 42
EPOCHS = 16
BATCH_SIZE = 64
UNET_WIDTHS = (32, 64, 128, 256)
SEED_MODEL_EPOCHS = 5
SEED_MODEL_TRAIN_SIZE = 20_000

# %%
run = runs.start(
    "colorization",
    PROFILE,
    seed=SEED,
    dataset="cifar10",
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    seed_model_epochs=SEED_MODEL_EPOCHS,
    seed_model_train_size=SEED_MODEL_TRAIN_SIZE,
)
x_train, x_test = run.x_train, run.x_test

# %% [markdown]
# ## Prepare the data
#
# The published numbers come from the data folder's copy of CIFAR-10, which went through one
# JPEG round trip: its photos carry slight compression artefacts.
#
# The YUV colour space splits a pixel into its luma Y, the weighted brightness
# $0.299 R + 0.587 G + 0.114 B$ that a grayscale conversion keeps, and two chroma channels U and
# V, how blue and how red it is beyond that. The transform is linear and invertible, so a model
# that predicts U and V and takes Y from its input loses nothing of the brightness.

# %%
RGB_TO_YUV = np.array(
    [[0.299, 0.587, 0.114], [-0.14713, -0.28886, 0.436], [0.615, -0.51499, -0.10001]],
    dtype=np.float32,
)
YUV_TO_RGB = np.linalg.inv(RGB_TO_YUV).astype(np.float32)


def rgb_to_yuv(images):
    """(n, h, w, 3) RGB in [0, 1] to YUV: Y in [0, 1], U in about ±0.44, V in about ±0.62."""
    return np.asarray(images, dtype=np.float32) @ RGB_TO_YUV.T


def yuv_to_rgb(images):
    """(n, h, w, 3) YUV back to RGB, clipped to [0, 1]."""
    return np.clip(np.asarray(images, dtype=np.float32) @ YUV_TO_RGB.T, 0.0, 1.0)


# %%
yuv_train, yuv_test = rgb_to_yuv(x_train), rgb_to_yuv(x_test)
gray_train, gray_test = yuv_train[..., :1], yuv_test[..., :1]

# %%
# NBVAL_CHECK_OUTPUT
print(f"round trip RGB -> YUV -> RGB exact: {np.abs(yuv_to_rgb(yuv_test) - x_test).max() < 1e-5}")

# %% [markdown]
# ## Build the models
#
# ### The seed's bottleneck autoencoder
#
# Three stride-2 convolutions (64, 128, 256 filters) take the 32x32 gray image to 4x4x256, a
# dense layer squeezes that to 256 numbers, and mirrored transposed convolutions rebuild a 32x32
# RGB image.


# %%
def build_seed_colorizer():
    """The seed's colorizer: (32, 32, 1) gray in [0, 1] to (32, 32, 3) RGB in [0, 1]."""
    halve_or_double = {"kernel_size": 3, "strides": 2, "activation": "relu", "padding": "same"}
    gray = keras.Input(shape=(32, 32, 1), name="gray")
    hidden = gray
    for filters in (64, 128, 256):
        hidden = keras.layers.Conv2D(filters, **halve_or_double)(hidden)
    latent = keras.layers.Dense(256, name="latent")(keras.layers.Flatten()(hidden))
    hidden = keras.layers.Reshape((4, 4, 256))(keras.layers.Dense(4 * 4 * 256)(latent))
    for filters in (256, 128, 64):
        hidden = keras.layers.Conv2DTranspose(filters, **halve_or_double)(hidden)
    rgb = keras.layers.Conv2DTranspose(3, 3, activation="sigmoid", padding="same")(hidden)
    return keras.Model(gray, rgb, name="seed_colorizer")


# %% [markdown]
# ### A U-Net that predicts only the colour
#
# The skip connections give the decoder the encoder's feature maps at full resolution, so edges,
# where colours change, stay sharp; three poolings (32 to 4 pixels) let the deepest level see
# the whole image and tell sky from sea. The two chroma outputs are linear: U and V can be negative.


# %%
def build_chroma_unet(widths):
    """A U-Net, one level per width: (32, 32, 1) luma to (32, 32, 2) chroma (U, V), linear."""

    def convolutions(hidden, width):
        for _ in range(2):
            hidden = keras.layers.Conv2D(width, 3, activation="relu", padding="same")(hidden)
        return hidden

    gray = keras.Input(shape=(32, 32, 1), name="gray")
    hidden, skips = gray, []
    for width in widths[:-1]:
        hidden = convolutions(hidden, width)
        skips.append(hidden)
        hidden = keras.layers.MaxPooling2D(2)(hidden)
    hidden = convolutions(hidden, widths[-1])
    # On the way up, each level sees the upsampled coarse features and the same-size skip.
    for width, skip in zip(reversed(widths[:-1]), reversed(skips), strict=True):
        hidden = keras.layers.Concatenate()([keras.layers.UpSampling2D(2)(hidden), skip])
        hidden = convolutions(hidden, width)
    chroma = keras.layers.Conv2D(2, 1, name="chroma")(hidden)
    return keras.Model(gray, chroma, name="chroma_unet")


def colorize(chroma_model, gray):
    """(n, 32, 32, 1) luma with the model's predicted chroma, as RGB in [0, 1]."""
    chroma = chroma_model.predict(gray, batch_size=512, verbose=0)
    return yuv_to_rgb(np.concatenate([gray, chroma], axis=-1))


seed_colorizer = build_seed_colorizer()
chroma_unet = build_chroma_unet(UNET_WIDTHS)

# %%
# NBVAL_CHECK_OUTPUT
for model in (seed_colorizer, chroma_unet):
    print(f"{model.name}: {model.count_params():,} parameters, output {model.output.shape[1:]}")

# %% [markdown]
# ## Train
#
# Both models minimize a squared error with Adam. The seed's model predicts RGB, so its loss
# runs over the three colour channels of each of the $N = 32 \times 32$ pixels; the U-Net's
# runs over U and V only (each averaged over the batch):
#
# $$
# \mathcal{L}_\text{seed} = \frac{1}{3N} \sum_{p=1}^{N} \sum_{c \in \{R, G, B\}}
#   \left(\hat{x}_{p,c} - x_{p,c}\right)^2,
# \qquad
# \mathcal{L}_\text{U-Net} = \frac{1}{2N} \sum_{p=1}^{N}
#   \left[\left(\hat{U}_p - U_p\right)^2 + \left(\hat{V}_p - V_p\right)^2\right].
# $$
#
# The U-Net trains longer, with a cosine decay; both keep a tenth of their photos to validate.

# %%
histories = {}
fit_options = {"batch_size": run.batch_size, "validation_split": 0.1, "verbose": 0}
seed_colorizer.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mean_squared_error")
seed_pairs = (gray_train[:SEED_MODEL_TRAIN_SIZE], x_train[:SEED_MODEL_TRAIN_SIZE])
with run.phase("train_seed"):
    histories["seed"] = seed_colorizer.fit(*seed_pairs, epochs=SEED_MODEL_EPOCHS, **fit_options)

steps = run.epochs * int(np.ceil(0.9 * len(x_train) / run.batch_size))
rate = keras.optimizers.schedules.CosineDecay(1e-3, steps)
chroma_unet.compile(optimizer=keras.optimizers.Adam(rate), loss="mean_squared_error")
with run.phase("train_U-Net"):
    histories["U-Net"] = chroma_unet.fit(
        gray_train, yuv_train[..., 1:], epochs=run.epochs, **fit_options
    )
for name, history in histories.items():
    validation_loss = history.history["val_loss"]
    print(f"{name}: validation loss {validation_loss[0]:.4f} -> {validation_loss[-1]:.4f}")

# %% [markdown]
# ## Evaluate
#
# Three numbers per method, on the test photos. The peak signal-to-noise ratio of an estimate
# $\hat{x}$ of an image $x$ with pixel values in $[0, 1]$ is
#
# $$
# \mathrm{PSNR}(x, \hat{x}) = 10 \log_{10} \frac{1}{\mathrm{MSE}(x, \hat{x})} \ \text{dB}.
# $$
#
# *PSNR* is its mean over images (each capped at 60 dB), *pooled PSNR* uses the MSE over the
# whole test set, *SSIM* is the mean structural similarity. The baseline copies the gray image
# into all three channels: exact in brightness, wrong in colour by exactly the chroma, and exact
# on the few truly gray photos, whose capped 60 dB inflate its mean PSNR. The pooled PSNR weighs
# every pixel's error alike and is the headline.

# %%
gray_copy = np.repeat(gray_test, 3, axis=-1)
with run.phase("evaluate"):
    outputs = {
        "gray copy": gray_copy,
        "seed (shortened budget)": seed_colorizer.predict(gray_test, batch_size=512, verbose=0),
        "U-Net (chroma)": colorize(chroma_unet, gray_test),
    }
    rows = [
        {
            "method": name,
            "PSNR (dB)": metrics.psnr(x_test, output),
            "pooled PSNR (dB)": metrics.pooled_psnr(x_test, output),
            "SSIM": metrics.ssim(x_test, output),
        }
        for name, output in outputs.items()
    ]
formats = {"PSNR (dB)": ".2f", "pooled PSNR (dB)": ".2f", "SSIM": ".3f"}
display(Markdown(tables.markdown_table(rows, formats=formats)))

# %% [markdown]
# The seed's bottleneck model, on its shortened budget, scores below the gray copy: all it
# outputs, brightness included, has passed through 256 numbers. The U-Net keeps the brightness
# and adds colour, modestly: trained on squared error, it predicts the *average* colour of a
# texture, so its colours are muted (green fields come out olive) and it hedges towards brown
# where a red boat and a blue boat look alike in gray.

# %% mystnb={"image": {"alt": "Ten test photos: gray input, the seed's model, the U-Net, truth."}}
seed_output, unet_output = outputs["seed (shortened budget)"], outputs["U-Net (chroma)"]
plots.show_image_rows(
    {"gray": gray_copy, "seed": seed_output, "U-Net": unet_output, "truth": x_test}
)

# %% [markdown]
# *Figure: top to bottom, the gray input, the seed's model, the U-Net, the true colours.*
#
# The photos on which the U-Net loses most against the gray copy were black and white to begin
# with: it paints in what such a scene usually looks like (a blue sky behind an aeroplane).

# %% mystnb={"image": {"alt": "The eight test photos where the U-Net loses most to the gray copy."}}
psnr_gain = metrics.psnr_per_image(x_test, unet_output) - metrics.psnr_per_image(x_test, gray_copy)
worst = np.argsort(psnr_gain)[:8]
rows_of_worst = {"gray": gray_copy, "U-Net": unet_output, "truth": x_test}
plots.show_image_rows({name: images[worst] for name, images in rows_of_worst.items()}, count=8)

# %% [markdown]
# *Figure: the eight test photos where the U-Net loses most PSNR to the gray copy.*

# %%
# The record, `results/colorization.json`: the table's scores (`unet_pooled_psnr`, ...), losses.
record_metrics = {}
for row, key in zip(rows, ("gray", "seed", "unet"), strict=True):
    record_metrics[f"{key}_psnr"] = row["PSNR (dB)"]
    record_metrics[f"{key}_pooled_psnr"] = row["pooled PSNR (dB)"]
    record_metrics[f"{key}_ssim"] = row["SSIM"]
for name, key in (("seed", "seed"), ("U-Net", "unet")):
    record_metrics[f"{key}_first_epoch_loss"] = histories[name].history["loss"][0]
    record_metrics[f"{key}_last_epoch_loss"] = histories[name].history["loss"][-1]
headline = results.Headline(
    title="Colorization",
    metric="unet_pooled_psnr",
    label="U-Net on chroma, CIFAR-10, pooled PSNR (dB)",
    baseline_metric="gray_pooled_psnr",
    baseline_label="gray copy of the same photos",
)
run.finish(record_metrics, headline)

# %% [markdown]
# ## What to try next
#
# - Train the seed's model on the seed's own budget (20 epochs, batch size 32, all 50,000
#   photos), then give it the U-Net's trick: add its output to the gray copy (a residual).
# - Mirror each training pair left to right at random, and average the prediction for a test
#   photo with the mirrored prediction for its mirror image: two guesses that err differently.
# - Replace the squared error by a classification over quantized colours (Zhang et al., 2016):
#   squared error rewards hedging towards grey, a classifier can commit to a vivid guess.
# - Predict chroma in the Lab colour space, whose distances follow perceived colour more closely.
