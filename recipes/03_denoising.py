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
# from MNIST digits, and measure it against classical denoisers tuned on held-out training images.<br>
# **Accelerator:** none needed (the full profile took 3.0 minutes on a 2-core CPU).<br>
# <a href="https://colab.research.google.com/github/aebook/aebook/blob/main/recipes/03_denoising.ipynb"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>

# %% [markdown]
# ## Introduction
#
# A denoising autoencoder sees a corrupted image and is trained to output the *clean* one (Vincent
# et al., 2008 {cite:p}`vincent2008`). It cannot simply copy its input, so it has to learn what
# digits look like and keep only that. The Keras blog's *Building autoencoders in Keras* adds
# Gaussian noise to MNIST, trains a small convolutional autoencoder on the noisy/clean pairs for 100
# epochs of Adadelta and reports a validation loss of 0.0938. This recipe trains the same model for
# a few epochs with Adam and compares it with the classical denoisers an image-processing engineer
# would reach for (total variation, non-local means, wavelet shrinkage, a bilateral filter, PCA),
# each tuned on held-out training images and corrected for the bias that clipped noise leaves.

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
from scipy import ndimage
from skimage import restoration
from sklearn.decomposition import PCA

from aelib import metrics, plots, results, runs, tables

# %% tags=["parameters"]
PROFILE = "full"  # full: real MNIST; smoke: seconds on a CPU with the embedded sample.
SEED = 42
EPOCHS = 4
BATCH_SIZE = 16
LEARNING_RATE = 2e-3
NOISE_FACTOR = 0.5  # Standard deviation of the added noise, in pixel units (the blog's).
NOISE_MEAN = 0.0
TUNING_SIZE = 500  # Held-out training pairs that fit the classical methods' de-bias.
# The classical methods' settings, chosen on the same held-out training pairs by
# benchmarks/denoiser_search.py from a grid of each (the appendix lists every setting tried).
SETTINGS = {
    "gaussian": {"sigma": 1.0},
    "median": {"size": 3},
    "total_variation": {"weight": 0.25},
    "non_local_means": {"h": 0.3, "patch_size": 5, "patch_distance": 3},
    "wavelet": {"sigma": 0.3, "mode": "soft", "wavelet": "db2", "wavelet_levels": 2},
    "bilateral": {"sigma_color": 1.0, "sigma_spatial": 3.0, "win_size": 3},
    "pca": {"components": 64},
}

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
    tuning_size=TUNING_SIZE,
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
# disturbed. Clipping also makes the noise biased: a black pixel can only get brighter and a
# white one only darker.


# %%
def add_noise(images, noise_factor=0.5, mean=0.0, seed=None):
    """Return images + N(mean, noise_factor**2) noise, clipped to [0, 1]; same shape, float32."""
    if noise_factor < 0:
        raise ValueError(f"noise_factor must be >= 0, not {noise_factor}.")
    noise = np.random.default_rng(seed).normal(mean, noise_factor, size=np.shape(images))
    return np.clip(images + noise, 0.0, 1.0).astype(np.float32)


# %% [markdown]
# The training pairs are (noisy image, clean image). The test images get their own noise, drawn
# with a different seed, so the model is judged on noise it never saw. The black pixels show the
# bias.

# %%
x_train_noisy = add_noise(x_train, NOISE_FACTOR, NOISE_MEAN, seed=SEED)
x_test_noisy = add_noise(x_test, NOISE_FACTOR, NOISE_MEAN, seed=SEED + 1)
black = x_train == 0.0
print(
    f"{black.mean():.0%} of the training pixels are black; "
    f"noisy, they average {x_train_noisy[black].mean():.3f}"
)

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
# Batches of 16 give this small model four times the updates per epoch that batches of 64 would,
# which it needs more than extra epochs, and Adam's rate decays to zero along a cosine, which
# settles the weights at the end of a short run (the appendix's time-to-quality benchmark
# compares this with the blog's Adadelta). A tenth of the training pairs is kept for validation.

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

# %%
plots.plot_history({"denoiser": history}, title="Binary cross-entropy per pixel")

# %% [markdown]
# *Training (solid) and validation (dashed) loss per epoch.*

# %% [markdown]
# ## Evaluate
#
# ### Classical denoisers, de-biased on training images
#
# A classical denoiser averages the noise but keeps its bias, so its output sits on a grey
# background. Each one here is followed by an affine de-bias, two numbers fitted by least squares
# on pairs of training images:
#
# $$
# \hat{x} = \operatorname{clip}\bigl(a\, D_\theta(\tilde{x}) + b,\ 0,\ 1\bigr),
# \qquad
# (a, b) = \arg\min_{a,\, b} \sum_{n} \sum_{i=1}^{D}
# \bigl(a\, D_\theta(\tilde{x}_n)_i + b - x_{n,i}\bigr)^2,
# $$
#
# where $D_\theta$ is the denoiser with its settings $\theta$. The candidates are a Gaussian blur, a
# median filter, four denoisers of scikit-image (total variation after Chambolle, 2004
# {cite:p}`chambolle2004`; non-local means after Buades et al., 2005 {cite:p}`buades2005`;
# BayesShrink wavelet shrinkage {cite:p}`chang2000`; a bilateral filter), and the projection of the
# noisy image onto the leading principal components of *clean* digits, each at its settings $\theta$
# in `SETTINGS`.


# %%
def denoise_each(denoiser, images, **settings):
    """Apply ``denoiser`` (one 2-d image in, one out) to each image of (n, 28, 28, 1)."""
    denoised = np.stack([denoiser(image[..., 0], **settings) for image in images])
    return denoised[..., None].astype(np.float32)


def pca_projection(image, components):
    """The noisy image projected onto the first ``components`` principal directions of digits."""
    basis = pca.components_[:components]
    return ((image.ravel() - pca.mean_) @ basis.T @ basis + pca.mean_).reshape(image.shape)


# Each method: its name and a denoiser of one 2-d image, run at its settings in SETTINGS.
methods = {
    "input": ("noisy input, de-biased", np.asarray),  # The de-bias alone.
    "gaussian": ("Gaussian blur", ndimage.gaussian_filter),
    "median": ("median filter", ndimage.median_filter),
    "total_variation": ("total variation", restoration.denoise_tv_chambolle),
    "non_local_means": ("non-local means", restoration.denoise_nl_means),
    "wavelet": ("wavelet shrinkage", restoration.denoise_wavelet),
    "bilateral": ("bilateral filter", restoration.denoise_bilateral),
    "pca": ("PCA projection", pca_projection),
}


def describe(settings):
    """Settings as text: "weight 0.25, ..." ("-" when there are none)."""
    return ", ".join(f"{name} {value}" for name, value in settings.items()) or "-"


# %% [markdown]
# The de-bias is fitted on the last `TUNING_SIZE` training pairs, never on the test set: Keras's
# `validation_split` kept them out of the autoencoder's training, and PCA is fitted without them.
# The PSNR there also names the strongest classical method below, as it chose the settings.

# %%
held_out = len(x_train) // 10  # Keras's validation_split=0.1 kept the last tenth out of training.
tuning_clean, tuning_noisy = (x[-min(TUNING_SIZE, held_out) :] for x in (x_train, x_train_noisy))
settings = {key: SETTINGS.get(key, {}) for key in methods}  # The de-bias alone has none.
fitted = {}
print(f"De-biased on {len(tuning_clean)} held-out training pairs:")
with run.phase("debias"):
    pca = PCA(settings["pca"]["components"], svd_solver="randomized", random_state=SEED)
    pca.fit(x_train[:-held_out].reshape(len(x_train) - held_out, -1))
    for key, (name, denoiser) in methods.items():
        denoised = denoise_each(denoiser, tuning_noisy, **settings[key])
        # The least-squares line from the denoised pixels to the clean ones: a and b.
        slope, intercept = np.polyfit(denoised.ravel(), tuning_clean.ravel(), deg=1)
        score = metrics.psnr(tuning_clean, np.clip(slope * denoised + intercept, 0.0, 1.0))
        fitted[key] = {"tuning_psnr": score, "debias_slope": slope, "debias_intercept": intercept}
        print(
            f"  {name}: {describe(settings[key])}; {score:.2f} dB "
            f"after the de-bias a {slope:.2f}, b {intercept:+.2f}"
        )

# %% [markdown]
# ### Against the autoencoder, on the test digits
#
# Each method, at its settings and de-bias, now denoises the test digits. Outputs are compared
# with the clean images by recipe 01's PSNR (computed per image, capped at 60 dB, and averaged)
# and by SSIM (structural similarity, 1 for identical images), averaged over images.

# %%
with run.phase("evaluate"):
    names, outputs, scores = {"autoencoder": "denoising autoencoder"}, {}, {}
    for key, (names[key], denoiser) in methods.items():
        denoised = denoise_each(denoiser, x_test_noisy, **settings[key])
        scores[key] = {"psnr_before_debias": metrics.psnr(x_test, np.clip(denoised, 0.0, 1.0))}
        slope, intercept = fitted[key]["debias_slope"], fitted[key]["debias_intercept"]
        outputs[key] = np.clip(slope * denoised + intercept, 0.0, 1.0)
    outputs["autoencoder"] = autoencoder.predict(x_test_noisy, batch_size=1024, verbose=0)
    for key, output in outputs.items():
        scores.setdefault(key, {}).update(
            psnr=metrics.psnr(x_test, output), ssim=metrics.ssim(x_test, output)
        )
    test_loss = metrics.bce(x_test, outputs["autoencoder"])

columns = {"psnr_before_debias": "PSNR before de-bias (dB)", "psnr": "PSNR (dB)", "ssim": "SSIM"}
rows = [
    {"method": names[key], "settings": describe(settings.get(key, {}))}
    | {title: row.get(name, float("nan")) for name, title in columns.items()}
    for key, row in scores.items()
]
formats = {"PSNR before de-bias (dB)": ".2f", "PSNR (dB)": ".2f", "SSIM": ".3f"}
display(Markdown(tables.markdown_table(rows, formats=formats)))

# %% [markdown]
# What the table says, and how far this short run is from the blog's long one:

# %%
# The strongest classical method is picked on the held-out training pairs, as its settings were.
classical = [key for key in methods if key != "input"]
strongest = max(classical, key=lambda key: fitted[key]["tuning_psnr"])
ours, theirs = scores["autoencoder"], scores[strongest]
margin = ours["psnr"] - theirs["psnr"]
# The book trains several seeds where a margin is under 1 dB.
wide = abs(margin) > 1.0
blog_test_loss = 0.0938  # The blog's val_loss after 100 epochs; it validated on the test pairs.
display(
    Markdown(
        f"The strongest classical method on the held-out training pairs is the {names[strongest]} "
        f"({describe(settings[strongest])}): {theirs['psnr']:.2f} dB on the test "
        f"digits, {theirs['psnr'] - theirs['psnr_before_debias']:+.2f} dB of it from the de-bias. "
        f"The denoising autoencoder scores {ours['psnr']:.2f} dB, {margin:+.2f} dB against it "
        f"(SSIM {ours['ssim']:.3f} against {theirs['ssim']:.3f}); at {'over' if wide else 'under'} "
        f"1 dB, one training seed {'is enough to show' if wide else 'cannot settle'} the gap. "
        f"Its test cross-entropy after {run.epochs} epochs of Adam is {test_loss:.4f}; the "
        f"blog's, after 100 epochs of Adadelta, {blog_test_loss}."
    )
)

# %% [markdown]
# The filters know only that neighbouring pixels, or patches, tend to be alike. PCA knows what
# digits look like, but only as a flat subspace, which keeps the part of the noise that lies in
# it; the autoencoder learns a curved description of digits from the noisy/clean pairs. The price
# is generality: it knows MNIST digits and this noise, where a filter works on any image.
#
# ### What the denoisers output

# %%
shown = {"noisy": x_test_noisy, names[strongest]: outputs[strongest]}
plots.show_image_rows(shown | {"autoencoder": outputs["autoencoder"], "clean": x_test}, count=10)

# %% [markdown]
# *Ten noisy test digits (top), the output of the strongest tuned classical method (named on
# its row), the denoising autoencoder's, and the clean digits (bottom).*

# %% [markdown]
# ## Record the results
#
# `results/denoising.json` keeps every row of the table (`total_variation_psnr`, ...), each
# de-bias with its held-out PSNR and numeric settings (`total_variation_debias_slope`,
# `total_variation_weight`), the autoencoder's test cross-entropy, its losses and the headline.

# %%
record_metrics = {
    "autoencoder_bce": test_loss,
    "first_epoch_loss": history.history["loss"][0],
    "last_epoch_loss": history.history["loss"][-1],
}
for key, row in scores.items():
    record_metrics |= {f"{key}_{name}": value for name, value in row.items()}
for key, fit in fitted.items():
    numeric = {name: value for name, value in settings[key].items() if not isinstance(value, str)}
    record_metrics |= {f"{key}_{name}": value for name, value in (fit | numeric).items()}
# The record also declares this recipe's row of the book's results table.
headline = results.Headline(
    title="Denoising",
    metric="autoencoder_psnr",
    label="the Keras blog's denoising autoencoder, PSNR (dB)",
    baseline_metric=f"{strongest}_psnr",
    baseline_label=f"{names[strongest]} ({describe(settings[strongest])}), de-biased",
)
run.finish(record_metrics, headline)

# %% [markdown]
# ## What to try next
#
# Score the trained model at other noise levels (`add_noise(x_test, 0.3)`, `0.7`) and see
# whether it removes only the amount of noise it was trained on; then train it on a mix of
# levels and compare. Set `NOISE_MEAN = 0.5`, as the R Keras cookbook and Ferlitsch's chapter
# do: the noise then also brightens every pixel, a shift the classical methods' de-bias has to
# undo as well. Replace the Gaussian noise with salt-and-pepper noise, the case the median
# filter is made for. Wrap the wavelet denoiser in `restoration.cycle_spin`, which averages it
# over shifted copies of the image. Finally, give the network skip connections from each
# encoder stage to the decoder stage of the same size (a U-Net, as recipe 04 builds), so that
# the fine position of the edges can go around the bottleneck.
