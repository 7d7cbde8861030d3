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
# # Vector-quantized autoencoders
#
# **Description:** Code each digit as a small grid of entries from a learned codebook, revive
# the entries no digit uses, and count the bits a digit's grid costs.<br>
# **Accelerator:** none needed (the full profile took 5.1 minutes on a 2-core CPU).<br>
# <a href="https://colab.research.google.com/github/aebook/aebook/blob/main/recipes/20_vq_vae.ipynb"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>

# %% [markdown]
# ## Introduction
#
# A VQ-VAE (van den Oord, Vinyals and Kavukcuoglu, 2017 {cite:p}`vandenoord2017`) codes each image
# as a grid of *discrete* codes. The encoder maps the image to a grid of vectors $z_e$; each is
# replaced by its nearest row of a learned codebook $e_1, \dots, e_K$, and the decoder sees only
# those rows:
# $z_q = e_k$ with $k = \operatorname*{arg\,min}_j \lVert z_e - e_j \rVert_2$. The arg min has no
# gradient, so the *straight-through* estimator copies the decoder's gradient from $z_q$ to
# $z_e$, and two more terms pull the codebook towards the encoder's outputs and make the encoder
# *commit* to its codes ($\mathrm{sg}$ stops the gradient; $\beta = 0.25$ as in the paper):
#
# $$
# z_q = z_e + \mathrm{sg}[e_k - z_e], \qquad
# L = -\log p(x \mid z_q) + \lVert \mathrm{sg}[z_e] - e_k \rVert_2^2
#   + \beta \, \lVert z_e - \mathrm{sg}[e_k] \rVert_2^2 .
# $$
#
# A 7 by 7 grid from a codebook of 64 costs at most $49 \log_2 64 = 294$ bits per digit. The
# page measures the codes no input picks (dead codes) with one cure against none, and the
# reconstructions against a VAE of recipe 06's kind at the bits each spends. The paper's
# comparable figure is a likelihood on CIFAR-10 colour photos: 4.67 bits per dimension for the
# VQ-VAE against 4.51 for a continuous VAE; keras.io's VQ-VAE example (the same 7 by 7 grid on
# MNIST, 128 codes) shows pictures only. Neither ranks the MNIST numbers below. Recipe 23 draws
# new digits from a PixelCNN over these code grids.

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
# And its notices about retracing: the models predict on sets of several sizes.
logging.getLogger("tensorflow").addFilter(lambda record: "retracing" not in record.getMessage())

import keras
import numpy as np
from IPython.display import Markdown, display
from keras import ops

from aelib import metrics, plots, results, runs, stats, tables

# %% tags=["parameters"]
PROFILE = "full"  # full: real MNIST; smoke: seconds on a CPU with the embedded sample.
SEED = 42
SEEDS = 3  # Training seeds of every model (2 in the smoke profile).
EPOCHS = 2
BATCH_SIZE = 128
CODEBOOK_SIZE = 64  # K, as in keras.io's example.
CODE_DIM = 16  # Length of each codebook vector.
COMMITMENT = 0.25  # The paper's beta.
RESTART_EVERY = 50  # Training steps between checks for dead codes.
LATENT_DIM = 16  # The VAE's code length.
VAE_WEIGHTS = (1.0, 0.1)  # KL weights of the VAE: 1 is the VAE proper; 0.1 buys more bits.

# %% [markdown]
# ## Prepare the data
#
# MNIST, (n, 28, 28, 1) in [0, 1]; the labels are not used.

# %%
run = runs.start(
    "vq_vae",
    PROFILE,
    seed=SEED,
    dataset="mnist",
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
)
x_train, x_test = run.x_train, run.x_test
full = run.profile.name == "full"
seeds = range(SEEDS if full else 2)
GRID = 7  # Two stride-2 convolutions take 28 by 28 pixels to 7 by 7 cells.

# %% [markdown]
# ## Build the model
#
# The quantizer layer holds the codebook, adds the codebook and commitment terms with
# `add_loss` and returns $z_e + \mathrm{sg}[z_q - z_e]$; the reconstruction term is the binary
# cross-entropy averaged over the pixels.


# %%
@keras.saving.register_keras_serializable(package="aebook")
class VectorQuantizer(keras.layers.Layer):
    """Replace each code_dim vector of (batch, 7, 7, code_dim) by its nearest codebook row."""

    def __init__(self, codebook_size, code_dim, commitment, **kwargs):
        super().__init__(**kwargs)
        self.codebook_size, self.code_dim, self.commitment = codebook_size, code_dim, commitment

    def build(self, input_shape):
        limit = 1.0 / self.codebook_size
        start = keras.initializers.RandomUniform(-limit, limit)
        shape = (self.codebook_size, self.code_dim)
        self.codebook = self.add_weight(shape=shape, initializer=start, name="codebook")

    def nearest(self, vectors):
        """Index of the nearest codebook row for each of (n, code_dim) vectors: (n,) integers."""
        distances = (
            ops.sum(ops.square(vectors), axis=1, keepdims=True)
            - 2.0 * ops.matmul(vectors, ops.transpose(self.codebook))
            + ops.sum(ops.square(self.codebook), axis=1)
        )
        return ops.argmin(distances, axis=1)

    def call(self, encoded):
        vectors = ops.reshape(encoded, (-1, self.code_dim))
        quantized = ops.take(self.codebook, self.nearest(vectors), axis=0)
        quantized = ops.reshape(quantized, ops.shape(encoded))
        codebook_loss = ops.mean(ops.square(quantized - ops.stop_gradient(encoded)))
        commitment_loss = ops.mean(ops.square(encoded - ops.stop_gradient(quantized)))
        self.add_loss(codebook_loss + self.commitment * commitment_loss)
        # Straight through: the codebook rows forward, the identity backward.
        return encoded + ops.stop_gradient(quantized - encoded)

    def get_config(self):
        sizes = {"codebook_size": self.codebook_size, "code_dim": self.code_dim}
        return {**super().get_config(), **sizes, "commitment": self.commitment}


def build_encoder():
    """(28, 28, 1) images -> (7, 7, CODE_DIM) vectors through two stride-2 convolutions."""
    layers = [keras.layers.Conv2D(width, 3, 2, "same", activation="relu") for width in (16, 32)]
    return keras.Sequential([keras.Input((28, 28, 1)), *layers, keras.layers.Conv2D(CODE_DIM, 1)])


def build_decoder():
    """(7, 7, CODE_DIM) vectors -> (28, 28, 1) images in [0, 1], the encoder mirrored."""
    layers = [keras.layers.Conv2DTranspose(w, 3, 2, "same", activation="relu") for w in (32, 16)]
    output = keras.layers.Conv2D(1, 3, padding="same", activation="sigmoid")
    return keras.Sequential([keras.Input((GRID, GRID, CODE_DIM)), *layers, output])


def build_vq_vae():
    """Return (vq_vae, encoder, quantizer, decoder) for (28, 28, 1) images."""
    encoder, decoder = build_encoder(), build_decoder()
    quantizer = VectorQuantizer(CODEBOOK_SIZE, CODE_DIM, COMMITMENT)
    vq_vae = keras.Sequential([keras.Input((28, 28, 1)), encoder, quantizer, decoder])
    vq_vae.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
    return vq_vae, encoder, quantizer, decoder


def code_grid(encoder, quantizer, images):
    """The (n, 7, 7) integer codes of (n, 28, 28, 1) images."""
    encoded = encoder.predict(images, batch_size=1024, verbose=0)
    indices = quantizer.nearest(encoded.reshape(-1, CODE_DIM))
    return ops.convert_to_numpy(indices).reshape(encoded.shape[:3])


# %% [markdown]
# A code that the small random start leaves far from every encoder output is never picked,
# never moves, and wastes bits. The cure chosen here: every few steps, each code that no vector
# of a fixed sample of training digits picks moves onto a random one of those vectors (code
# restarts, as in Dhariwal et al.'s Jukebox, 2020 {cite:p}`dhariwal2020`).


# %%
class CodeRestarts(keras.callbacks.Callback):
    """Every RESTART_EVERY steps, move the codes no vector of `sample` picks onto such vectors."""

    def __init__(self, encoder, quantizer, sample, seed):
        super().__init__()
        self.encoder, self.quantizer, self.sample = encoder, quantizer, sample
        self.rng, self.steps, self.restarted = np.random.default_rng(seed), 0, 0

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if self.steps % RESTART_EVERY:
            return
        vectors = ops.convert_to_numpy(self.encoder(self.sample)).reshape(-1, CODE_DIM)
        picked = ops.convert_to_numpy(self.quantizer.nearest(vectors))
        dead = np.flatnonzero(np.bincount(picked, minlength=CODEBOOK_SIZE) == 0)
        if len(dead):
            codebook = ops.convert_to_numpy(self.quantizer.codebook)
            codebook[dead] = vectors[self.rng.choice(len(vectors), len(dead), replace=False)]
            self.quantizer.codebook.assign(codebook)
            self.restarted += len(dead)


# %% [markdown]
# The VAE has the same convolutions around a 16-number Gaussian code, recipe 06's sampling and
# KL term in one layer; the KL term is divided by the 784 pixels, as the cross-entropy is
# averaged over them, which leaves recipe 06's loss, the negative ELBO, divided by 784.


# %%
@keras.saving.register_keras_serializable(package="aebook")
class GaussianCode(keras.layers.Layer):
    """[z_mean, z_log_var] -> z = z_mean + exp(z_log_var / 2) * epsilon; adds weight * KL / 784."""

    def __init__(self, weight=1.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.weight, self.seed = weight, seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, parameters):
        z_mean, z_log_var = ops.split(parameters, 2, axis=-1)
        kl = -0.5 * ops.sum(1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=-1)
        self.add_loss(self.weight * ops.mean(kl) / 784.0)
        epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    def get_config(self):
        return {**super().get_config(), "weight": self.weight, "seed": self.seed}


def build_vae(weight, seed):
    """Return (vae, encoder to (n, 2 * LATENT_DIM) [z_mean, z_log_var], decoder from codes)."""
    encoder = keras.Sequential([keras.Input((28, 28, 1)), build_encoder(), keras.layers.Flatten()])
    encoder.add(keras.layers.Dense(2 * LATENT_DIM))
    dense = keras.layers.Dense(GRID * GRID * CODE_DIM, activation="relu")
    reshape = keras.layers.Reshape((GRID, GRID, CODE_DIM))
    decoder = keras.Sequential([keras.Input((LATENT_DIM,)), dense, reshape, build_decoder()])
    vae = keras.Sequential([keras.Input((28, 28, 1)), encoder, GaussianCode(weight, seed), decoder])
    vae.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
    return vae, encoder, decoder


# %%
# NBVAL_CHECK_OUTPUT
for name, model in (("VQ-VAE", build_vq_vae()[0]), ("VAE", build_vae(1.0, SEED)[0])):
    print(f"{name}: {model.count_params():,} parameters")

# %% [markdown]
# ## Train
#
# Each seed trains the VQ-VAE without a cure and with restarts, and the VAE (in the first seed
# also one with KL weight 0.1, for its bits). Each model is scored on the test digits as soon as
# it is trained.


# %%
def usage(codes):
    """(perplexity, dead codes) of an integer array of codes."""
    shares = np.bincount(codes.ravel(), minlength=CODEBOOK_SIZE) / codes.size
    used = shares[shares > 0]
    return float(np.exp(-np.sum(used * np.log(used)))), int(np.sum(shares == 0))


trained = {}
for seed in seeds:
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    for arm in ("no cure", "restarts"):
        vq_vae, encoder, quantizer, decoder = build_vq_vae()
        sample = x_train[rng.choice(len(x_train), 2048 if full else 256, replace=False)]
        restarts = CodeRestarts(encoder, quantizer, sample, seed)
        with run.phase("train_vq_vae"):
            callbacks = [restarts] if arm == "restarts" else []
            history = vq_vae.fit(x_train, x_train, run.batch_size, run.epochs, 0, callbacks)
        decoded, codes = vq_vae.predict(x_test, verbose=0), code_grid(encoder, quantizer, x_test)
        found = dict(zip(("perplexity", "dead codes"), usage(codes), strict=True))
        found |= {"restarted codes": restarts.restarted, "PSNR": metrics.psnr(x_test, decoded)}
        trained[arm, seed] = found | {"codes": codes, "decoded": decoded, "loss": history.history}
    for weight in VAE_WEIGHTS if seed == seeds[0] else VAE_WEIGHTS[:1]:
        vae, vae_encoder, vae_decoder = build_vae(weight, seed)
        with run.phase("train_vae"):
            history = vae.fit(x_train, x_train, run.batch_size, run.epochs, verbose=0)
        z_mean, z_log_var = np.split(vae_encoder.predict(x_test, verbose=0), 2, axis=1)
        kl = -0.5 * np.sum(1.0 + z_log_var - z_mean**2 - np.exp(z_log_var), axis=1)
        decoded = vae_decoder.predict(z_mean, verbose=0)
        trained[f"VAE, KL weight {weight}", seed] = {
            "bits": np.mean(kl) / np.log(2.0),
            "decoded": decoded,
            "PSNR": metrics.psnr(x_test, decoded),
        }
    # The codes' shares in the training grids of the VQ-VAE with restarts, the last one built,
    # price the test grids; one extra count per code keeps an unseen code's price finite.
    counts = np.bincount(code_grid(encoder, quantizer, x_train).ravel(), minlength=CODEBOOK_SIZE)
    shares = (counts + 1) / (counts + 1).sum()
    cell_bits = -np.log2(shares[trained["restarts", seed]["codes"]]).mean()
    trained["restarts", seed]["bits"] = GRID**2 * cell_bits
print(f"trained {len(trained)} autoencoders on {len(x_train):,} digits")

# %% [markdown]
# ## Evaluate
#
# ### Codebook usage
#
# How evenly the test digits' codes spread over the codebook: the *perplexity*
# $\exp\bigl(-\sum_k p_k \log p_k\bigr)$ of the shares $p_k$ of the codes (64 when all are used
# alike, 1 when one code takes all), and the dead codes, which no test digit picks.


# %%
def summarize(key, names):
    """name -> stats.Summary over the seeds that trained `key`, for each of `names`."""
    found = [trained[key, seed] for seed in seeds if (key, seed) in trained]
    return {name: stats.summarize([one[name] for one in found]) for name in names}


names = ("perplexity", "dead codes", "restarted codes", "PSNR")
usage_found = {arm: summarize(arm, names) for arm in ("no cure", "restarts")}
rows = [
    {"codebook": arm} | {name: stats.describe(value, 1) for name, value in found.items()}
    for arm, found in usage_found.items()
]
display(Markdown(tables.markdown_table(rows)))
gains = {
    name: stats.paired_difference(
        *[[trained[arm, s][name] for s in seeds] for arm in ("restarts", "no cure")]
    )
    for name in ("perplexity", "dead codes", "PSNR")
}
display(
    Markdown(
        f"Restarts change the perplexity by {stats.describe_interval(gains['perplexity'], 1)}, "
        f"the dead codes by {stats.describe_interval(gains['dead codes'], 1)} and the test "
        f"PSNR by {stats.describe_interval(gains['PSNR'], 2, ' dB')}."
    )
)

# %% [markdown]
# ### Reconstructions at a number of bits
#
# Written plainly, a digit's codes cost 294 bits. An entropy coder that knows how often each
# code occurs in the training grids (as recipe 09's range coder knows its factorized prior)
# spends about the cross-entropy of the test grids under those shares; recipe 23 prices each
# cell given the cells before it instead. A VAE's code costs about its KL term, the bits-back
# rate (Hinton and van Camp, 1993 {cite:p}`hinton1993`); the VAE decodes its mean code.

# %%
keys = {"VQ-VAE, codes written plainly": "restarts", "VQ-VAE, codes coded by shares": "restarts"}
keys |= {f"VAE, KL weight {weight}": f"VAE, KL weight {weight}" for weight in VAE_WEIGHTS}
curve = {model: summarize(key, ("bits", "PSNR")) for model, key in keys.items()}
curve["VQ-VAE, codes written plainly"]["bits"] = stats.summarize([GRID**2 * np.log2(CODEBOOK_SIZE)])
rows = [
    {
        "model": model,
        "bits per digit": found["bits"].mean,
        "PSNR (dB)": stats.describe(found["PSNR"], 2),
    }
    for model, found in curve.items()
]
display(Markdown(tables.markdown_table(rows, formats={"bits per digit": ".1f"})))
richest = VAE_WEIGHTS[-1]
coded, rich = curve["VQ-VAE, codes coded by shares"], curve[f"VAE, KL weight {richest}"]
fewer = "fewer" if coded["bits"].mean < rich["bits"].mean else "more"
higher = "a higher" if coded["PSNR"].mean > rich["PSNR"].mean else "a lower"
display(
    Markdown(
        f"Coded by the codes' shares, the VQ-VAE spends {coded['bits'].mean:.1f} bits per digit, "
        f"{fewer} than the {rich['bits'].mean:.1f} of the VAE with KL weight {richest}, for "
        f"{higher} PSNR: {coded['PSNR'].mean:.2f} dB against {rich['PSNR'].mean:.2f} dB."
    )
)

# %% mystnb={"image": {"alt": "Ten test digits above their reconstructions by the VQ-VAE without a cure, with restarts, and by the VAE."}}
first, shown = seeds[0], ("no cure", "restarts", "VAE, KL weight 1.0")
plots.show_image_rows({"test digits": x_test} | {k: trained[k, first]["decoded"] for k in shown})

# %% [markdown]
# ## Record the results


# %%
record_metrics = {}
found = {"plain": usage_found["no cure"], "restarts": usage_found["restarts"]}
rates = ("vq_plain", "vq_shares", "vae_weight_1", "vae_weight_01")
found |= dict(zip(rates, curve.values(), strict=True))
for key, summaries in found.items():
    for name, summary in summaries.items():
        record_metrics |= stats.record_metrics(f"{key}_{name.replace(' ', '_').lower()}", summary)
for key, arm in (("plain", "no cure"), ("restarts", "restarts")):
    losses = [trained[arm, s]["loss"]["loss"] for s in seeds]
    record_metrics[f"{key}_first_loss"] = max(loss[0] for loss in losses)
    record_metrics[f"{key}_last_loss"] = max(loss[-1] for loss in losses)
record_metrics |= stats.record_metrics("restarts_minus_plain_psnr", gains["PSNR"])
headline = results.Headline(
    title="VQ-VAE",
    metric="restarts_psnr",
    label="VQ-VAE with code restarts, test PSNR (dB) at 294 bits per digit",
    baseline_metric="plain_psnr",
    baseline_label="the same VQ-VAE without a cure for dead codes",
    seeds=len(seeds),
    spread_metric="restarts_psnr_std",
    baseline_spread_metric="plain_psnr_std",
    difference_low_metric="restarts_minus_plain_psnr_low",
    difference_high_metric="restarts_minus_plain_psnr_high",
)
run.finish(record_metrics, headline)

# %% [markdown]
# ## What to try next
#
# - Replace the restarts by moving averages of the codebook (the paper's appendix) or by
#   k-means on the first encoder outputs, and compare the perplexity.
# - Grow the grid to 14 by 14 or the codebook to 512 codes, and watch the bits and the PSNR.
# - Draw new digits from a prior over the code grids: recipe 23.
