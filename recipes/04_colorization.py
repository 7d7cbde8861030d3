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
# **Description:** Predict the colours of CIFAR-10 photos from their grayscale version, first
# with the seed's bottleneck autoencoder, then with a U-Net that predicts only the colour, and
# measure both against simply copying the gray image.<br>
# **Accelerator:** GPU (this notebook asks Colab for a T4; the full profile took 76 minutes on a two-core CPU shared with another run).<br>
# <a href="https://colab.research.google.com/github/aebook/aebook/blob/main/recipes/04_colorization.ipynb"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>

# %% [markdown]
# ## Introduction
#
# A grayscale photo keeps each pixel's brightness and loses its colour. An autoencoder can be
# trained to put the colour back: the input is the gray image, the target the colour one. The
# seed recipe (the R-Keras cookbook) does this with a classic bottleneck autoencoder: three
# stride-2 convolutions, a 256-number latent vector and a mirrored decoder, trained for 20
# epochs with batch size 32 on all 50,000 CIFAR-10 training photos.
#
# That design throws away what the input already knows: the brightness of every pixel must
# squeeze through 256 numbers and be rebuilt, blurred. This recipe measures that cost, then
# builds a model that keeps the input: a U-Net whose skip connections carry the detail around
# the bottleneck, and which predicts only the two colour channels of the YUV colour space while
# the brightness is copied from the input.

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
        "aelib @ git+https://github.com/aebook/aebook@418b8b0181fea732fa68c83645b22741b4e718da"
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

from aelib import book, data, metrics, plots, profiles, results

# %% [markdown]
# The parameters cell sets the run profile (`full`: real CIFAR-10, the published numbers;
# `smoke`: seconds on a CPU with crops of scikit-image's photos) and the training lengths. The
# seed's model gets a *shortened* budget, so that the full profile fits a CPU: 5 epochs with
# batch size 64 on 20,000 images (a tenth of them kept for validation), where the seed trains
# 20 epochs with batch size 32 on all 50,000.

# %% tags=["parameters"]
PROFILE = "full"
SEED = 42
EPOCHS = 16
BATCH_SIZE = 64
UNET_WIDTHS = (32, 64, 128, 256)
# The seed's own budget for its model: 5 epochs on 20,000 images. Its transposed convolutions
# make it about twice as costly per image as the U-Net on a CPU.
SEED_MODEL_EPOCHS = 5
SEED_MODEL_TRAIN_SIZE = 20_000

# %%
profile = profiles.get_profile(PROFILE, epochs=EPOCHS, batch_size=BATCH_SIZE)
seed_profile = profiles.get_profile(
    PROFILE, epochs=SEED_MODEL_EPOCHS, batch_size=BATCH_SIZE, train_size=SEED_MODEL_TRAIN_SIZE
)
keras.utils.set_random_seed(SEED)
timer = results.PhaseTimer()

# %% [markdown]
# ## Prepare the data
#
# The published numbers come from the data folder's copy of CIFAR-10, which went through one
# JPEG round trip: its photos carry slight compression artefacts.
#
# ### Brightness and colour
#
# The YUV colour space splits a pixel into its luma Y, the weighted brightness
# `0.299 R + 0.587 G + 0.114 B` that a grayscale conversion keeps, and two chroma channels U and
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
with timer("data"):
    dataset = data.load_cifar10(source=profile.data_source)
x_train = profile.take(dataset.x_train, "train")
x_test = profile.take(dataset.x_test, "test")
yuv_train, yuv_test = rgb_to_yuv(x_train), rgb_to_yuv(x_test)
gray_train, gray_test = yuv_train[..., :1], yuv_test[..., :1]
book.show_run_banner(profile, dataset)

# %%
# NBVAL_CHECK_OUTPUT
print(f"x_train: (n, {', '.join(map(str, x_train.shape[1:]))}), gray_train: (n, 32, 32, 1)")
print(f"round trip RGB -> YUV -> RGB exact: {np.abs(yuv_to_rgb(yuv_test) - x_test).max() < 1e-5}")

# %% [markdown]
# The baseline needs no training: copy the gray image into all three channels. It gets the
# brightness of every pixel exactly right and every colour wrong by exactly its chroma.

# %%
gray_copy = np.repeat(gray_test, 3, axis=-1)
plots.show_image_rows({"gray input": gray_copy, "colour": x_test}, count=10)

# %% [markdown]
# *Figure: ten test photos, as the gray copy gives them (top) and in their true colours.*
#
# ## Build the models
#
# ### The seed's bottleneck autoencoder
#
# As the seed gives it: three stride-2 convolutions (64, 128, 256 filters) take the 32x32 gray
# image to 4x4x256, a dense layer squeezes that to a 256-number latent vector, and mirrored
# transposed convolutions rebuild a 32x32 RGB image, trained with squared error.


# %%
def build_seed_colorizer():
    """The seed's colorizer: (32, 32, 1) gray in [0, 1] to (32, 32, 3) RGB in [0, 1]."""
    gray = keras.Input(shape=(32, 32, 1), name="gray")
    hidden = gray
    for filters in (64, 128, 256):
        hidden = keras.layers.Conv2D(filters, 3, strides=2, activation="relu", padding="same")(
            hidden
        )
    latent = keras.layers.Dense(256, name="latent")(keras.layers.Flatten()(hidden))
    hidden = keras.layers.Reshape((4, 4, 256))(keras.layers.Dense(4 * 4 * 256)(latent))
    for filters in (256, 128, 64):
        hidden = keras.layers.Conv2DTranspose(
            filters, 3, strides=2, activation="relu", padding="same"
        )(hidden)
    rgb = keras.layers.Conv2DTranspose(3, 3, activation="sigmoid", padding="same")(hidden)
    return keras.Model(gray, rgb, name="seed_colorizer")


seed_colorizer = build_seed_colorizer()

# %% [markdown]
# ### A U-Net that predicts only the colour
#
# The U-Net's skip connections give the decoder the encoder's feature maps at full resolution,
# so object edges, where colours change, stay sharp. Three poolings (32 to 4 pixels) let the
# deepest level see the whole image, so it can tell sky from sea. It outputs the two
# chroma channels (linear, since U and V can be negative); the colour image is the input's luma
# with the predicted chroma, converted back to RGB.


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


def colorize(chroma_model, gray, mirror=False):
    """Combine (n, 32, 32, 1) luma with the model's predicted chroma: RGB in [0, 1].

    With ``mirror=True`` the chroma is averaged with the prediction for the mirrored image,
    mirrored back: two guesses that err differently, averaged.
    """
    chroma = chroma_model.predict(gray, batch_size=512, verbose=0)
    if mirror:
        mirrored = chroma_model.predict(gray[:, :, ::-1], batch_size=512, verbose=0)
        chroma = 0.5 * (chroma + mirrored[:, :, ::-1])
    return yuv_to_rgb(np.concatenate([gray, chroma], axis=-1))


chroma_unet = build_chroma_unet(UNET_WIDTHS)

# %%
# NBVAL_CHECK_OUTPUT
for model in (seed_colorizer, chroma_unet):
    print(f"{model.name}: {model.count_params():,} parameters, output {model.output.shape[1:]}")

# %% [markdown]
# ## Train
#
# Both models minimize a squared error with Adam. The seed's model predicts RGB, so its loss
# runs over the three colour channels of each of the $N = 32 \times 32$ pixels; the U-Net
# predicts chroma, so its loss runs over U and V only (each averaged over the batch):
#
# $$
# \mathcal{L}_\text{seed} = \frac{1}{3N} \sum_{p=1}^{N} \sum_{c \in \{R, G, B\}}
#   \left(\hat{x}_{p,c} - x_{p,c}\right)^2,
# \qquad
# \mathcal{L}_\text{U-Net} = \frac{1}{2N} \sum_{p=1}^{N}
#   \left[\left(\hat{U}_p - U_p\right)^2 + \left(\hat{V}_p - V_p\right)^2\right].
# $$
#
# The seed's model trains with its shortened budget, so its scores below are for that budget,
# not for the seed's own training. The U-Net trains longer, with a cosine decay of the learning
# rate and two guards against overfitting: each training pair is mirrored left to right with
# probability one half (a mirrored photo is as likely a photo), and the weights of the epoch
# with the lowest validation loss are kept.


# %%
class MirroredPairs(keras.utils.PyDataset):
    """Shuffled (gray, chroma) batches, each pair mirrored left to right with probability 1/2."""

    def __init__(self, inputs, targets, batch_size, seed):
        super().__init__()
        self.inputs, self.targets, self.batch_size, self.seed = inputs, targets, batch_size, seed
        self.epoch = 0
        self.order = np.random.default_rng((seed, self.epoch)).permutation(len(inputs))

    def __len__(self):
        return int(np.ceil(len(self.inputs) / self.batch_size))

    def __getitem__(self, index):
        batch = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        inputs, targets = self.inputs[batch], self.targets[batch]
        # One generator per batch and epoch: the same run draws the same mirrors, whatever
        # order Keras asks for the batches in.
        mirror = np.random.default_rng((self.seed, self.epoch, index)).random(len(batch)) < 0.5
        inputs[mirror], targets[mirror] = inputs[mirror, :, ::-1], targets[mirror, :, ::-1]
        return inputs, targets

    def on_epoch_end(self):
        self.epoch += 1
        self.order = np.random.default_rng((self.seed, self.epoch)).permutation(len(self.inputs))


# %%
histories = {}
# The seed's model gets the seed's budget and optimizer (Adam at 1e-3) and plain arrays.
seed_colorizer.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mean_squared_error")
with timer("train_seed"):
    histories["seed"] = seed_colorizer.fit(
        seed_profile.take(gray_train, "train"),
        seed_profile.take(x_train, "train"),
        epochs=seed_profile.epochs,
        batch_size=seed_profile.batch_size,
        validation_split=0.1,
        shuffle=True,
        verbose=0,
    )

# The U-Net: the last tenth of its training images validates, as validation_split would do.
inputs, targets = profile.take(gray_train, "train"), profile.take(yuv_train[..., 1:], "train")
validation_size = len(inputs) // 10
training_pairs = MirroredPairs(
    inputs[:-validation_size], targets[:-validation_size], profile.batch_size, SEED
)
rate = keras.optimizers.schedules.CosineDecay(1e-3, profile.epochs * len(training_pairs))
chroma_unet.compile(optimizer=keras.optimizers.Adam(rate), loss="mean_squared_error")
keep_best = keras.callbacks.EarlyStopping(
    monitor="val_loss", patience=profile.epochs, restore_best_weights=True
)
with timer("train_U-Net"):
    histories["U-Net"] = chroma_unet.fit(
        training_pairs,
        validation_data=(inputs[-validation_size:], targets[-validation_size:]),
        epochs=profile.epochs,
        callbacks=[keep_best],
        verbose=0,
    )
for name, history in histories.items():
    validation_loss = history.history["val_loss"]
    best = int(np.argmin(validation_loss))
    print(
        f"{name}: validation loss {validation_loss[0]:.4f} -> {validation_loss[-1]:.4f}, "
        f"lowest {validation_loss[best]:.4f} after epoch {best + 1} of {len(validation_loss)}"
    )

# %% [markdown]
# ## Evaluate
#
# ### Against the gray copy
#
# Three numbers per method, on the test images. The peak signal-to-noise ratio of an estimate
# $\hat{x}$ of an image $x$ with pixel values in $[0, 1]$ is
#
# $$
# \mathrm{PSNR}(x, \hat{x}) = 10 \log_{10} \frac{1}{\mathrm{MSE}(x, \hat{x})} \ \text{dB}.
# $$
#
# *PSNR* is its mean over images (each capped at 60 dB), *pooled PSNR* uses the MSE over the
# whole test set, *SSIM* is the mean structural similarity. The gray copy is exact on the few
# truly gray photos, whose capped 60 dB inflate its per-image mean; the pooled PSNR weighs every
# pixel's error alike and is the fair headline here.

# %%
with timer("evaluate"):
    outputs = {
        "gray copy": gray_copy,
        "seed": seed_colorizer.predict(gray_test, batch_size=512, verbose=0),
        "U-Net (chroma)": colorize(chroma_unet, gray_test),
        "U-Net, averaged with its mirror image": colorize(chroma_unet, gray_test, mirror=True),
    }
    scores = {
        name: {
            "PSNR": metrics.psnr(x_test, output),
            "pooled PSNR": metrics.pooled_psnr(x_test, output),
            "SSIM": metrics.ssim(x_test, output),
        }
        for name, output in outputs.items()
    }
table = ["| method | PSNR (dB) | pooled PSNR (dB) | SSIM |", "|---|---:|---:|---:|"]
for name, row in scores.items():
    table.append(f"| {name} | {row['PSNR']:.2f} | {row['pooled PSNR']:.2f} | {row['SSIM']:.3f} |")
display(Markdown("\n".join(table)))

# %% [markdown]
# With its shortened budget, the seed's bottleneck model scores below simply copying the gray
# image: everything it outputs, brightness included, has passed through 256 numbers and comes
# back blurred. The U-Net keeps the brightness exactly, adds colour and beats the gray copy on
# every measure; averaging with the prediction for the mirrored image adds a little more. The
# gain is modest: trained on squared error, the model predicts the *average* colour it has seen
# for a texture, so it is sure about skies and grass, and hedges towards a muted brown where a
# red car and a blue car look alike in gray.
#
# ### What the colorizers output
#
# Ten test photos, coloured by each model.

# %%
plots.show_image_rows(
    {
        "gray": gray_copy,
        "seed": outputs["seed"],
        "U-Net": outputs["U-Net (chroma)"],
        "truth": x_test,
    },
    count=10,
)

# %% [markdown]
# *Figure: top to bottom, the gray input, the seed's model, the U-Net, the true colours.*
#
# ### Where the U-Net fails
#
# The test images on which the U-Net loses most PSNR against the gray copy are photos that were
# black and white to begin with: the gray copy is exact on them, and the U-Net paints in what
# such a scene usually looks like (a blue sky behind an aeroplane). Its colours are plausible,
# and wrong.

# %%
psnr_gain = metrics.psnr_per_image(x_test, outputs["U-Net (chroma)"]) - metrics.psnr_per_image(
    x_test, gray_copy
)
worst = np.argsort(psnr_gain)[:8]
plots.show_image_rows(
    {"gray": gray_copy[worst], "U-Net": outputs["U-Net (chroma)"][worst], "truth": x_test[worst]},
    count=len(worst),
)

# %% [markdown]
# *Figure: the eight test photos on which the U-Net loses most PSNR against the gray copy:
# gray input, U-Net, truth.*
#
# ## Record the results
#
# The metrics in `results/colorization.json`: `<method>_psnr`, `<method>_pooled_psnr` and
# `<method>_ssim` for `gray`, `seed`, `unet` and `unet_mirror`, and each model's `<model>_first_epoch_loss`
# and `<model>_last_epoch_loss`.

# %%
keys = dict(zip(outputs, ("gray", "seed", "unet", "unet_mirror"), strict=True))
record_metrics = {}
for name, row in scores.items():
    record_metrics[f"{keys[name]}_psnr"] = row["PSNR"]
    record_metrics[f"{keys[name]}_pooled_psnr"] = row["pooled PSNR"]
    record_metrics[f"{keys[name]}_ssim"] = row["SSIM"]
for name, key in (("seed", "seed"), ("U-Net", "unet")):
    record_metrics[f"{key}_first_epoch_loss"] = histories[name].history["loss"][0]
    record_metrics[f"{key}_last_epoch_loss"] = histories[name].history["loss"][-1]
path = results.save_record(
    "colorization", profile.name, dataset.source, record_metrics, timer.seconds
)
print(
    f"wrote {path.name}: {len(record_metrics)} metrics, "
    f"e.g. unet_pooled_psnr = {record_metrics['unet_pooled_psnr']:.2f}"
)

# %%
# benchmarks/time_to_quality.py builds this recipe's model from these names and reads no others.
BENCHMARK_NAMES = (
    "build_chroma_unet",
    "UNET_WIDTHS",
    "rgb_to_yuv",
    "yuv_to_rgb",
    "colorize",
    "RGB_TO_YUV",
    "YUV_TO_RGB",
    "BATCH_SIZE",
    "EPOCHS",
)

# %% [markdown]
# ## What to try next
#
# - Train the seed's model on the seed's own budget (20 epochs, batch size 32, all 50,000
#   photos) and see how much of its gap to the gray copy is the shortened budget's.
# - Give the seed's model the U-Net's trick: add its output to the gray copy (a residual).
# - Replace the squared error by a classification over quantized colours (Zhang et al., 2016):
#   squared error rewards hedging towards grey, a classifier can commit to a vivid guess.
# - Predict chroma in the Lab colour space, whose distances follow perceived colour more closely.
