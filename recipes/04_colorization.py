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
# **Description:** Predict the colours of CIFAR-10 photos from their grayscale version, and
# measure the colour alone: what predicting only the colour brings, what a U-Net's skip
# connections add, and what both beat.<br>
# **Accelerator:** GPU (this notebook asks Colab for a T4; the full profile took 8.9 minutes on a 2-core CPU).<br>
# <a href="https://colab.research.google.com/github/aebook/aebook/blob/main/recipes/04_colorization.ipynb"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>

# %% [markdown]
# ## Introduction
#
# A grayscale photo keeps each pixel's brightness and loses its colour; an autoencoder can learn
# to put the colour back. The seed (the R-Keras cookbook) squeezes the gray image through three
# stride-2 convolutions into a 256-number latent vector and rebuilds the colour image with a
# mirrored decoder, trained for 20 epochs with batch size 32 on all 50,000 CIFAR-10 photos.
#
# That design makes two choices one can change one at a time. Its *target* is the whole
# RGB image, so the brightness the input already holds must squeeze through the bottleneck too;
# predicting only the two colour channels of the YUV colour space and copying the brightness
# removes that burden. Its *shape* is a bottleneck; a U-Net's skip connections carry the
# full-resolution detail around it. This recipe trains the seed's model with each target and a
# U-Net on the same photos and budget, and scores the colour on its own.

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

# Keep TensorFlow's start-up notices out of the page; this must precede importing Keras.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
from IPython.display import Markdown, display
from skimage import color

from aelib import metrics, plots, results, runs, stats, tables

# %% [markdown]
# The parameters cell sets the run profile (`full`: real CIFAR-10, the published numbers; `smoke`:
# seconds on a CPU with crops of scikit-image's photos) and one budget for all three models: 2
# epochs with batch size 64 on the first 30,000 training photos, a tenth of them kept to
# validate. `runs.start` seeds every random generator, loads the profile's share of the data and
# says what ran.

# %% tags=["parameters"]
PROFILE = "full"
SEED = 42
EPOCHS = 2
BATCH_SIZE = 64
TRAIN_SIZE = 30_000
UNET_WIDTHS = (16, 32, 64, 128)
BOOTSTRAP_RESAMPLES = 1000

# %%
run = runs.start(
    "colorization",
    PROFILE,
    seed=SEED,
    dataset="cifar10",
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    train_size=TRAIN_SIZE,
)
x_train, x_test = run.x_train[:TRAIN_SIZE], run.x_test

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
# ### The seed's bottleneck autoencoder, with either target
#
# Three stride-2 convolutions (64, 128, 256 filters) take the 32x32 gray image to 4x4x256, a
# dense layer squeezes that to 256 numbers, and mirrored transposed convolutions rebuild a 32x32
# image: three RGB channels in [0, 1], as in the seed, or two linear chroma channels (U and V can
# be negative).


# %%
def build_seed_colorizer(target):
    """The seed's bottleneck model: (32, 32, 1) gray to "rgb" (3, in [0, 1]) or "chroma" (2)."""
    halve_or_double = {"kernel_size": 3, "strides": 2, "activation": "relu", "padding": "same"}
    gray = keras.Input(shape=(32, 32, 1), name="gray")
    hidden = gray
    for filters in (64, 128, 256):
        hidden = keras.layers.Conv2D(filters, **halve_or_double)(hidden)
    latent = keras.layers.Dense(256, name="latent")(keras.layers.Flatten()(hidden))
    hidden = keras.layers.Reshape((4, 4, 256))(keras.layers.Dense(4 * 4 * 256)(latent))
    for filters in (256, 128, 64):
        hidden = keras.layers.Conv2DTranspose(filters, **halve_or_double)(hidden)
    channels, activation = (3, "sigmoid") if target == "rgb" else (2, None)
    output = keras.layers.Conv2DTranspose(channels, 3, activation=activation, padding="same")(
        hidden
    )
    return keras.Model(gray, output, name=f"seed_{target}")


# %% [markdown]
# ### A U-Net that predicts only the colour
#
# The skip connections give the decoder the encoder's feature maps at full resolution, so edges,
# where colours change, can stay sharp; three poolings (32 to 4 pixels) let the deepest level see
# the whole photo and tell sky from sea. Its widths keep it far smaller than the seed's model.


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


models = {
    "seed, RGB": (build_seed_colorizer("rgb"), x_train),
    "seed, chroma": (build_seed_colorizer("chroma"), yuv_train[..., 1:]),
    "U-Net, chroma": (build_chroma_unet(UNET_WIDTHS), yuv_train[..., 1:]),
}

# %%
# NBVAL_CHECK_OUTPUT
for name, (model, _) in models.items():
    print(f"{name}: {model.count_params():,} parameters, output {model.output.shape[1:]}")

# %% [markdown]
# ## Train
#
# Each model minimizes the squared error of its own target with Adam and a cosine decay: over
# the three colour channels of each of the $N = 32 \times 32$ pixels for the RGB target, over U
# and V only for the chroma target (each averaged over the batch):
#
# $$
# \mathcal{L}_\text{RGB} = \frac{1}{3N} \sum_{p=1}^{N} \sum_{c \in \{R, G, B\}}
#   \left(\hat{x}_{p,c} - x_{p,c}\right)^2,
# \qquad
# \mathcal{L}_\text{chroma} = \frac{1}{2N} \sum_{p=1}^{N}
#   \left[\left(\hat{U}_p - U_p\right)^2 + \left(\hat{V}_p - V_p\right)^2\right].
# $$

# %%
steps = run.epochs * int(np.ceil(0.9 * len(x_train) / run.batch_size))
fit_options = {"batch_size": run.batch_size, "validation_split": 0.1, "verbose": 0}
losses = {}
for name, (model, targets) in models.items():
    rate = keras.optimizers.schedules.CosineDecay(1e-3, steps)
    model.compile(optimizer=keras.optimizers.Adam(rate), loss="mean_squared_error")
    with run.phase(f"train_{model.name}"):
        history = model.fit(gray_train, targets, epochs=run.epochs, **fit_options)
    losses[model.name] = history.history["loss"]
    validation_loss = history.history["val_loss"]
    print(f"{name}: validation loss {validation_loss[0]:.4f} -> {validation_loss[-1]:.4f}")

# %% [markdown]
# ## Evaluate
#
# Two baselines need no training: the gray copy (no colour, U = V = 0) and the gray image with
# the mean chroma of the training photos. Four numbers per method, on the 10,000 test photos:
# *RGB PSNR* and *SSIM* on the colour photo, which mostly measure the brightness, and two that
# measure the colour alone. *Chroma PSNR* is $10 \log_{10}(1 / \mathrm{MSE})$ over U and V, the
# MSE pooled over all test photos; *CIEDE2000* (Sharma et al., 2005
# {cite:p}`sharma2005`) is the standard perceptual
# colour difference, averaged over pixels.

# %%
KEYS = {
    "gray copy": "gray",
    "gray + mean chroma": "mean_chroma",
    "seed, RGB": "seed_rgb",
    "seed, chroma": "seed_chroma",
    "U-Net, chroma": "unet",
}
mean_chroma = yuv_train[..., 1:].mean(axis=(0, 1, 2))
photos = {
    "gray copy": np.repeat(gray_test, 3, axis=-1),
    "gray + mean chroma": yuv_to_rgb(np.concatenate([gray_test, 0 * gray_test + mean_chroma], -1)),
}
with run.phase("evaluate"):
    for name, (model, _) in models.items():
        # The seed's RGB model predicts the brightness too: its photos keep its own luma.
        rgb = model.predict(gray_test, batch_size=512, verbose=0) if name == "seed, RGB" else None
        photos[name] = colorize(model, gray_test) if rgb is None else rgb
    true_lab = color.rgb2lab(x_test)
    chroma_errors, colour_differences, rows = {}, {}, []
    for name, photo in photos.items():
        chroma_errors[name] = np.mean((rgb_to_yuv(photo) - yuv_test)[..., 1:] ** 2, axis=(1, 2, 3))
        differences = color.deltaE_ciede2000(true_lab, color.rgb2lab(photo))
        colour_differences[name] = differences.mean(axis=(1, 2))
        rows.append(
            {
                "method": name,
                "RGB PSNR (dB)": metrics.pooled_psnr(x_test, photo),
                "SSIM": metrics.ssim(x_test, photo),
                "chroma PSNR (dB)": -10 * np.log10(chroma_errors[name].mean()),
                "CIEDE2000": colour_differences[name].mean(),
            }
        )
formats = {"RGB PSNR (dB)": ".2f", "SSIM": ".3f", "chroma PSNR (dB)": ".2f", "CIEDE2000": ".2f"}
display(Markdown(tables.markdown_table(rows, formats=formats)))

# %% [markdown]
# Is the U-Net's colour better, or within the noise of which photos the test set holds? The 95%
# intervals come from resampling the photos (a bootstrap) for chroma PSNR, from the t
# distribution for the mean CIEDE2000; a verdict needs the interval to exclude zero.

# %%
resampled = np.random.default_rng(SEED).integers(0, len(x_test), (BOOTSTRAP_RESAMPLES, len(x_test)))


def chroma_psnr_gain(errors, baseline_errors):
    """Chroma PSNR gain over the baseline, dB: pooled over the photos, and its 95% interval."""
    gain = 10 * np.log10(baseline_errors.mean() / errors.mean())
    resampled_gains = 10 * np.log10(baseline_errors[resampled].mean(1) / errors[resampled].mean(1))
    return gain, *np.percentile(resampled_gains, [2.5, 97.5])


comparisons, record_metrics = [], {}
for name in [name for name in photos if name != "U-Net, chroma"]:
    gain, low, high = chroma_psnr_gain(chroma_errors["U-Net, chroma"], chroma_errors[name])
    difference = stats.paired_difference(
        colour_differences["U-Net, chroma"], colour_differences[name]
    )
    verdict = "wins" if low > 0 else ("loses" if high < 0 else "ties")
    comparisons.append(
        {
            "U-Net against": name,
            "chroma PSNR gain (dB)": f"{gain:+.3f} ({low:+.3f} to {high:+.3f})",
            "CIEDE2000 change": stats.describe_interval(difference, digits=3),
            "verdict (chroma PSNR)": verdict,
        }
    )
    key = f"unet_gain_over_{KEYS[name]}"
    record_metrics |= {key: gain, f"{key}_low": low, f"{key}_high": high}
display(Markdown(tables.markdown_table(comparisons)))

# %%
chroma_psnr = {row["method"]: row["chroma PSNR (dB)"] for row in rows}
target_gain = chroma_psnr["seed, chroma"] - chroma_psnr["seed, RGB"]
skip_gain = chroma_psnr["U-Net, chroma"] - chroma_psnr["seed, chroma"]
display(
    Markdown(
        f"Of the U-Net's {target_gain + skip_gain:.2f} dB of chroma PSNR over the seed's model, "
        f"predicting only the colour brings {target_gain:.2f} dB and the skip connections "
        f"{skip_gain:.2f} dB."
    )
)

# %% [markdown]
# Colour in a 32x32 photo changes slowly, far more slowly than brightness: a bottleneck carries
# most of it, and the skips, which pass fine detail, add little. What the seed's RGB target
# loses is mostly brightness: its photos are blurred, which RGB PSNR and SSIM punish. Every model
# predicts muted colours: squared error rewards the *average* colour of a texture, so green
# fields come out olive and the red boat below comes out gray under a blue sky.

# %% mystnb={"image": {"alt": "Ten test photos: gray input, the three models' colours, truth."}}
shown = ("gray copy", "seed, RGB", "seed, chroma", "U-Net, chroma")
plots.show_image_rows({name: photos[name] for name in shown} | {"truth": x_test})

# %% [markdown]
# *Figure: top to bottom, the gray input, the seed's model predicting RGB and predicting chroma,
# the U-Net, the true colours.*
#
# The photos on which the U-Net's colour is furthest from the truth, and how colourful they are
# (the mean magnitude of their chroma, $\sqrt{U^2 + V^2}$) against the average test photo:

# %% mystnb={"image": {"alt": "The eight test photos with the U-Net's largest CIEDE2000."}}
worst = np.argsort(colour_differences["U-Net, chroma"])[-8:][::-1]
saturation = np.hypot(yuv_test[..., 1], yuv_test[..., 2]).mean(axis=(1, 2))
ratio = saturation[worst].mean() / saturation.mean()
print(f"mean chroma magnitude {saturation[worst].mean():.3f}, {ratio:.2f} times the average")
rows_of_worst = {"gray": photos["gray copy"], "U-Net": photos["U-Net, chroma"], "truth": x_test}
plots.show_image_rows({name: images[worst] for name, images in rows_of_worst.items()}, count=8)

# %% [markdown]
# *Figure: the eight test photos with the U-Net's largest mean CIEDE2000.*

# %%
# The record, `results/colorization.json`: the tables' scores (`unet_chroma_psnr`, ...).
for row in rows:
    key = KEYS[row["method"]]
    record_metrics[f"{key}_rgb_psnr"] = row["RGB PSNR (dB)"]
    record_metrics[f"{key}_ssim"] = row["SSIM"]
    record_metrics[f"{key}_chroma_psnr"] = row["chroma PSNR (dB)"]
    record_metrics[f"{key}_ciede2000"] = row["CIEDE2000"]
for name, history_losses in losses.items():
    record_metrics[f"{name}_first_epoch_loss"] = history_losses[0]
    record_metrics[f"{name}_last_epoch_loss"] = history_losses[-1]
headline = results.Headline(
    title="Colorization",
    metric="unet_chroma_psnr",
    label="U-Net predicting chroma, CIFAR-10, chroma PSNR (dB, U and V pooled over photos)",
    baseline_metric="seed_chroma_chroma_psnr",
    baseline_label="the seed's bottleneck model predicting chroma, same photos and budget",
    difference_low_metric="unet_gain_over_seed_chroma_low",
    difference_high_metric="unet_gain_over_seed_chroma_high",
)
run.finish(record_metrics, headline)

# %% [markdown]
# ## What to try next
#
# - Train all three for the seed's 20 epochs on all 50,000 photos (minutes on a GPU).
# - Mirror training pairs at random, and average each test prediction with its mirror's.
# - Replace the squared error by a classification over quantized colours (Zhang et al., 2016
#   {cite:p}`zhang2016`):
#   squared error rewards hedging towards grey, a classifier can commit to a vivid guess.
# - Predict chroma in the Lab colour space, whose distances follow perceived colour more closely.
