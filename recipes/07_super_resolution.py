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
# SRCNN and a residual sub-pixel network of the same size, and measure both against bicubic
# interpolation the way the super-resolution literature does.<br>
# **Accelerator:** GPU (this notebook asks Colab for a T4; the full profile took 12.2 minutes on a 2-core CPU).<br>
# <a href="https://colab.research.google.com/github/aebook/aebook/blob/main/recipes/07_super_resolution.ipynb"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>

# %% [markdown]
# ## Introduction
#
# A super-resolution network takes a small image and returns a larger one: an autoencoder whose
# encoder reads the low-resolution image and whose decoder writes more pixels than it was given,
# trained on pairs made by shrinking real photos. The seed (Ferlitsch, chapter 9) builds SRCNN (Dong
# et al., 2014 {cite:p}`dong2014`), a *pre-upsampling* model: enlarge the small image with bicubic
# interpolation, then let three convolutions sharpen it at full resolution. The seed reports its
# "reconstruction accuracy" (88% after 20 epochs); this page measures PSNR instead.
#
# This recipe trains SRCNN and a residual sub-pixel network (Shi et al., 2016 {cite:p}`shi2016`)
# with as many parameters, which works on the small image and adds what it predicts to the bicubic
# one, the classical baseline. Both are scored as the literature scores them: PSNR on the luma
# channel Y with a border as wide as the scale factor cut off, beside PSNR and SSIM on RGB.

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

# Keep TensorFlow's start-up notices out of the page; this must precede importing Keras.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
from IPython.display import Markdown, display
from keras import ops

from aelib import metrics, pairs, plots, results, runs, tables

# %% [markdown]
# The parameters cell sets the run profile (`full`: real CIFAR-10, the published numbers; `smoke`:
# seconds on a CPU with crops of scikit-image's photos) and the training lengths. `runs.start` seeds
# every random generator, loads the profile's share of the data and says what ran.

# %% tags=["parameters"]
PROFILE = "full"
SEED = 42
EPOCHS = 10
BATCH_SIZE = 64
FACTOR = 2
# Three 3x3 layers of 30 filters: 20,352 parameters, SRCNN's 20,099 within 2%.
SUBPIXEL_WIDTH = 30
SUBPIXEL_DEPTH = 3

# %%
run = runs.start(
    "super_resolution",
    PROFILE,
    seed=SEED,
    dataset="cifar10",
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    factor=FACTOR,
    subpixel_width=SUBPIXEL_WIDTH,
    subpixel_depth=SUBPIXEL_DEPTH,
)
x_train, x_test = run.x_train, run.x_test

# %% [markdown]
# ## Prepare the data
#
# Each 32x32 photo is shrunk to 16x16 with bicubic interpolation
# (`aelib.pairs.super_resolution_pairs`), which also returns it enlarged again: SRCNN's input,
# and the baseline. The published numbers come from the data folder's copy of CIFAR-10, which
# went through one JPEG round trip: its photos carry slight compression artefacts.

# %%
with run.phase("data"):
    low_train, bicubic_train = pairs.super_resolution_pairs(x_train, FACTOR)
    low_test, bicubic_test = pairs.super_resolution_pairs(x_test, FACTOR)

# %%
# NBVAL_CHECK_OUTPUT
print(f"photo {x_train.shape[1:]}, low {low_train.shape[1:]}, bicubic {bicubic_train.shape[1:]}")

# %% [markdown]
# ## Build the models
#
# ### The seed's model: SRCNN
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
# ### Ours: a residual sub-pixel network
#
# - **Sub-pixel convolution.** All the convolutions (`SUBPIXEL_DEPTH` 3x3 layers of `SUBPIXEL_WIDTH`
#   filters, then one more) run on the 16x16 grid. The last outputs `3 * 2 * 2` channels per pixel,
#   which a pixel shuffle rearranges into a 2x2 block of RGB pixels: every output pixel gets its own
#   filter. A stride-2 transposed convolution, the usual alternative, overlaps its 3x3 kernel copies
#   on some output pixels and not on others, and so paints a checkerboard (Odena, Dumoulin and Olah,
#   2016 {cite:p}`odena2016`); the pixel shuffle has no overlap.
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
models = {
    "SRCNN (seed)": build_srcnn(),
    "residual sub-pixel (ours)": build_residual_subpixel(SUBPIXEL_WIDTH, SUBPIXEL_DEPTH, FACTOR),
}


def model_inputs(model, low, bicubic):
    """What the model reads: SRCNN the bicubic image, the sub-pixel network both images."""
    return bicubic if len(model.inputs) == 1 else [low, bicubic]


# %%
# NBVAL_CHECK_OUTPUT
for name, model in models.items():
    print(f"{name}: {model.count_params():,} parameters, reads {len(model.inputs)} input(s)")

# %% [markdown]
# ## Train
#
# Both models get the same budget: Adam with a cosine decay from 1e-3, the same epochs and
# batch size, and a tenth of the training pairs kept aside for validation. The loss is the
# squared error between the output $\hat{y}$ and the 32x32 photo $y$, averaged over its
# $N = 32 \times 32 \times 3$ values (and over the batch):
#
# $$
# \mathcal{L}(y, \hat{y}) = \frac{1}{N} \sum_{i=1}^{N} \left(\hat{y}_i - y_i\right)^2.
# $$

# %%
histories = {}
steps = run.epochs * int(np.ceil(0.9 * len(x_train) / run.batch_size))
fit_options = {"epochs": run.epochs, "batch_size": run.batch_size, "verbose": 0}
for name, model in models.items():
    schedule = keras.optimizers.schedules.CosineDecay(1e-3, steps)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="mean_squared_error")
    inputs = model_inputs(model, low_train, bicubic_train)
    with run.phase(f"train_{model.name}"):
        histories[name] = model.fit(inputs, x_train, validation_split=0.1, **fit_options)
    validation_loss = histories[name].history["val_loss"]
    print(f"{name}: validation loss {validation_loss[0]:.5f} -> {validation_loss[-1]:.5f}")

# %%
plots.plot_history(histories, title="Squared error per epoch")

# %% [markdown]
# *Figure: training and validation loss per epoch for the two models.*
#
# ## Evaluate
#
# Each method maps the 16x16 test images to 32x32 ones. With pixel values in $[0, 1]$,
#
# $$
# \mathrm{PSNR}(y, \hat{y}) = 10 \log_{10} \frac{1}{\mathrm{MSE}(y, \hat{y})} \ \text{dB};
# $$
#
# *PSNR* is its mean over the test images (each capped at 60 dB), *pooled PSNR* uses the MSE
# over the whole test set, *SSIM* is the mean structural similarity. *Y PSNR* is the
# literature's number (`aelib.metrics.psnr_y`): the luma $Y = 16 + 65.481 R + 128.553 G +
# 24.966 B$ (ITU-R BT.601, in $[16, 235]$) against a peak of 255, with `FACTOR` pixels shaved
# off every edge, where a network sees padding instead of neighbours. Nearest-neighbour
# enlargement repeats each pixel. Speed, in test images per second after a warm-up call,
# depends on the machine and on what else runs on it.


# %%
def upscale(method, low):
    """(n, h, w, 3) images in [0, 1] to (n, 2h, 2w, 3): 'nearest', 'bicubic' or a model's name."""
    if method in ("nearest", "bicubic"):
        return pairs.resize(low, FACTOR * low.shape[1], FACTOR * low.shape[2], method)
    inputs = model_inputs(models[method], low, upscale("bicubic", low))
    return np.clip(models[method].predict(inputs, batch_size=256, verbose=0), 0.0, 1.0)


outputs, rows = {}, []
with run.phase("evaluate"):
    for name in ("nearest", "bicubic", *models):
        upscale(name, low_test[:64])  # The warm-up call builds a model's prediction function.
        start = time.perf_counter()
        outputs[name] = upscale(name, low_test)
        seconds = time.perf_counter() - start
        row = {
            "method": name,
            "Y PSNR (dB)": metrics.psnr_y(x_test, outputs[name], shave=FACTOR),
            "PSNR (dB)": metrics.psnr(x_test, outputs[name]),
            "pooled PSNR (dB)": metrics.pooled_psnr(x_test, outputs[name]),
            "SSIM": metrics.ssim(x_test, outputs[name]),
            "parameters": models[name].count_params() if name in models else 0,
            "images/s": len(low_test) / seconds,
        }
        rows.append(row)
formats = {"Y PSNR (dB)": ".2f", "PSNR (dB)": ".2f", "pooled PSNR (dB)": ".2f", "SSIM": ".3f"}
formats["images/s"] = ",.0f"
formats["parameters"] = ","
display(Markdown(tables.markdown_table(rows, formats=formats)))

# %% [markdown]
# The two networks have the same parameter budget; SRCNN spends it on the 32x32 bicubic image,
# the sub-pixel network on the 16x16 grid, four times fewer pixels. What the table says, from
# its rows (one training seed each):

# %%
y_psnr = {row["method"]: row["Y PSNR (dB)"] for row in rows}
srcnn, subpixel = (y_psnr[name] for name in models)
lines = [
    f"- Over bicubic interpolation's {y_psnr['bicubic']:.2f} dB (Y), SRCNN gains "
    f"{srcnn - y_psnr['bicubic']:+.2f} dB and the sub-pixel network {subpixel - y_psnr['bicubic']:+.2f}.",
    (
        f"- The sub-pixel network is {subpixel - srcnn:+.2f} dB from SRCNN: a gap under 1 dB from "
        "one seed each, so this page does not rank the two."
        if abs(subpixel - srcnn) < 1.0
        else f"- The sub-pixel network is {subpixel - srcnn:+.2f} dB from SRCNN at the same size."
    ),
]
display(Markdown("\n".join(lines)))

# %%
images = {"16x16": outputs["nearest"], **outputs, "32x32": x_test}
del images["nearest"]
centres = {f"{name}, centre": batch[:, 10:22, 10:22] for name, batch in images.items()}
plots.show_image_rows({**images, **centres}, count=8)

# %% [markdown]
# *Figure: eight test photos, top to bottom: the 16x16 input (each pixel a 2x2 block), bicubic,
# SRCNN, the residual sub-pixel network and the 32x32 original; then their centre 12x12 pixels,
# in the same order.*
#
# The trained model saves as `.keras` and loads with `safe_mode=True`:

# %%
with tempfile.TemporaryDirectory() as directory:
    path = os.path.join(directory, "residual_subpixel.keras")
    models["residual sub-pixel (ours)"].save(path)
    reloaded = keras.saving.load_model(path, safe_mode=True)
inputs = [low_test, bicubic_test]
reloaded_output = np.clip(reloaded.predict(inputs, batch_size=256, verbose=0), 0.0, 1.0)
reload_difference = float(np.abs(reloaded_output - outputs["residual sub-pixel (ours)"]).max())

# %%
# NBVAL_CHECK_OUTPUT
print(f"reloaded model gives the same images: {reload_difference < 1e-6}")

# %% [markdown]
# ## Record the results
#
# `results/super_resolution.json` holds the table (`srcnn_psnr`, ...), losses and headline.

# %%
columns = ("psnr_y", "psnr", "pooled_psnr", "ssim", "parameters", "images_per_second")
measured = {"subpixel_reload_difference": reload_difference}
for row, key in zip(rows, ("nearest", "bicubic", "srcnn", "subpixel"), strict=True):
    name, *values = row.values()
    measured.update(zip([f"{key}_{column}" for column in columns], values, strict=True))
    if name in histories:
        measured[f"{key}_first_epoch_loss"] = histories[name].history["loss"][0]
        measured[f"{key}_last_epoch_loss"] = histories[name].history["loss"][-1]
headline = results.Headline(
    title="Super-resolution",
    metric="subpixel_psnr_y",
    label="residual sub-pixel network (SRCNN's size), CIFAR-10 x2, Y PSNR, 2-pixel border cut (dB)",
    baseline_metric="bicubic_psnr_y",
    baseline_label="bicubic interpolation of the same 16x16 photos",
)
run.finish(measured, headline)

# %% [markdown]
# ## What to try next
#
# - The seed's second design is *post-upsampling*: three 3x3 convolutions (16, 32, 64 filters)
#   on the 16x16 image, then a stride-2 transposed convolution to 32x32 RGB. Train it beside a
#   twin that ends in nearest-neighbour upsampling and a 3x3 convolution (the same parameters),
#   and feed both a flat gray image: the transposed convolution's uneven overlap shows as a
#   checkerboard, the twin stays flat by construction.
# - Initialise the sub-pixel layer so that its four sub-pixels start equal (ICNR, Aitken et
#   al., 2017 {cite:p}`aitken2017`); nothing else forces them to agree on flat regions.
# - Set `FACTOR = 4` (8x8 to 32x32) and see whether the networks' lead over bicubic grows or
#   shrinks when fifteen of every sixteen pixels must be invented instead of three of four.
# - Replace the squared error by an L1 loss, which blurs less.
