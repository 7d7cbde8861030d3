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
# **Description:** Compress MNIST digits through a 32-number code with dense and convolutional
# autoencoders, and check that they beat PCA with the same code size.<br>
# **Accelerator:** none needed (the full profile takes a few minutes on a laptop CPU).<br>
# <a href="https://colab.research.google.com/github/aebook/aebook/blob/main/recipes/01_vanilla.ipynb"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>

# %% [markdown]
# ## Introduction
#
# An autoencoder is a network trained to output its own input through a narrow middle layer,
# the *code*. The encoder maps an image to the code; the decoder maps the code back to an image.
# Because the code is smaller than the image, the network must learn what digits have in common
# to reconstruct them well. Nothing here uses labels.
#
# This recipe follows the Keras blog's *Building autoencoders in Keras*: the single-layer dense
# autoencoder (784-32-784), a deeper one (784-128-64-32-64-128-784) and a small convolutional
# one whose code is a 4x4x8 block. The question worth asking of each is whether it beats
# principal component analysis (PCA), the linear autoencoder with a closed-form solution, at the
# same code size.

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

from aelib import baselines, book, data, metrics, plots, profiles, results

# %% [markdown]
# The parameters cell sets the run profile. `full` trains on the real MNIST and gives the numbers
# quoted in the text; `smoke` caps every size so the notebook runs in seconds (tests use it).

# %% tags=["parameters"]
PROFILE = "full"
SEED = 42
EPOCHS = 30  # For the dense models; an epoch takes seconds on a CPU.
BATCH_SIZE = 128
# The convolutional model costs about 20 times more per epoch on a CPU, and it gains more from
# smaller batches (four times the updates per epoch) than from more epochs.
CONV_EPOCHS = 6
CONV_BATCH_SIZE = 32
LATENT_DIM = 32
CONV_FILTERS = (32, 64, 64)

# %%
profile = profiles.get_profile(PROFILE, epochs=EPOCHS, batch_size=BATCH_SIZE)
conv_profile = profiles.get_profile(PROFILE, epochs=CONV_EPOCHS, batch_size=CONV_BATCH_SIZE)
keras.utils.set_random_seed(SEED)
timer = results.PhaseTimer()

# %% [markdown]
# ## Prepare the data
#
# `data.load_mnist` returns float32 images in [0, 1] with a channel axis, and says where it found
# them: a data folder, the `keras.datasets` download, or the embedded 5,000-digit sample.

# %%
with timer("data"):
    dataset = data.load_mnist(source=profile.data_source)
x_train = profile.take(dataset.x_train, "train")
x_test = profile.take(dataset.x_test, "test")
book.show_run_banner(profile, dataset)

# %%
# NBVAL_CHECK_OUTPUT
print(f"x_train: (n, {', '.join(map(str, x_train.shape[1:]))}) {x_train.dtype}")
print(f"pixel range: [{x_train.min():.1f}, {x_train.max():.1f}]")

# %% [markdown]
# ## Build the models
#
# ### A dense autoencoder with a 32-number code
#
# The encoder is one `Dense` layer with a ReLU; the decoder is one `Dense` layer with a sigmoid,
# so outputs stay in [0, 1] like the pixels. `Flatten` and `Reshape` let every model in this
# recipe take and return images of the same shape.
#
# The encoder and decoder are separate models that *share layers* with the autoencoder: training
# the autoencoder trains them, and afterwards each can be used alone.


# %%
def build_dense_autoencoder(latent_dim):
    """Return (autoencoder, encoder, decoder) for 28x28x1 images and a latent_dim code."""
    images = keras.Input(shape=(28, 28, 1), name="images")
    flat = keras.layers.Flatten()(images)
    encode = keras.layers.Dense(latent_dim, activation="relu", name="code")
    decode = keras.layers.Dense(28 * 28, activation="sigmoid", name="pixels")
    to_image = keras.layers.Reshape((28, 28, 1))
    reconstruction = to_image(decode(encode(flat)))
    autoencoder = keras.Model(images, reconstruction, name="dense_autoencoder")

    encoder = keras.Model(images, encode(flat), name="dense_encoder")
    code = keras.Input(shape=(latent_dim,), name="code_input")
    decoder = keras.Model(code, to_image(decode(code)), name="dense_decoder")
    return autoencoder, encoder, decoder


dense_autoencoder, dense_encoder, dense_decoder = build_dense_autoencoder(LATENT_DIM)
dense_autoencoder.summary()

# %% [markdown]
# ### A deep dense autoencoder
#
# Stacking layers (784-128-64-32 and back) lets the encoder learn a non-linear map before the
# bottleneck. The code size stays 32, so the comparison with the single layer is fair.


# %%
def build_deep_autoencoder(latent_dim):
    """Return (autoencoder, encoder, decoder) with 128-64 hidden layers on each side."""
    images = keras.Input(shape=(28, 28, 1), name="images")
    hidden = keras.layers.Flatten()(images)
    for units in (128, 64):
        hidden = keras.layers.Dense(units, activation="relu")(hidden)
    code = keras.layers.Dense(latent_dim, activation="relu", name="code")(hidden)
    encoder = keras.Model(images, code, name="deep_encoder")

    code_input = keras.Input(shape=(latent_dim,), name="code_input")
    hidden = code_input
    for units in (64, 128):
        hidden = keras.layers.Dense(units, activation="relu")(hidden)
    pixels = keras.layers.Dense(28 * 28, activation="sigmoid", name="pixels")(hidden)
    decoder = keras.Model(
        code_input, keras.layers.Reshape((28, 28, 1))(pixels), name="deep_decoder"
    )

    autoencoder = keras.Model(images, decoder(encoder(images)), name="deep_autoencoder")
    return autoencoder, encoder, decoder


deep_autoencoder, deep_encoder, deep_decoder = build_deep_autoencoder(LATENT_DIM)
deep_autoencoder.summary()

# %% [markdown]
# ### A convolutional autoencoder
#
# Convolutions share weights across positions, which suits images. Three conv + max-pooling
# stages shrink 28x28 to 4x4, and a 1x1 convolution squeezes the channels to 8: the code is a
# 4x4x8 block, 128 numbers. Up-sampling + conv stages grow it back; the last of them uses `valid`
# padding to go from 16x16 to 14x14. The Keras blog uses 16, 8 and 8 filters; wider layers
# (`CONV_FILTERS`) keep the same code size but give the model the capacity to use it.


# %%
def build_conv_autoencoder(filters):
    """Return (autoencoder, encoder, decoder) with a (4, 4, 8) code; filters: three widths."""
    images = keras.Input(shape=(28, 28, 1), name="images")
    hidden = images
    for width in filters:
        hidden = keras.layers.Conv2D(width, 3, activation="relu", padding="same")(hidden)
        hidden = keras.layers.MaxPooling2D(2, padding="same")(hidden)
    code = keras.layers.Conv2D(8, 1, activation="relu", name="code")(hidden)
    encoder = keras.Model(images, code, name="conv_encoder")

    code_input = keras.Input(shape=(4, 4, 8), name="code_input")
    hidden = code_input
    for width, padding in zip(filters[::-1], ("same", "same", "valid"), strict=True):
        hidden = keras.layers.Conv2D(width, 3, activation="relu", padding=padding)(hidden)
        hidden = keras.layers.UpSampling2D(2)(hidden)
    pixels = keras.layers.Conv2D(1, 3, activation="sigmoid", padding="same")(hidden)
    decoder = keras.Model(code_input, pixels, name="conv_decoder")

    autoencoder = keras.Model(images, decoder(encoder(images)), name="conv_autoencoder")
    return autoencoder, encoder, decoder


conv_autoencoder, conv_encoder, conv_decoder = build_conv_autoencoder(CONV_FILTERS)
conv_autoencoder.summary()

# %% [markdown]
# These numbers must not drift between profiles: parameter counts and code shapes.

# %%
# NBVAL_CHECK_OUTPUT
models = {
    "dense": (dense_autoencoder, dense_encoder),
    "deep": (deep_autoencoder, deep_encoder),
    "conv": (conv_autoencoder, conv_encoder),
}
for name, (autoencoder, encoder) in models.items():
    code_shape = tuple(encoder.output.shape[1:])
    print(f"{name:>5}: {autoencoder.count_params():>7,} parameters, code shape {code_shape}")

# %% [markdown]
# ## Train
#
# Each autoencoder learns to reproduce its input: the images are both input and target. Binary
# cross-entropy suits pixels in [0, 1] (it is the Keras blog's loss) and Adam converges in far
# fewer epochs than the blog's Adadelta. The convolutional model trains on batches of 32 for 6
# epochs: four times as many updates per epoch as batches of 128 give, which this model needs
# more than it needs extra epochs. On a CPU it passes the quality of the blog's 50 epochs of
# Adadelta in under a fifth of their time (`benchmarks/results/time_to_quality.md`). The test
# images are held out for evaluation; a tenth of the training images is kept aside as the
# validation set that the curves show.

# %%
histories = {}
for name, (autoencoder, _) in models.items():
    autoencoder.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
    sizes = conv_profile if name == "conv" else profile
    with timer(f"train_{name}"):
        histories[name] = autoencoder.fit(
            x_train,
            x_train,
            epochs=sizes.epochs,
            batch_size=sizes.batch_size,
            validation_split=0.1,
            shuffle=True,
            verbose=0,
        )
    validation_loss = histories[name].history["val_loss"]
    print(
        f"{name}: {len(validation_loss)} epochs in {timer.seconds[f'train_{name}']:.0f} s, "
        f"validation loss {validation_loss[0]:.4f} -> {validation_loss[-1]:.4f} "
        f"(last epoch {validation_loss[-1] - validation_loss[-2]:+.4f})"
    )


# %%
plots.plot_history(histories, title="Binary cross-entropy per pixel")
# %% [markdown]
# ## Evaluate
#
# ### Against PCA at the same code size
#
# PCA keeps the `k` directions of largest variance; it is the best *linear* code of size `k` for
# squared error. The dense and deep models have a 32-number code, the convolutional one 128, so
# each meets PCA with as many components. The mean training image, a code of size 0, is the
# trivial floor. All numbers are on the held-out test images: BCE and MSE per pixel, PSNR per
# image (data range 1) then averaged, and SSIM per image then averaged.

# %%
code_sizes = {
    "mean image": 0,
    f"PCA-{LATENT_DIM}": LATENT_DIM,
    "dense": LATENT_DIM,
    "deep": LATENT_DIM,
    "PCA-128": 128,
    "conv": 128,
}
with timer("evaluate"):
    mean_image = np.broadcast_to(x_train.mean(axis=0), x_test.shape)
    reconstructions = {
        "mean image": mean_image,
        f"PCA-{LATENT_DIM}": baselines.pca_reconstruction(x_train, x_test, LATENT_DIM),
        "PCA-128": baselines.pca_reconstruction(x_train, x_test, 128),
    }
    for name, (autoencoder, _) in models.items():
        reconstructions[name] = autoencoder.predict(x_test, batch_size=1024, verbose=0)
    scores = {
        name: {
            "BCE": metrics.bce(x_test, reconstructions[name]),
            "MSE": metrics.mse(x_test, reconstructions[name]),
            "PSNR (dB)": metrics.psnr(x_test, reconstructions[name]),
            "SSIM": metrics.ssim(x_test, reconstructions[name]),
        }
        for name in code_sizes
    }

table = ["| model | code size | BCE | MSE | PSNR (dB) | SSIM |", "|---|---:|---:|---:|---:|---:|"]
for name, row in scores.items():
    values = " | ".join(
        f"{value:.4f}" if key != "PSNR (dB)" else f"{value:.2f}" for key, value in row.items()
    )
    table.append(f"| {name} | {code_sizes[name]} | {values} |")
display(Markdown("\n".join(table)))

# %% [markdown]
# The question of this recipe, answered by the numbers above: does each autoencoder reconstruct
# the test digits with a lower squared error than PCA with a code of the same size?

# %%
for name in models:
    pca_name = f"PCA-{code_sizes[name]}"
    verdict = "beats" if scores[name]["MSE"] < scores[pca_name]["MSE"] else "does NOT beat"
    print(
        f"{name:>5} {verdict} {pca_name}: test MSE {scores[name]['MSE']:.4f} "
        f"vs {scores[pca_name]['MSE']:.4f}"
    )

# %% [markdown]
# At 32 numbers both dense autoencoders beat PCA: the ReLU encoder and the sigmoid decoder can
# bend the code around the curved set of digit images, where PCA can only project onto a flat
# subspace. The deep model, with the same code size, gains again over the single layer.
#
# The convolutional model reconstructs better than any 32-number code, but that comparison is
# not fair: its code holds 128 numbers. Against PCA-128 the verdict depends on the metric. PCA is
# *exactly* the linear code of its size with the least squared error, and 128 components leave
# only about 5% of the pixel variance unexplained (compare its MSE with the mean image's), so
# PCA-128 keeps the lower MSE (and higher PSNR). The
# convolutional model, trained on cross-entropy, has the lower BCE and a far higher SSIM: its
# digits have clean black backgrounds and sharp edges, where PCA's small errors spread as grey
# ripples over the whole image. Its code ties each of the 4x4 cells to one region of the image
# and was learned in six epochs on a CPU, with the validation loss still falling.
#
# Two lessons: a bigger code is not automatically a better one, so compare at equal size; and
# "better" needs a metric that matches what you want from the reconstruction.

# %% [markdown]
# ### Reconstructions
#
# The first row holds test digits, each further row a reconstruction of them, in the order of
# the table. PCA-32's digits are blurred sums of "eigen-digits" with grey halos; the
# autoencoders keep the background black and the strokes closer to the original.

# %%
rows = {"original": x_test}
rows |= {name: reconstructions[name] for name in code_sizes if name != "mean image"}
plots.show_image_rows(rows, count=10)
# %% [markdown]
# ### Using the encoder and decoder alone
#
# The separate encoder maps images to codes, and the decoder alone turns codes back into
# images; chained, they give exactly the autoencoder's output because they share its layers.

# %%
codes = dense_encoder.predict(x_test[:5], verbose=0)
decoded = dense_decoder.predict(codes, verbose=0)
chained_error = np.max(np.abs(decoded - reconstructions["dense"][:5]))
print(f"codes: {codes.shape}, mean activation {codes.mean():.2f}, {np.mean(codes == 0):.0%} zeros")
print(f"largest difference between decoder(encoder(x)) and the autoencoder: {chained_error:.1e}")

# %% [markdown]
# ## Record the results
#
# The numbers above go to `results/vanilla.json` with the profile, data source, timings and
# versions, so the book's results page and the regression tests read the same figures. The
# metric names are `<model>_<metric>` for every row of the table (`mean_image`, `pca_32`,
# `dense`, `deep`, `pca_128`, `conv`; `bce`, `mse`, `psnr`, `ssim`), each model's
# `<model>_first_epoch_loss` and `<model>_last_epoch_loss` (training BCE), and
# `encoder_decoder_max_difference`.

# %%
record_metrics = {"encoder_decoder_max_difference": float(chained_error)}
for name, row in scores.items():
    key = name.lower().replace(" ", "_").replace("-", "_")
    for metric, value in row.items():
        record_metrics[f"{key}_{metric.split()[0].lower()}"] = value
for name, history in histories.items():
    record_metrics[f"{name}_first_epoch_loss"] = history.history["loss"][0]
    record_metrics[f"{name}_last_epoch_loss"] = history.history["loss"][-1]
path = results.save_record("vanilla", profile.name, dataset.source, record_metrics, timer.seconds)
print(
    f"wrote {path.name}: {len(record_metrics)} metrics, e.g. dense_bce = "
    f"{record_metrics['dense_bce']:.4f}"
)

# %% [markdown]
# ## What to try next
#
# - Change `LATENT_DIM` to 2 or 64 and watch the gap to PCA grow or shrink.
# - Train the dense model with the Keras blog's Adadelta optimizer and compare the curves.
# - Set `CONV_FILTERS = (16, 8, 8)`, the Keras blog's widths: with about 3,000 parameters the
#   convolutional model no longer beats PCA-128, although its code is just as large.
