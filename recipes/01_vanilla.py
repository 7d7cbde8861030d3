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
# **Description:** Compress MNIST digits through a small code with the Keras blog's one-layer
# autoencoder, and compare it with PCA at the same code size.<br>
# **Accelerator:** none needed (the full profile took 5.2 minutes on a 2-core CPU).<br>
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
#
# At the smallest codes the two come within 1 dB of each other, so there the model trains from
# several seeds.

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
import logging
import os

# Keep TensorFlow's start-up notices out of the page; this must precede importing Keras.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# And its notices about retracing: each of the page's many models traces its own functions.
logging.getLogger("tensorflow").addFilter(lambda record: "retracing" not in record.getMessage())

import keras
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

from aelib import baselines, metrics, plots, results, runs, stats, tables

# %% [markdown]
# The parameters cell sets the run profile: `full` trains on the real MNIST and gives this page's
# numbers; `smoke` caps every size and trains 2 seeds, for the tests. `runs.start` seeds every
# random generator, loads the profile's share of the data and says what ran.

# %% tags=["parameters"]
PROFILE = "full"
SEED = 42
EPOCHS = 20
BATCH_SIZE = 128
LATENT_DIM = 32  # The Keras blog's code size.
CODE_SIZES = (2, 8, LATENT_DIM, 128)
SEEDS = 5  # Training seeds wherever one run cannot settle a comparison.
SEEDED_CODE_SIZES = (2, 8)  # Where the one-layer model and PCA come within 1 dB of each other.

# %%
run = runs.start(
    "vanilla",
    PROFILE,
    seed=SEED,
    dataset="mnist",
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    latent_dim=LATENT_DIM,
    seeds=SEEDS,
)
x_train, x_test = run.x_train, run.x_test
seeds = [SEED + offset for offset in range(SEEDS if run.profile.name == "full" else 2)]
print(f"seeds {', '.join(map(str, seeds))}; {run.epochs} epochs, batch size {run.batch_size}")

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
# The blog's encoder is one `Dense` layer with a ReLU; its decoder is one `Dense` layer with a
# sigmoid, so its outputs stay in [0, 1] like the pixels. The encoder and decoder are separate
# models that *share layers* with the autoencoder: training the autoencoder trains them, and
# afterwards each can be used alone.


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


# %%
# NBVAL_CHECK_OUTPUT
# One model of each size; these numbers must not drift between profiles.
for latent_dim in CODE_SIZES:
    parameters = build_dense_autoencoder(latent_dim)[0].count_params()
    print(f"code {latent_dim:>3}: {parameters:>7,} parameters")
# The encoder and decoder hold the autoencoder's own layers: chained, they give its output.
autoencoder, encoder, decoder = build_dense_autoencoder(LATENT_DIM)
chained = keras.ops.convert_to_numpy(decoder(encoder(x_test[:5])))
chained_error = float(np.max(np.abs(chained - keras.ops.convert_to_numpy(autoencoder(x_test[:5])))))
print(f"largest difference between decoder(encoder(x)) and the autoencoder: {chained_error:.1e}")

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
# Adam needs far fewer epochs than the blog's 50 of Adadelta: the test losses compared below
# show where its 20 end, and `benchmarks/results/time_to_quality.md` times both. A tenth of the
# training images is the validation set the curves show. Each seed draws its own initial weights
# and batch order on the same data; the model trains from all the seeds where it comes within
# 1 dB of PCA, once elsewhere.


# %%
def train_seeds(latent_dim, seeds):
    """Train one model per seed, timed as the phase `train_<latent_dim>`; return
    {seed: (autoencoder, encoder, decoder, history)}."""
    phase, trained = f"train_{latent_dim}", {}
    with run.phase(phase):
        for seed in seeds:
            keras.utils.set_random_seed(seed)
            autoencoder, encoder, decoder = build_dense_autoencoder(latent_dim)
            # 64 batches per call from Python: these small models otherwise spend much of their
            # time on per-batch overhead on a CPU. The computation is the same.
            optimizer = keras.optimizers.Adam(1e-3)
            autoencoder.compile(optimizer, loss="binary_crossentropy", steps_per_execution=64)
            history = autoencoder.fit(
                x_train,
                x_train,
                epochs=run.epochs,
                batch_size=run.batch_size,
                validation_split=0.1,
                verbose=0,
            )
            trained[seed] = (autoencoder, encoder, decoder, history)
    loss = trained[seeds[0]][3].history["val_loss"]
    print(
        f"{phase}: {len(seeds)} seed(s) in {run.seconds[phase]:.0f} s; validation loss of seed "
        f"{seeds[0]} {loss[0]:.4f} -> {loss[-1]:.4f}"
    )
    return trained


one_layer = {
    size: train_seeds(size, seeds if size in SEEDED_CODE_SIZES else seeds[:1])
    for size in CODE_SIZES
}

# %%
first = seeds[0]
plots.plot_history(
    {f"code {size}": trained[first][3] for size, trained in one_layer.items()},
    title="Binary cross-entropy per pixel, first seed at each code size",
)

# %% [markdown]
# *Training (solid) and validation (dashed) loss per epoch of the first seed's model, one colour
# per code size.*

# %% [markdown]
# ## Evaluate
#
# ### Against PCA at the same code size
#
# PCA keeps the $k$ directions in which the training images vary most; projecting an image onto them
# and back is the rank-$k$ linear reconstruction with the least squared error (the Eckart-Young
# theorem). A linear autoencoder trained on squared error can at best find the same subspace (Baldi
# and Hornik, 1989 {cite:p}`baldi1989`), so whatever an autoencoder gains over PCA comes from its
# non-linearities. The mean training image, a code of size 0, is the trivial floor.
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
# similarity, 1 for identical images) averaged over images; a trained model's row is the mean
# over its seeds.

# %%
measures = {"BCE": metrics.bce, "MSE": metrics.mse, "PSNR (dB)": metrics.psnr, "SSIM": metrics.ssim}


def score(images):
    """Every measure of `images` against the test images."""
    return {measure: function(x_test, images) for measure, function in measures.items()}


def code_size(name):
    """The code size in a method's name: 'PCA-8' -> 8; the mean image's is 0."""
    return 0 if name == "mean image" else int(name.rsplit("-", 1)[1])


models = {f"one-layer-{size}": trained for size, trained in one_layer.items()}
with run.phase("pca"):
    pca = {
        f"PCA-{size}": baselines.pca_reconstruction(x_train, x_test, size) for size in CODE_SIZES
    }
with run.phase("evaluate"):
    # Every method's scores, one entry per seed, and its first seed's reconstructions.
    reconstructions = {"mean image": np.broadcast_to(x_train.mean(axis=0), x_test.shape)} | pca
    seed_scores = {name: [score(images)] for name, images in reconstructions.items()}
    for name, trained in models.items():
        # One call on the whole test set; the models are small enough for it.
        outputs = [keras.ops.convert_to_numpy(model[0](x_test)) for model in trained.values()]
        reconstructions[name], seed_scores[name] = outputs[0], [score(output) for output in outputs]

rows = [
    {"method": name, "code size": code_size(name), "seeds": len(seed_scores[name])}
    | {measure: np.mean([scores[measure] for scores in seed_scores[name]]) for measure in measures}
    for name in sorted(seed_scores, key=code_size)
]
formats = {"BCE": ".4f", "MSE": ".4f", "PSNR (dB)": ".2f", "SSIM": ".3f"}
display(Markdown(tables.markdown_table(rows, formats=formats)))

# %%
# The question of this recipe at each code size: each model's mean and spread over its seeds,
# and its paired difference from PCA (which has no seed) with the 95% interval.
psnr = {name: [scores["PSNR (dB)"] for scores in seed_scores[name]] for name in seed_scores}
summaries = {name: stats.summarize(values) for name, values in psnr.items()}
differences = {
    name: stats.paired_difference(psnr[name], psnr[f"PCA-{code_size(name)}"][0]) for name in models
}
words = {"wins": "ahead", "ties": "a tie", "loses": "behind"}
lines = []
for size in CODE_SIZES:
    name = f"one-layer-{size}"
    verdict = words[stats.verdict(differences[name])]
    if differences[name].seeds == 1:  # One seed settles a margin of more than 1 dB only.
        verdict = (
            f"{verdict} by more than 1 dB" if abs(differences[name].mean) > 1 else "not settled"
        )
    lines.append(
        f"- **{size} numbers:** PCA {psnr[f'PCA-{size}'][0]:.2f} dB; the autoencoder "
        f"{stats.describe(summaries[name], 2, ' dB')}, "
        f"{stats.describe_interval(differences[name], 2, ' dB')} against PCA: {verdict}."
    )
smallest = CODE_SIZES[0]
lines.append(
    f"\nAt {smallest} numbers the one-layer model's reconstructions are the sigmoid of a point on "
    f"a {smallest}-dimensional plane, hardly more than PCA's plane (Baldi and Hornik's result), "
    f"and its mean lands {abs(differences[f'one-layer-{smallest}'].mean):.2f} dB from PCA's."
)
one_layer_seconds = sum(run.seconds[f"train_{size}"] for size in CODE_SIZES)
lines.append(
    f"\nPCA fitted all {len(CODE_SIZES)} code sizes in {run.seconds['pca']:.0f} s; the "
    f"autoencoders took {one_layer_seconds:.0f} s of training."
)
no_ink = x_test == 0  # Pixels where the digit has no ink: black, 0.
grey = {
    kind: reconstructions[f"{kind}-{LATENT_DIM}"][no_ink].mean() for kind in ("PCA", "one-layer")
}
lines.append(
    f"\nOn the test pixels without ink (value 0), the {LATENT_DIM}-number reconstructions average "
    f"{grey['PCA']:.3f} for PCA and {grey['one-layer']:.3f} for the one-layer model."
)
blog_test_loss = 0.1022  # The blog's val_loss after 50 epochs; it validated on the test set.
lines.append(
    f"\nThe blog's 32-number autoencoder ended its 50 Adadelta epochs at a test cross-entropy of "
    f"{blog_test_loss}; this one, after {run.epochs} epochs of Adam, at "
    f"{seed_scores[f'one-layer-{LATENT_DIM}'][0]['BCE']:.4f}."
)
display(Markdown("\n".join(lines)))

# %%
figure, axis = plt.subplots(figsize=(6, 3.5))
for kind in ("one-layer", "PCA"):
    names = [name for name in psnr if name.startswith(f"{kind}-")]
    means = [summaries[name].mean for name in names]
    spreads = [summaries[name].std for name in names]
    axis.errorbar(list(map(code_size, names)), means, spreads, marker="o", capsize=3, label=kind)
axis.set_xscale("log", base=2)
axis.set_xticks(CODE_SIZES, [str(size) for size in CODE_SIZES])
axis.set(xlabel="code size (numbers per image)", ylabel="test PSNR (dB)")
axis.legend()
axis.grid(alpha=0.3)
plt.show()

# %% [markdown]
# *Test PSNR of the one-layer autoencoder and of PCA at each code size: the mean over seeds, with
# a bar of one standard deviation where there are several; higher is better.*
#
# Most pixels of a digit image have no ink. The decoder's sigmoid can push them all the way to
# black whatever the code says, while PCA's reconstruction is a weighted sum of components that
# leaves faint grey on them (the averages above), and squared error counts each one. Each extra
# number in the code then adds detail to the strokes on top of that clean background, so the
# one-layer model's margin can grow with the code. PCA has its own strengths: it needs no
# training, one decomposition of the training images serves every code size at once, and its
# components come ordered by how much they explain.

# %% [markdown]
# ### Reconstructions

# %%
shown = [name for size in (2, 8, LATENT_DIM) for name in (f"PCA-{size}", f"one-layer-{size}")]
plots.show_image_rows({"original": x_test} | {name: reconstructions[name] for name in shown})

# %% [markdown]
# *Ten test digits (top) and their reconstructions by PCA and by the one-layer autoencoder (first
# seed) from codes of 2, 8 and 32 numbers.*

# %% [markdown]
# ## Record the results
#
# `results/vanilla.json` keeps every row of the table (`one_layer_32_psnr`, ...), each seeded
# model's spread, per-seed values and difference from PCA with its interval, and the headline:
# the blog's 32-number model against PCA-32.

# %%
record_metrics = {"encoder_decoder_max_difference": chained_error}
for row in rows:
    key = row["method"].replace(" ", "_").replace("-", "_").lower()
    record_metrics |= {f"{key}_{measure.split()[0].lower()}": row[measure] for measure in measures}
    if row["seeds"] > 1:
        pca_key = f"pca_{row['code size']}"
        record_metrics |= stats.record_metrics(f"{key}_psnr", summaries[row["method"]])
        difference = differences[row["method"]]
        record_metrics |= stats.record_metrics(f"{key}_minus_{pca_key}_psnr", difference)
        for seed, value in zip(seeds, psnr[row["method"]], strict=True):
            record_metrics[f"{key}_psnr_seed_{seed}"] = value
    if row["method"] in models:
        loss = models[row["method"]][first][3].history["loss"]
        record_metrics |= {f"{key}_first_epoch_loss": loss[0], f"{key}_last_epoch_loss": loss[-1]}
# One seed at 32 numbers: the margin over PCA is more than 1 dB, which seeds do not move.
headline = results.Headline(
    title="Vanilla",
    metric=f"one_layer_{LATENT_DIM}_psnr",
    label=f"one-layer autoencoder (the Keras blog's), {LATENT_DIM}-number code, PSNR (dB)",
    baseline_metric=f"pca_{LATENT_DIM}_psnr",
    baseline_label=f"PCA, {LATENT_DIM} components",
)
run.finish(record_metrics, headline)

# %% [markdown]
# ## What to try next
#
# Recipe 13 stacks layers on each side of the code and beats PCA at 2 numbers, where this model
# cannot. Replace the `Dense` layers with convolutions, as the Keras blog's next model does with a
# 4x4x8 code of 128 numbers; recipe 03 trains a convolutional one to remove noise. Judge it
# against PCA-128, not PCA-32, and on SSIM as well as PSNR. Finally, set `CODE_SIZES` to
# `(2, 4, 8, 16, 32, 64, 128, 256)` to draw the curves in detail.
