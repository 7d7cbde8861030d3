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
# # Super-resolution with autoencoders
#
# **Description:** Double the resolution of CIFAR-10 photos (16x16 to 32x32) with the seed's
# pre- and post-upsampling networks and a residual sub-pixel network, measure them against
# bicubic interpolation, and measure the checkerboard artefact of transposed convolutions.<br>
# **Accelerator:** GPU (this notebook asks Colab for a T4; the full profile takes under an hour on a two-core CPU).<br>
# <a href="https://colab.research.google.com/github/aebook/aebook/blob/main/recipes/07_super_resolution.ipynb"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>

# %% [markdown]
# ## Introduction
#
# A super-resolution network takes a small image and returns a larger one: an autoencoder whose
# encoder reads the low-resolution image and whose decoder writes more pixels than it was given,
# trained on pairs made by shrinking real photos. The seed (Ferlitsch, chapter 9) gives two
# designs:
#
# - **Pre-upsampling** (SRCNN, Dong et al., 2014): enlarge the small image with bicubic
#   interpolation, then let three convolutions sharpen it at full resolution.
# - **Post-upsampling**: convolve the small image, then enlarge it with a stride-2 transposed
#   convolution. Cheaper, but a transposed convolution whose kernel size is not a multiple of its
#   stride paints some output pixels more often than others: the *checkerboard artefact* (Odena,
#   Dumoulin and Olah, 2016).
#
# This recipe trains both, a resize-then-convolve twin of the second, and a sub-pixel network
# (Shi et al., 2016) that adds what it predicts to the bicubic image.

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
        "aelib @ git+https://github.com/aebook/aebook@67db6669389385017111d02f3f39bc5d95555f5a"
    )
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", aelib_requirement], check=True)
    importlib.invalidate_caches()

# %%
import os
import tempfile
import time

# Keep TensorFlow's start-up notices out of the page; this must precede importing Keras.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
from IPython.display import Markdown, display
from keras import ops

from aelib import book, data, metrics, pairs, plots, profiles, results

# %% [markdown]
# The parameters cell sets the run profile (`full`: real CIFAR-10, the published numbers;
# `smoke`: seconds on a CPU with crops of scikit-image's photos) and the training lengths.

# %% tags=["parameters"]
PROFILE = "full"
SEED = 42
EPOCHS = 10
BATCH_SIZE = 64
FACTOR = 2
SUBPIXEL_WIDTH = 64
SUBPIXEL_DEPTH = 8

# %%
profile = profiles.get_profile(PROFILE, epochs=EPOCHS, batch_size=BATCH_SIZE)
keras.utils.set_random_seed(SEED)
timer = results.PhaseTimer()

# %% [markdown]
# ## Prepare the data
#
# Each 32x32 photo is shrunk to 16x16 with bicubic interpolation
# (`aelib.pairs.super_resolution_pairs`), which also returns it enlarged again: the
# pre-upsampling model's input, and the baseline every model has to beat. The published numbers
# come from the data folder's copy of CIFAR-10, which went through one JPEG round trip: its
# photos carry slight compression artefacts.

# %%
with timer("data"):
    dataset = data.load_cifar10(source=profile.data_source)
    x_train = profile.take(dataset.x_train, "train")
    x_test = profile.take(dataset.x_test, "test")
    low_train, bicubic_train = pairs.super_resolution_pairs(x_train, FACTOR)
    low_test, bicubic_test = pairs.super_resolution_pairs(x_test, FACTOR)
book.show_run_banner(profile, dataset)

# %%
# NBVAL_CHECK_OUTPUT
print(f"x_train: (n, {', '.join(map(str, x_train.shape[1:]))})")
print(f"low_train: (n, {', '.join(map(str, low_train.shape[1:]))})")
print(f"bicubic_train: (n, {', '.join(map(str, bicubic_train.shape[1:]))})")

# %%
plots.show_image_rows(
    {
        "16x16": pairs.resize(low_test, 32, 32, "nearest"),
        "bicubic": bicubic_test,
        "32x32": x_test,
    },
    count=10,
)

# %% [markdown]
# *Figure: ten test photos at 16x16 (each pixel a 2x2 block), enlarged with bicubic
# interpolation, and at 32x32.*
#
# ## Build the models
#
# ### Why transposed convolutions paint checkerboards
#
# A stride-2 transposed convolution places one copy of its kernel, scaled by each input pixel,
# every second output pixel; with a 3x3 kernel the copies overlap on some output pixels and not
# on others. Fed a constant image and a kernel of ones, its output counts the copies landing on
# each pixel. Enlarging first (nearest neighbour), then convolving, gives every pixel the same
# count.

# %%
constant = np.ones((1, 4, 4, 1), dtype="float32")
transposed = keras.layers.Conv2DTranspose(
    1, 3, strides=2, padding="same", kernel_initializer="ones", use_bias=False
)
resize_then_convolve = keras.Sequential(
    [
        keras.layers.UpSampling2D(2, interpolation="nearest"),
        keras.layers.Conv2D(1, 3, padding="same", kernel_initializer="ones", use_bias=False),
    ]
)

transposed_response = ops.convert_to_numpy(transposed(constant))[0, :, :, 0]
resized_response = ops.convert_to_numpy(resize_then_convolve(constant))[0, :, :, 0]

# %%
# NBVAL_CHECK_OUTPUT
print("transposed convolution, interior 4x4:")
print(transposed_response[2:6, 2:6].astype(int))
print("nearest upsampling then convolution, interior 4x4:")
print(resized_response[2:6, 2:6].astype(int))

# %% [markdown]
# Training can learn kernels whose overlaps cancel, but nothing in the architecture makes it
# do so.
#
# ### The seed's pre-upsampling model: SRCNN
#
# Three convolutions on the bicubic image: 9x9 with 64 filters, 1x1 with 32, and 5x5 back to
# RGB, with a linear output.


# %%
def build_srcnn():
    """SRCNN: (h, w, 3) bicubic-enlarged image in [0, 1] to (h, w, 3), linear output."""
    bicubic = keras.Input(shape=(None, None, 3), name="bicubic")
    hidden = keras.layers.Conv2D(64, 9, activation="relu", padding="same")(bicubic)
    hidden = keras.layers.Conv2D(32, 1, activation="relu", padding="same")(hidden)
    image = keras.layers.Conv2D(3, 5, padding="same")(hidden)
    return keras.Model(bicubic, image, name="srcnn")


# %% [markdown]
# ### The seed's post-upsampling model, and its resize-then-convolve twin
#
# Three 3x3 convolutions (16, 32, 64 filters) on the 16x16 image, then a stride-2 transposed
# convolution to 32x32 RGB. The twin's last layer is nearest-neighbour upsampling and a 3x3
# convolution: the same parameters, without the uneven overlap.


# %%
def build_post_upsampling(upsampling="transposed"):
    """(h, w, 3) image in [0, 1] to (2h, 2w, 3); upsampling: 'transposed' or 'resize'."""
    low = keras.Input(shape=(None, None, 3), name="low")
    hidden = low
    for filters in (16, 32, 64):
        hidden = keras.layers.Conv2D(filters, 3, activation="relu", padding="same")(hidden)
    if upsampling == "transposed":
        image = keras.layers.Conv2DTranspose(3, 3, strides=2, padding="same")(hidden)
    elif upsampling == "resize":
        hidden = keras.layers.UpSampling2D(2, interpolation="nearest")(hidden)
        image = keras.layers.Conv2D(3, 3, padding="same")(hidden)
    else:
        raise ValueError(f"upsampling must be 'transposed' or 'resize', not {upsampling!r}.")
    return keras.Model(low, image, name=f"post_upsampling_{upsampling}")


# %% [markdown]
# ### Ours: a residual sub-pixel network
#
# - **Sub-pixel convolution.** All the convolutions (`SUBPIXEL_DEPTH` 3x3 layers of
#   `SUBPIXEL_WIDTH` filters, then one more) run on the 16x16 grid. The last outputs `3 * 2 * 2`
#   channels per pixel, which a pixel shuffle rearranges into a 2x2 block of RGB pixels: every
#   output pixel gets its own filter, with no overlap.
# - **Residual learning.** The output is *added* to the bicubic image, so the network learns only
#   the detail bicubic interpolation misses.
#
# The pixel shuffle is a registered layer (no `Lambda`), so the model saves as `.keras`.


# %%
@keras.saving.register_keras_serializable(package="aebook")
class PixelShuffle(keras.layers.Layer):
    """(batch, h, w, c * f * f) to (batch, h * f, w * f, c): each pixel's channels become a block."""

    def __init__(self, factor, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, inputs):
        # Height and width may be unknown until the model is called; the channels are fixed.
        _, height, width, _ = ops.shape(inputs)
        channels, factor = inputs.shape[-1], self.factor
        blocks = ops.reshape(inputs, (-1, height, width, factor, factor, channels // factor**2))
        # Interleave the block rows with the image rows, then the block columns with the columns.
        blocks = ops.transpose(blocks, (0, 1, 3, 2, 4, 5))
        return ops.reshape(blocks, (-1, height * factor, width * factor, channels // factor**2))

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def build_residual_subpixel(width, depth, factor=2):
    """[(h, w, 3) image, (fh, fw, 3) its bicubic enlargement] to (fh, fw, 3), linear output."""
    low = keras.Input(shape=(None, None, 3), name="low")
    bicubic = keras.Input(shape=(None, None, 3), name="bicubic")
    hidden = low
    for _ in range(depth):
        hidden = keras.layers.Conv2D(width, 3, activation="relu", padding="same")(hidden)
    detail = keras.layers.Conv2D(3 * factor**2, 3, padding="same")(hidden)
    detail = PixelShuffle(factor, name="pixel_shuffle")(detail)
    image = keras.layers.Add(name="bicubic_plus_detail")([bicubic, detail])
    return keras.Model([low, bicubic], image, name="residual_subpixel")


# %%
# Each model with the inputs it reads: the bicubic image, the small one, or both.
models = {
    "SRCNN (seed)": (build_srcnn(), "bicubic"),
    "post-upsampling, transposed (seed)": (build_post_upsampling("transposed"), "low"),
    "post-upsampling, resize": (build_post_upsampling("resize"), "low"),
    "residual sub-pixel (ours)": (
        build_residual_subpixel(SUBPIXEL_WIDTH, SUBPIXEL_DEPTH, FACTOR),
        "both",
    ),
}


def model_inputs(kind, low, bicubic):
    """The arrays a model of input kind 'low', 'bicubic' or 'both' is called with."""
    return {"low": low, "bicubic": bicubic, "both": [low, bicubic]}[kind]


# %%
# NBVAL_CHECK_OUTPUT
for name, (model, kind) in models.items():
    print(f"{name}: {model.count_params():,} parameters, reads {kind}")

# %% [markdown]
# ## Train
#
# All four models get the same budget: Adam with a cosine decay from 1e-3, the same epochs and
# batch size, and a tenth of the training pairs kept aside for validation. The loss is the
# squared error between the output $\hat{y}$ and the 32x32 photo $y$, averaged over its
# $N = 32 \times 32 \times 3$ values (and over the batch):
#
# $$
# \mathcal{L}(y, \hat{y}) = \frac{1}{N} \sum_{i=1}^{N} \left(\hat{y}_i - y_i\right)^2.
# $$

# %%
histories = {}
steps = profile.epochs * int(np.ceil(0.9 * len(x_train) / profile.batch_size))
for name, (model, kind) in models.items():
    schedule = keras.optimizers.schedules.CosineDecay(1e-3, steps)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="mean_squared_error")
    with timer(f"train_{model.name}"):
        histories[name] = model.fit(
            model_inputs(kind, low_train, bicubic_train),
            x_train,
            epochs=profile.epochs,
            batch_size=profile.batch_size,
            validation_split=0.1,
            shuffle=True,
            verbose=0,
        )
    validation_loss = histories[name].history["val_loss"]
    print(f"{name}: validation loss {validation_loss[0]:.5f} -> {validation_loss[-1]:.5f}")

# %%
plots.plot_history(histories, title="Squared error per epoch")

# %% [markdown]
# *Figure: training and validation loss per epoch for the four models.*
#
# ## Evaluate
#
# ### Quality, size and speed
#
# Each method maps the 16x16 test images to 32x32 ones. With pixel values in $[0, 1]$,
#
# $$
# \mathrm{PSNR}(y, \hat{y}) = 10 \log_{10} \frac{1}{\mathrm{MSE}(y, \hat{y})} \ \text{dB};
# $$
#
# *PSNR* is its mean over images (each capped at 60 dB), *pooled PSNR* uses the MSE over the
# whole test set, *SSIM* is the mean structural similarity. Speed is test images per second on
# this machine, after a warm-up call; it changes with the hardware.


# %%
def bicubic_upscale(low):
    """(n, h, w, 3) to (n, 2h, 2w, 3) with Pillow's bicubic filter."""
    return pairs.resize(low, FACTOR * low.shape[1], FACTOR * low.shape[2], "bicubic")


def nearest_upscale(low):
    """(n, h, w, 3) to (n, 2h, 2w, 3), each pixel repeated as a 2x2 block."""
    return pairs.resize(low, FACTOR * low.shape[1], FACTOR * low.shape[2], "nearest")


def model_upscaler(model, kind):
    """A function from (n, h, w, 3) images to the model's (n, 2h, 2w, 3) output in [0, 1]."""

    def upscale(low):
        bicubic = bicubic_upscale(low) if kind != "low" else None
        output = model.predict(model_inputs(kind, low, bicubic), batch_size=256, verbose=0)
        return np.clip(output, 0.0, 1.0)

    return upscale


upscalers = {"nearest": nearest_upscale, "bicubic": bicubic_upscale}
upscalers.update({name: model_upscaler(model, kind) for name, (model, kind) in models.items()})

# %% [markdown]
# The checkerboard measure is the response to flat gray images, which should stay flat. For flat
# 32x32 inputs at gray levels 0.25, 0.5 and 0.75, it is the largest difference between the mean
# values of the four pixel positions of a 2x2 block in the centre 16x16 of the output (beyond
# the zero padding's reach), in 1/255 steps: a gap of 1 is one step of an 8-bit image.


# %%
def checkerboard_gap(upscale, levels=(0.25, 0.5, 0.75)):
    """Mean over gray levels of the max - min of the 2x2 positions' means, in 1/255 steps."""
    flat = np.ones((len(levels), 32, 32, 3), dtype="float32") * np.reshape(levels, (-1, 1, 1, 1))
    interior = upscale(flat)[:, 24:-24, 24:-24, :]
    position_means = [
        interior[:, row::2, column::2, :].mean(axis=(1, 2, 3))
        for row in (0, 1)
        for column in (0, 1)
    ]
    return float(255 * np.mean(np.ptp(np.stack(position_means), axis=0)))


# %%
outputs, scores = {}, {}
with timer("evaluate"):
    for name, upscale in upscalers.items():
        upscale(low_test[:64])  # The warm-up call builds the model's prediction function.
        start = time.perf_counter()
        outputs[name] = upscale(low_test)
        seconds = time.perf_counter() - start
        model = models[name][0] if name in models else None
        scores[name] = {
            "PSNR": metrics.psnr(x_test, outputs[name]),
            "pooled PSNR": metrics.pooled_psnr(x_test, outputs[name]),
            "SSIM": metrics.ssim(x_test, outputs[name]),
            "parameters": model.count_params() if model else 0,
            "images per second": len(low_test) / seconds,
            "checkerboard": checkerboard_gap(upscale),
        }
table = [
    "| method | PSNR (dB) | pooled PSNR (dB) | SSIM | parameters | images/s | checkerboard |",
    "|---|---:|---:|---:|---:|---:|---:|",
]
for name, row in scores.items():
    table.append(
        f"| {name} | {row['PSNR']:.2f} | {row['pooled PSNR']:.2f} | {row['SSIM']:.3f} "
        f"| {row['parameters']:,} | {row['images per second']:,.0f} | {row['checkerboard']:.2f} |"
    )
display(Markdown("\n".join(table)))

# %% [markdown]
# Each of the seed's small networks gains on bicubic interpolation, and the residual sub-pixel
# model gains most: it has over ten times their parameters, all working on the 16x16 grid.
#
# The checkerboard column tells the other half of the story. After training, the transposed
# convolution's pattern is a fraction of an 8-bit step: the network has learned kernels whose
# overlaps nearly cancel, a thing it can unlearn, while the resize-then-convolve twin is flat by
# construction. The sub-pixel model's four sub-pixels come from four filters that nothing forces
# to agree either. The speed column was measured while other runs shared the CPU.
#
# ### What the models output
#
# The 16x16 input, bicubic, the four models, and the original; then the centre 12x12 pixels.

# %%
rows = {"16x16": outputs["nearest"], **outputs, "32x32": x_test}
del rows["nearest"]
plots.show_image_rows(rows, count=8)

# %% [markdown]
# *Figure: eight test photos, top to bottom: the 16x16 input (each pixel a 2x2 block), bicubic,
# the four models, the 32x32 original.*

# %%
plots.show_image_rows({name: images[:, 10:22, 10:22] for name, images in rows.items()}, count=8)

# %% [markdown]
# *Figure: the centre 12x12 pixels of the same photos, in the same order.*
#
# ### The checkerboard, made visible
#
# The centre of each model's output for a flat 50% gray input, its difference from 0.5
# magnified 20 times: a flat gray square means no artefact. At this magnification a gap below
# one 8-bit step is hard to see; the number above still measures it.

# %%
flat_gray = np.full((1, 32, 32, 3), 0.5, dtype="float32")
magnified = {
    name: np.clip(0.5 + 20 * (upscalers[name](flat_gray)[:, 16:-16, 16:-16] - 0.5), 0.0, 1.0)
    for name in models
}
plots.show_image_rows(
    {"flat input, x20": np.concatenate(list(magnified.values()))}, count=len(magnified)
)

# %% [markdown]
# *Figure: left to right, the four models' outputs for a flat gray input, deviations magnified
# 20 times.*
#
# ### The trained model saves and loads
#
# The reloaded `.keras` model gives the same images.

# %%
subpixel_model, subpixel_kind = models["residual sub-pixel (ours)"]
with tempfile.TemporaryDirectory() as directory:
    path = os.path.join(directory, "residual_subpixel.keras")
    subpixel_model.save(path)
    reloaded = keras.saving.load_model(path, safe_mode=True)
reload_difference = float(
    np.abs(
        model_upscaler(reloaded, subpixel_kind)(low_test[:100])
        - outputs["residual sub-pixel (ours)"][:100]
    ).max()
)

# %%
# NBVAL_CHECK_OUTPUT
print(f"reloaded model gives the same images: {reload_difference < 1e-6}")

# %% [markdown]
# ## Record the results
#
# The metrics in `results/super_resolution.json`, per method key (`nearest`, `bicubic`,
# `srcnn`, `post_transposed`, `post_resize`, `subpixel`): `<key>_psnr`, `<key>_pooled_psnr`,
# `<key>_ssim`, `<key>_checkerboard` and `<key>_images_per_second`; per model also
# `<key>_parameters`, `<key>_first_epoch_loss` and `<key>_last_epoch_loss`; and
# `subpixel_reload_difference`, the largest pixel change after saving and reloading.

# %%
keys = dict(
    zip(
        upscalers,
        ("nearest", "bicubic", "srcnn", "post_transposed", "post_resize", "subpixel"),
        strict=True,
    )
)
record_metrics = {}
for name, row in scores.items():
    key = keys[name]
    record_metrics[f"{key}_psnr"] = row["PSNR"]
    record_metrics[f"{key}_pooled_psnr"] = row["pooled PSNR"]
    record_metrics[f"{key}_ssim"] = row["SSIM"]
    record_metrics[f"{key}_checkerboard"] = row["checkerboard"]
    record_metrics[f"{key}_images_per_second"] = row["images per second"]
    if name in models:
        record_metrics[f"{key}_parameters"] = row["parameters"]
        record_metrics[f"{key}_first_epoch_loss"] = histories[name].history["loss"][0]
        record_metrics[f"{key}_last_epoch_loss"] = histories[name].history["loss"][-1]
record_metrics["subpixel_reload_difference"] = reload_difference
path = results.save_record(
    "super_resolution", profile.name, dataset.source, record_metrics, timer.seconds
)
print(
    f"wrote {path.name}: {len(record_metrics)} metrics, "
    f"e.g. subpixel_psnr = {record_metrics['subpixel_psnr']:.2f}"
)

# %%
# benchmarks/time_to_quality.py builds this recipe's model from these names and reads no others.
BENCHMARK_NAMES = ("build_srcnn", "BATCH_SIZE", "EPOCHS")

# %% [markdown]
# ## What to try next
#
# - Initialise the sub-pixel layer so that its four sub-pixels start equal (ICNR, Aitken et
#   al., 2017), and check whether its checkerboard gap shrinks.
# - Train for 4x (8x8 to 32x32): bicubic falls apart much faster than a learned model.
# - Replace the squared error by an L1 loss, which blurs less.
