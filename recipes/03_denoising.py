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
# # Denoising autoencoders
#
# **Description:** Train the Keras blog's convolutional autoencoder to remove Gaussian noise
# from MNIST digits, and measure it against a Gaussian blur and a median filter.<br>
# **Accelerator:** none needed (the full profile took 2.5 minutes on a 2-core CPU).<br>
# <a href="https://colab.research.google.com/github/aebook/aebook/blob/main/recipes/03_denoising.ipynb"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>

# %% [markdown]
# ## Introduction
#
# A denoising autoencoder sees a corrupted image and is trained to output the *clean* one
# (Vincent et al., 2008). It cannot simply copy its input, so it has to learn what digits look
# like and keep only that. The Keras blog's *Building autoencoders in Keras* adds Gaussian noise
# to MNIST, trains a small convolutional autoencoder on the noisy/clean pairs for 100 epochs of
# Adadelta and reports a validation loss of 0.0938. This recipe trains the same model for a few
# epochs with Adam and compares it with the filters a signal-processing engineer would try first.

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
import numpy as np
from IPython.display import Markdown, display

from aelib import baselines, metrics, plots, results, runs, tables

# %% [markdown]
# The parameters cell sets the run profile (`full`: the real MNIST, the numbers on this page;
# `smoke`: seconds on a CPU with the embedded sample), the training and the noise. `runs.start`
# seeds every random generator, loads the profile's share of the data and says what ran.

# %% tags=["parameters"]
PROFILE = "full"
SEED = 42
EPOCHS = 4
BATCH_SIZE = 16
LEARNING_RATE = 2e-3
NOISE_FACTOR = 0.5  # Standard deviation of the added noise, in pixel units (the blog's).
NOISE_MEAN = 0.0

# %%
run = runs.start(
    "denoising",
    PROFILE,
    seed=SEED,
    dataset="mnist",
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    learning_rate=LEARNING_RATE,
    noise_factor=NOISE_FACTOR,
    noise_mean=NOISE_MEAN,
)
x_train, x_test = run.x_train, run.x_test

# %% [markdown]
# ## Prepare the data
#
# ### The noise model
#
# Each pixel gets independent Gaussian noise, and the result is clipped back to [0, 1], the
# range of real pixels:
#
# $$
# \tilde{x} = \operatorname{clip}\bigl(x + \mu + \sigma \varepsilon,\ 0,\ 1\bigr),
# \qquad \varepsilon \sim \mathcal{N}(0, I),
# $$
#
# with $\sigma$ = `noise_factor` and $\mu$ = `mean`. At the blog's $\sigma = 0.5$ the noise is as
# strong as half the pixel range: a person still reads the digits, but every background pixel is
# disturbed.


# %%
def add_noise(images, noise_factor=0.5, mean=0.0, seed=None):
    """Return images + N(mean, noise_factor**2) noise, clipped to [0, 1]; same shape, float32."""
    if noise_factor < 0:
        raise ValueError(f"noise_factor must be >= 0, not {noise_factor}.")
    noise = np.random.default_rng(seed).normal(mean, noise_factor, size=np.shape(images))
    return np.clip(images + noise, 0.0, 1.0).astype(np.float32)


# %% [markdown]
# The training pairs are (noisy image, clean image). The test images get their own noise, drawn
# with a different seed, so the model is judged on noise it never saw.

# %%
x_train_noisy = add_noise(x_train, NOISE_FACTOR, NOISE_MEAN, seed=SEED)
x_test_noisy = add_noise(x_test, NOISE_FACTOR, NOISE_MEAN, seed=SEED + 1)

# %%
# NBVAL_CHECK_OUTPUT
print(f"x_train_noisy: (n, {', '.join(map(str, x_train_noisy.shape[1:]))}) {x_train_noisy.dtype}")
print(f"noisy pixel range: [{x_train_noisy.min():.1f}, {x_train_noisy.max():.1f}]")

# %%
plots.show_image_rows({"clean": x_test, "noisy": x_test_noisy}, count=10)

# %% [markdown]
# *Ten test digits (top) and the same digits with the noise added (bottom).*

# %% [markdown]
# ## Build the model
#
# Two convolution + max-pooling stages take a 28x28 image to a 7x7x32 block, and two
# up-sampling + convolution stages take it back; a sigmoid keeps the output in [0, 1]. This is
# the blog's model as given.


# %%
def build_denoiser():
    """The Keras blog's convolutional denoiser: (28, 28, 1) in [0, 1] to the same."""
    images = keras.Input(shape=(28, 28, 1), name="noisy_images")
    hidden = images
    for _ in range(2):
        hidden = keras.layers.Conv2D(32, 3, activation="relu", padding="same")(hidden)
        hidden = keras.layers.MaxPooling2D(2, padding="same")(hidden)
    for _ in range(2):
        hidden = keras.layers.Conv2D(32, 3, activation="relu", padding="same")(hidden)
        hidden = keras.layers.UpSampling2D(2)(hidden)
    outputs = keras.layers.Conv2D(1, 3, activation="sigmoid", padding="same")(hidden)
    return keras.Model(images, outputs, name="denoiser")


autoencoder = build_denoiser()
autoencoder.summary()

# %% [markdown]
# These numbers must not drift between profiles.

# %%
# NBVAL_CHECK_OUTPUT
print(f"{autoencoder.count_params():,} parameters, output {tuple(autoencoder.output.shape[1:])}")

# %% [markdown]
# ## Train
#
# The input is the noisy image $\tilde{x}$ and the target the *clean* one $x$. The loss is the
# blog's, the binary cross-entropy per pixel, averaged over the $D = 784$ pixels:
#
# $$
# \mathcal{L}(x, \tilde{x}) = -\frac{1}{D} \sum_{i=1}^{D}
# \bigl[ x_i \log \hat{x}_i + (1 - x_i) \log (1 - \hat{x}_i) \bigr],
# \qquad \hat{x} = g(f(\tilde{x})).
# $$
#
# Batches of 16 at a learning rate of 2e-3 give this small model four times the updates per
# epoch that batches of 64 would, which it needs more than extra epochs; the rate decays to zero
# along a cosine, which settles the weights at the end of a short run. The time-to-quality
# benchmark (`benchmarks/results/time_to_quality.md`) compares this schedule with the blog's
# Adadelta on the same model. A tenth of the training pairs is kept aside for validation.

# %%
steps_per_epoch = int(np.ceil(0.9 * len(x_train) / run.batch_size))
schedule = keras.optimizers.schedules.CosineDecay(LEARNING_RATE, run.epochs * steps_per_epoch)
autoencoder.compile(optimizer=keras.optimizers.Adam(schedule), loss="binary_crossentropy")
with run.phase("train"):
    history = autoencoder.fit(
        x_train_noisy,
        x_train,
        epochs=run.epochs,
        batch_size=run.batch_size,
        validation_split=0.1,
        shuffle=True,
        verbose=0,
    )
validation_loss = history.history["val_loss"]
print(
    f"{len(validation_loss)} epochs in {run.seconds['train']:.0f} s, "
    f"validation loss {validation_loss[0]:.4f} -> {validation_loss[-1]:.4f}"
)

# %%
plots.plot_history({"denoiser": history}, title="Binary cross-entropy per pixel")

# %% [markdown]
# *Training (solid) and validation (dashed) loss per epoch.*

# %% [markdown]
# ## Evaluate
#
# ### Against classical filters
#
# A Gaussian blur averages the noise away but blurs the strokes too; its width is chosen on noisy
# *training* images, never on the test set. A 3x3 median filter removes isolated outliers and
# keeps edges better. Each output is compared with the clean test image by its peak
# signal-to-noise ratio, for pixels in [0, 1], computed per image (capped at 60 dB) and averaged:
#
# $$
# \mathrm{PSNR}(x, \hat{x}) = 10 \log_{10}
# \frac{1}{\frac{1}{D} \sum_{i=1}^{D} (x_i - \hat{x}_i)^2} \ \text{dB},
# $$
#
# and by SSIM (structural similarity, 1 for identical images), averaged over images.

# %%
with run.phase("evaluate"):
    validation_clean, validation_noisy = x_train[-500:], x_train_noisy[-500:]
    sigma_scores = {
        sigma: metrics.psnr(validation_clean, baselines.gaussian_filter(validation_noisy, sigma))
        for sigma in (0.5, 0.75, 1.0, 1.5, 2.0)
    }
    best_sigma = max(sigma_scores, key=sigma_scores.get)
    outputs = {
        "noisy input": x_test_noisy,
        f"Gaussian blur (sigma {best_sigma})": baselines.gaussian_filter(x_test_noisy, best_sigma),
        "median 3x3": baselines.median_filter(x_test_noisy, 3),
        "denoising autoencoder": autoencoder.predict(x_test_noisy, batch_size=1024, verbose=0),
    }
    scores = {
        name: {"PSNR (dB)": metrics.psnr(x_test, output), "SSIM": metrics.ssim(x_test, output)}
        for name, output in outputs.items()
    }
    test_loss = metrics.bce(x_test, outputs["denoising autoencoder"])

rows = [{"method": name, **row} for name, row in scores.items()]
display(Markdown(tables.markdown_table(rows, formats={"PSNR (dB)": ".2f", "SSIM": ".3f"})))

# %% [markdown]
# What the table says, and how far this short run is from the blog's long one:

# %%
ours, median = scores["denoising autoencoder"], scores["median 3x3"]
blog_test_loss = 0.0938  # The blog's val_loss after 100 epochs; it validated on the test pairs.
display(
    Markdown(
        f"The denoising autoencoder scores {ours['PSNR (dB)']:.2f} dB, "
        f"{ours['PSNR (dB)'] - median['PSNR (dB)']:+.2f} dB against the median filter "
        f"(SSIM {ours['SSIM']:.3f} against {median['SSIM']:.3f}). Its test cross-entropy after "
        f"{run.epochs} epochs of Adam is {test_loss:.4f}; the blog's, after 100 epochs of "
        f"Adadelta, {blog_test_loss}."
    )
)

# %% [markdown]
# A filter knows only that neighbouring pixels tend to be alike, so it cannot tell a stroke from
# a blob of noise of the same size; the autoencoder has learned what digits look like and redraws
# one. The price is generality: it knows MNIST digits and this noise, where a filter works on any
# image.

# %% [markdown]
# ### What the denoiser outputs

# %%
plots.show_image_rows(
    {
        "noisy": x_test_noisy,
        "median 3x3": outputs["median 3x3"],
        "autoencoder": outputs["denoising autoencoder"],
        "clean": x_test,
    },
    count=10,
)

# %% [markdown]
# *Ten noisy test digits (top), the median filter's output, the denoising autoencoder's, and the
# clean digits (bottom).* The filter leaves a grey speckle around broken strokes; the autoencoder
# returns a black background and whole strokes.

# %% [markdown]
# ## Record the results
#
# The metrics in `results/denoising.json`: `<method>_psnr` and `<method>_ssim` for `noisy`,
# `gaussian`, `median` and `autoencoder`; `gaussian_sigma`; `autoencoder_bce`, the test
# cross-entropy; the training losses `first_epoch_loss` and `last_epoch_loss`; and the headline
# the book's results table shows, the autoencoder's PSNR beside the median filter's.

# %%
keys = dict(zip(outputs, ("noisy", "gaussian", "median", "autoencoder"), strict=True))
record_metrics = {
    "gaussian_sigma": best_sigma,
    "autoencoder_bce": test_loss,
    "first_epoch_loss": history.history["loss"][0],
    "last_epoch_loss": history.history["loss"][-1],
}
for name, row in scores.items():
    record_metrics[f"{keys[name]}_psnr"] = row["PSNR (dB)"]
    record_metrics[f"{keys[name]}_ssim"] = row["SSIM"]
# The record also declares this recipe's row of the book's results table.
headline = results.Headline(
    title="Denoising",
    metric="autoencoder_psnr",
    label="the Keras blog's denoising autoencoder, PSNR (dB)",
    baseline_metric="median_psnr",
    baseline_label="median filter 3x3",
)
run.finish(record_metrics, headline)

# %% [markdown]
# ## What to try next
#
# Score the trained model at other noise levels (`add_noise(x_test, 0.3)`, `0.7`): it keeps
# removing the amount of noise it was trained on, so it does best near `NOISE_FACTOR`, and a
# model trained on a mix of levels copes with all of them. Set `NOISE_MEAN = 0.5`, as the R
# Keras cookbook and Ferlitsch's chapter do: the noise then also brightens every pixel, a shift
# that no filter undoes and the autoencoder learns to remove. Replace the Gaussian noise with
# salt-and-pepper noise, where the median filter shines. Finally, give the network skip
# connections from each encoder stage to the decoder stage of the same size (a U-Net, as recipe
# 04 builds): the fine position of the edges then goes around the bottleneck, and the outputs
# come out sharper.
