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
# # Vanilla autoencoders
#
# **Description:** Compress MNIST digits through a small code with a dense autoencoder, and
# compare it with PCA at the same code size.<br>
# **Accelerator:** none needed (the full profile took 3.1 minutes on a 2-core CPU).<br>
# <a href="https://colab.research.google.com/github/aebook/aebook/blob/main/recipes/01_vanilla.ipynb"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>

# %% [markdown]
# ## Introduction
#
# An autoencoder is a network trained to output its own input through a narrow middle layer,
# the *code*. The encoder $f$ maps an image $x$ to a code $z = f(x)$; the decoder $g$ maps the
# code back to an image $\hat{x} = g(z)$. Because the code is smaller than the image, the
# network has to learn what digits have in common in order to rebuild them. No labels are used.
#
# The Keras blog's *Building autoencoders in Keras* starts with the smallest such network: one
# `Dense` layer encodes the 784 pixels into 32 numbers, another decodes them, and 50 epochs of
# Adadelta end at a validation loss of 0.1022. This recipe trains that model and asks the
# question that decides whether it is worth having: does it rebuild the digits better than
# principal component analysis (PCA), the best *linear* code, with a code of the same size? The
# answer depends on the size, so the recipe asks it at several.

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

from aelib import baselines, metrics, plots, results, runs, tables

# %% [markdown]
# The parameters cell sets the run profile. `full` trains on the real MNIST and gives the numbers
# on this page; `smoke` caps every size so the notebook runs in seconds (tests use it).
# `runs.start` seeds every random generator, loads the profile's share of the data and says
# what ran.

# %% tags=["parameters"]
PROFILE = "full"
SEED = 42
EPOCHS = 30
BATCH_SIZE = 128
LATENT_DIM = 32  # The Keras blog's code size, and the one the headline compares at.
CODE_SIZES = (2, 8, LATENT_DIM, 128)

# %%
run = runs.start(
    "vanilla",
    PROFILE,
    seed=SEED,
    dataset="mnist",
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    latent_dim=LATENT_DIM,
)
x_train, x_test = run.x_train, run.x_test

# %% [markdown]
# ## Prepare the data
#
# The images are float32 in [0, 1] with a channel axis; the banner above says where they were
# found: a data folder, the `keras.datasets` download, or the embedded 5,000-digit sample.

# %%
# NBVAL_CHECK_OUTPUT
print(f"x_train: (n, {', '.join(map(str, x_train.shape[1:]))}) {x_train.dtype}")
print(f"pixel range: [{x_train.min():.1f}, {x_train.max():.1f}]")

# %% [markdown]
# ## Build the model
#
# The encoder is one `Dense` layer with a ReLU; the decoder is one `Dense` layer with a sigmoid,
# so its outputs stay in [0, 1] like the pixels. The encoder and decoder are separate models that
# *share layers* with the autoencoder: training the autoencoder trains them, and afterwards each
# can be used alone.


# %%
def build_dense_autoencoder(latent_dim):
    """Return (autoencoder, encoder, decoder) for (28, 28, 1) images and a latent_dim code."""
    images = keras.Input(shape=(28, 28, 1), name="images")
    flat = keras.layers.Flatten()(images)
    encode = keras.layers.Dense(latent_dim, activation="relu", name="code")
    decode = keras.layers.Dense(28 * 28, activation="sigmoid", name="pixels")
    to_image = keras.layers.Reshape((28, 28, 1))
    reconstruction = to_image(decode(encode(flat)))
    autoencoder = keras.Model(images, reconstruction, name=f"autoencoder_{latent_dim}")

    encoder = keras.Model(images, encode(flat), name=f"encoder_{latent_dim}")
    code = keras.Input(shape=(latent_dim,), name="code_input")
    decoder = keras.Model(code, to_image(decode(code)), name=f"decoder_{latent_dim}")
    return autoencoder, encoder, decoder


models = {latent_dim: build_dense_autoencoder(latent_dim) for latent_dim in CODE_SIZES}
models[LATENT_DIM][0].summary()

# %%
# NBVAL_CHECK_OUTPUT
# One autoencoder per code size; these numbers must not drift between profiles.
for latent_dim, (autoencoder, encoder, _) in models.items():
    code_shape = tuple(encoder.output.shape[1:])
    print(f"code {latent_dim:>3}: {autoencoder.count_params():>7,} parameters, code {code_shape}")

# %% [markdown]
# ## Train
#
# The image is both the input and the target. The loss is the binary cross-entropy between each
# pixel $x_i$ and its reconstruction $\hat{x}_i$, averaged over the $D = 784$ pixels, which
# treats a pixel in [0, 1] as the probability of ink (the Keras blog's loss):
#
# $$
# \mathcal{L}(x, \hat{x}) = -\frac{1}{D} \sum_{i=1}^{D}
# \bigl[ x_i \log \hat{x}_i + (1 - x_i) \log (1 - \hat{x}_i) \bigr],
# \qquad \hat{x} = g(f(x)).
# $$
#
# Adam reaches in 30 epochs what the blog's 50 epochs of Adadelta give, in a fraction of the time
# (`benchmarks/results/time_to_quality.md` measures both on this model). A tenth of the training
# images is kept aside as the validation set the curves show; the test images are held out.

# %%
histories = {}
for latent_dim, (autoencoder, _, _) in models.items():
    autoencoder.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
    with run.phase(f"train_{latent_dim}"):
        histories[latent_dim] = autoencoder.fit(
            x_train,
            x_train,
            epochs=run.epochs,
            batch_size=run.batch_size,
            validation_split=0.1,
            shuffle=True,
            verbose=0,
        )
    loss = histories[latent_dim].history["val_loss"]
    seconds = run.seconds[f"train_{latent_dim}"]
    print(f"code {latent_dim}: {seconds:.0f} s, validation loss {loss[0]:.4f} -> {loss[-1]:.4f}")

# %%
plots.plot_history(
    {f"code {latent_dim}": history for latent_dim, history in histories.items()},
    title="Binary cross-entropy per pixel, by code size",
)

# %% [markdown]
# *Training (solid) and validation (dashed) loss per epoch, one colour per code size.*

# %% [markdown]
# ## Evaluate
#
# ### Against PCA at the same code size
#
# PCA keeps the $k$ directions in which the training images vary most; projecting an image onto
# them and back is the rank-$k$ linear reconstruction with the least squared error (the
# Eckart-Young theorem). A linear autoencoder trained on squared error can at best find the same
# subspace (Baldi and Hornik, 1989), so whatever an autoencoder gains over PCA comes from its
# non-linearities: here the encoder's ReLU and the decoder's sigmoid. The mean training image, a
# code of size 0, is the trivial floor.
#
# The measure of quality is the peak signal-to-noise ratio of each test image, for pixels in
# [0, 1], averaged over the test set (each image capped at 60 dB):
#
# $$
# \mathrm{PSNR}(x, \hat{x}) = 10 \log_{10}
# \frac{1}{\frac{1}{D} \sum_{i=1}^{D} (x_i - \hat{x}_i)^2} \ \text{dB}.
# $$
#
# The table also gives the cross-entropy and squared error per pixel, and SSIM (structural
# similarity, 1 for identical images) averaged over images.

# %%
with run.phase("pca"):
    pca_reconstructions = {
        latent_dim: baselines.pca_reconstruction(x_train, x_test, latent_dim)
        for latent_dim in CODE_SIZES
    }
with run.phase("evaluate"):
    reconstructions = {"mean image": np.broadcast_to(x_train.mean(axis=0), x_test.shape)}
    code_sizes = {"mean image": 0}
    for latent_dim, (autoencoder, _, _) in models.items():
        reconstructions[f"autoencoder-{latent_dim}"] = autoencoder.predict(x_test, verbose=0)
        reconstructions[f"PCA-{latent_dim}"] = pca_reconstructions[latent_dim]
        code_sizes |= {f"autoencoder-{latent_dim}": latent_dim, f"PCA-{latent_dim}": latent_dim}
    measures = {"BCE": metrics.bce, "MSE": metrics.mse, "PSNR (dB)": metrics.psnr}
    measures["SSIM"] = metrics.ssim
    scores = {
        name: {measure: score(x_test, images) for measure, score in measures.items()}
        for name, images in reconstructions.items()
    }

rows = [{"method": name, "code size": code_sizes[name], **row} for name, row in scores.items()]
formats = {"BCE": ".4f", "MSE": ".4f", "PSNR (dB)": ".2f", "SSIM": ".3f"}
display(Markdown(tables.markdown_table(rows, formats=formats)))

# %%
# The question of this recipe, answered at each code size by the numbers above.
verdicts = []
for latent_dim in CODE_SIZES:
    ours = scores[f"autoencoder-{latent_dim}"]["PSNR (dB)"]
    pca = scores[f"PCA-{latent_dim}"]["PSNR (dB)"]
    winner = "the autoencoder" if ours > pca else "PCA"
    verdicts.append(
        f"- **{latent_dim} numbers:** autoencoder {ours:.2f} dB, PCA {pca:.2f} dB; "
        f"{winner} is ahead by {abs(ours - pca):.2f} dB."
    )
training_seconds = sum(run.seconds[f"train_{latent_dim}"] for latent_dim in CODE_SIZES)
verdicts.append(
    f"\nPCA fitted all {len(CODE_SIZES)} code sizes in {run.seconds['pca']:.0f} s; the "
    f"autoencoders took {training_seconds:.0f} s of training."
)
blog_test_loss = 0.1022  # The blog's val_loss after 50 epochs; it validated on the test set.
verdicts.append(
    f"\nThe blog's 32-number autoencoder ended its 50 Adadelta epochs at a test cross-entropy of "
    f"{blog_test_loss}; this one, after {run.epochs} epochs of Adam, at "
    f"{scores[f'autoencoder-{LATENT_DIM}']['BCE']:.4f}."
)
display(Markdown("\n".join(verdicts)))

# %%
figure, axis = plt.subplots(figsize=(6, 3.5))
for method in ("autoencoder", "PCA"):
    values = [scores[f"{method}-{latent_dim}"]["PSNR (dB)"] for latent_dim in CODE_SIZES]
    axis.plot(CODE_SIZES, values, marker="o", label=method)
axis.set_xscale("log", base=2)
axis.set_xticks(CODE_SIZES, [str(size) for size in CODE_SIZES])
axis.set(xlabel="code size (numbers per image)", ylabel="test PSNR (dB)")
axis.legend()
axis.grid(alpha=0.3)
plt.show()

# %% [markdown]
# *Test PSNR of the autoencoder and of PCA at each code size; higher is better.*
#
# Most pixels of a digit image are background. The decoder's sigmoid can push them all the way
# to black whatever the code says, while PCA's reconstruction is a weighted sum of components
# that leaves faint grey ripples on every background pixel, and squared error counts each one.
# Each extra number in the code then adds detail to the strokes on top of that clean
# background, so the autoencoder's margin can grow with the code.
#
# PCA has its own strengths. With a code of two or so numbers, a single ReLU layer has little
# room: a unit that never switches on wastes part of the code, and the best linear code can
# match it. PCA also needs no training: one decomposition of the training images serves every code
# size at once, and its components come ordered by how much they explain.
#
# The literature's case for autoencoders at small codes is made with *deep* ones. Hinton and
# Salakhutdinov (*Science*, 2006) stacked several layers on each side and rebuilt MNIST digits
# from 30 numbers far better than 30-component PCA; one layer each way, as here, gains little
# where the code is tiny.

# %% [markdown]
# ### Reconstructions

# %%
shown = (f"autoencoder-{LATENT_DIM}", f"PCA-{LATENT_DIM}")
plots.show_image_rows({"original": x_test} | {name: reconstructions[name] for name in shown})

# %% [markdown]
# *Ten test digits (top) and their reconstructions from 32-number codes by the autoencoder
# (middle) and PCA (bottom).* PCA's digits are sums of "eigen-digits" with grey halos; the
# autoencoder keeps the background black.

# %% [markdown]
# ### Using the encoder and decoder alone
#
# Chained, the encoder and decoder give exactly the autoencoder's output: they share its layers.

# %%
autoencoder, encoder, decoder = models[LATENT_DIM]
codes = encoder.predict(x_test[:5], verbose=0)
decoded = decoder.predict(codes, verbose=0)
chained_error = np.max(np.abs(decoded - reconstructions[f"autoencoder-{LATENT_DIM}"][:5]))
print(f"largest difference between decoder(encoder(x)) and the autoencoder: {chained_error:.1e}")

# %% [markdown]
# ## Record the results
#
# `results/vanilla.json` keeps every row of the table (`ae_32_psnr`, ...) and the headline.

# %%
record_metrics = {"encoder_decoder_max_difference": float(chained_error)}
for name, row in scores.items():
    key = name.lower().replace("autoencoder", "ae").replace(" ", "_").replace("-", "_")
    for metric, value in row.items():
        record_metrics[f"{key}_{metric.split()[0].lower()}"] = value
for latent_dim, history in histories.items():
    record_metrics[f"ae_{latent_dim}_first_epoch_loss"] = history.history["loss"][0]
    record_metrics[f"ae_{latent_dim}_last_epoch_loss"] = history.history["loss"][-1]
headline = results.Headline(
    title="Vanilla",
    metric=f"ae_{LATENT_DIM}_psnr",
    label=f"dense autoencoder, {LATENT_DIM}-number code, PSNR (dB)",
    baseline_metric=f"pca_{LATENT_DIM}_psnr",
    baseline_label=f"PCA, {LATENT_DIM} components",
)
run.finish(record_metrics, headline)

# %% [markdown]
# ## What to try next
#
# Stack more layers on each side (784-128-64-32 and back): a deeper encoder can bend the code
# further from PCA's flat subspace, which recipe 02 uses to reduce digits to a few numbers.
# Replace the `Dense` layers with convolutions, as the Keras blog's next model does with a 4x4x8
# code of 128 numbers; recipe 03 trains a convolutional one to remove noise. Judge it against PCA-128,
# not PCA-32, and on SSIM as well as PSNR: a convolutional decoder draws clean backgrounds and
# sharp strokes, which squared error rewards less than the eye does. Finally, set `CODE_SIZES`
# to `(2, 4, 8, 16, 32, 64, 128, 256)` to draw the two curves in detail.
