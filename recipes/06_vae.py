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
# # Variational autoencoders
#
# **Description:** Train a variational autoencoder (VAE) on MNIST, measure its evidence lower
# bound on held-out digits in nats, and explore its 2-d latent space: a map of the codes, a
# manifold of decoded digits and samples from the prior.<br>
# **Accelerator:** none needed (the full profile took 7.3 minutes on a 2-core CPU).<br>
# <a href="https://colab.research.google.com/github/aebook/aebook/blob/main/recipes/06_vae.ipynb"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>

# %% [markdown]
# ## Introduction
#
# A plain autoencoder maps each image to one point and says nothing of the points in between,
# so it cannot *generate*. A variational autoencoder (Kingma & Welling, 2014 {cite:p}`kingma2014`; Rezende et al.,
# 2014 {cite:p}`rezende2014`) maps each image $x$ to a Gaussian over codes, $q(z \mid x) = \mathcal{N}(\mu, \operatorname{diag} \sigma^2)$ (the encoder
# outputs `z_mean` and `z_log_var`), decodes a code drawn from it, and pays for how far that
# Gaussian is from the prior $p(z) = \mathcal{N}(0, I)$. It maximizes the *evidence lower bound*
# (ELBO) on each image's log-likelihood:
#
# $$
# \log p(x) \;\ge\; \mathrm{ELBO}(x) = \mathbb{E}_{z \sim q(z \mid x)}\left[\log p(x \mid z)\right]
#   - D_\mathrm{KL}\left(q(z \mid x) \,\|\, p(z)\right).
# $$
#
# The seed (the Keras blog) trains a dense 784-256-2 VAE for 50 epochs and reports a validation
# loss of 150.3794 on the MNIST test digits. This recipe trains it and a deeper one with the same
# 2-d code, measures both against a model with no code at all, and draws digits from the prior.
#
# Two cautions on the numbers. The seed's figure comes from 50 epochs of RMSprop (batch 100) on
# all 60,000 training images, validated on the test digits, with a sampler that scales its noise
# by the variance, $\exp(\log \sigma^2)$, where the standard deviation
# $\exp(\tfrac{1}{2} \log \sigma^2)$ belongs: it is quoted here, not ranked against. And a
# Bernoulli decoder scoring grey-level pixels is not a likelihood of those images (Loaiza-Ganem &
# Cunningham, 2019 {cite:p}`loaizaganem2019`), so these nats compare the models of this page with each other; the papers'
# figures are on binarized MNIST (Burda et al., 2016 {cite:p}`burda2016`: 86.76 nats for a one-layer VAE), and
# [recipe 24](24_vae_likelihood.ipynb) measures a VAE's likelihood the way they do.

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

# Keep TensorFlow's start-up notices out of the page; this must precede importing Keras.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display
from keras import ops
from scipy.stats import norm

from aelib import plots, results, runs, tables

# %% tags=["parameters"]
PROFILE = "full"  # "full": real MNIST; "smoke": seconds on the embedded sample, for the tests.
SEED = 42
EPOCHS = 50  # As in the seed; an epoch takes a few seconds on a CPU.
BATCH_SIZE = 128
SEED_HIDDEN_UNITS = (256,)  # The seed's one hidden layer.
HIDDEN_UNITS = (512, 256)  # The deeper VAE's.
LATENT_DIM = 2

# %% [markdown]
# ## Prepare the data
#
# MNIST, (n, 28, 28, 1) in [0, 1], grey levels read as probabilities of ink; the labels only
# colour the map of the codes. `runs.start` seeds every random generator, loads the profile's
# share of the data and says what ran.

# %%
run = runs.start(
    "vae",
    PROFILE,
    seed=SEED,
    dataset="mnist",
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    latent_dim=LATENT_DIM,
)
x_train, y_train = run.x_train, run.y_train
x_test, y_test = run.x_test, run.y_test

# %% [markdown]
# ## Build the models
#
# The gradient must flow back through the random code to `z_mean` and `z_log_var`, so the
# `Sampling` layer draws the randomness from a fixed distribution and shifts and scales it (the
# *reparameterization trick*): $z = \mu + \sigma \odot \epsilon$ with
# $\epsilon \sim \mathcal{N}(0, I)$ and $\sigma = \exp(\tfrac{1}{2} \log \sigma^2)$. The seed's
# code multiplies by `exp(z_log_var)`, the variance, which draws codes with the wrong spread.
#
# The loss is the negative ELBO: the binary cross-entropy of the decoded image $\hat{x}$ summed
# over the 784 pixels, plus the KL term in closed form for a diagonal Gaussian against
# $\mathcal{N}(0, I)$, summed over the $d$ latent dimensions:
#
# $$
# -\log p(x \mid z) = -\sum_{i=1}^{784} \left[x_i \log \hat{x}_i + (1 - x_i) \log (1 - \hat{x}_i)\right],
# \qquad
# D_\mathrm{KL} = -\frac{1}{2} \sum_{j=1}^{d} \left(1 + \log \sigma_j^2 - \mu_j^2 - \sigma_j^2\right).
# $$
#
# The `KLDivergence` layer adds the KL term; the reconstruction term, passed to `compile`, must
# be *summed*: Keras's `binary_crossentropy` averages over the pixels, 784 times too little.


# %%
@keras.saving.register_keras_serializable(package="aebook")
class Sampling(keras.layers.Layer):
    """Draw z = z_mean + exp(0.5 * z_log_var) * epsilon, epsilon ~ N(0, I); (batch, latent_dim)."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


@keras.saving.register_keras_serializable(package="aebook")
class KLDivergence(keras.layers.Layer):
    """Add KL(N(z_mean, exp(z_log_var)) || N(0, I)), batch mean, to the loss; return z_mean."""

    def call(self, inputs):
        z_mean, z_log_var = inputs
        terms = 1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var)
        self.add_loss(ops.mean(-0.5 * ops.sum(terms, axis=-1)))
        return z_mean


@keras.saving.register_keras_serializable(package="aebook")
def summed_binary_crossentropy(images, reconstructions):
    """Binary cross-entropy summed over each image's pixels: (batch,) in nats."""
    return ops.sum(keras.losses.binary_crossentropy(images, reconstructions), axis=(1, 2))


# %% [markdown]
# `build_vae` wires an encoder body to `z_mean` and `z_log_var`, the KL and sampling layers and a
# decoder, and returns the VAE, its encoder and its decoder (which share the layers). Both VAEs
# are dense with a 2-d code: the seed's one hidden layer of 256 units, and two of 512 and 256.


# %%
def build_vae(encoder_body, decoder, latent_dim, name):
    """Return (vae, encoder, decoder) for (28, 28, 1) images in [0, 1]."""
    images = keras.Input(shape=(28, 28, 1), name="images")
    features = encoder_body(images)
    z_mean = keras.layers.Dense(latent_dim, name="z_mean")(features)
    z_log_var = keras.layers.Dense(latent_dim, name="z_log_var")(features)
    encoder = keras.Model(images, [z_mean, z_log_var], name=f"{name}_encoder")
    z = Sampling(seed=SEED, name="sampling")(
        [KLDivergence(name="kl")([z_mean, z_log_var]), z_log_var]
    )
    vae = keras.Model(images, decoder(z), name=name)
    return vae, encoder, decoder


def dense_body(hidden_units):
    """Flatten, then ReLU layers of the given widths: the dense encoder's body."""
    layers = [keras.layers.Flatten()]
    layers += [keras.layers.Dense(units, activation="relu") for units in hidden_units]
    return keras.Sequential(layers, name="dense_body")


def dense_decoder(hidden_units, latent_dim):
    """latent_dim codes to (28, 28, 1) images in [0, 1] through the mirrored ReLU layers."""
    layers = [keras.Input(shape=(latent_dim,))]
    layers += [keras.layers.Dense(units, activation="relu") for units in hidden_units[::-1]]
    layers += [keras.layers.Dense(28 * 28, activation="sigmoid"), keras.layers.Reshape((28, 28, 1))]
    return keras.Sequential(layers, name="dense_decoder")


vaes = {}
for key, units in (("seed_vae", SEED_HIDDEN_UNITS), ("dense_vae", HIDDEN_UNITS)):
    name = f"784-{'-'.join(map(str, units))}-{LATENT_DIM}"
    vaes[name] = build_vae(dense_body(units), dense_decoder(units, LATENT_DIM), LATENT_DIM, key)

# %% [markdown]
# ## Train
#
# The seed's 50 epochs, with Adam where the seed uses RMSprop; a tenth of the training images is
# held out for the validation loss.

# %%
for name, (vae, _, _) in vaes.items():
    vae.compile(optimizer=keras.optimizers.Adam(1e-3), loss=summed_binary_crossentropy)
    with run.phase(f"train_{vae.name}"):
        history = vae.fit(
            x_train, x_train, run.batch_size, run.epochs, validation_split=0.1, verbose=0
        )
    first, last = history.history["val_loss"][0], history.history["val_loss"][-1]
    print(f"{name}: {vae.count_params():,} parameters, validation loss {first:.1f} -> {last:.1f}")

# %% [markdown]
# ## Evaluate
#
# ### The negative ELBO on held-out digits
#
# `evaluate` gives the negative ELBO on the test digits with one code drawn per image, as in the
# seed's validation loss; the encoder gives the KL term exactly. The baseline is independent
# Bernoulli pixels at the mean training image: a VAE with no code, whose KL term is 0.

# %%
with run.phase("evaluate"):
    mean_image = np.broadcast_to(x_train.mean(axis=0), x_test.shape)
    baseline = float(ops.mean(summed_binary_crossentropy(x_test, mean_image)))
    record_metrics = {"mean_image_negative_elbo": baseline}
    rows = [{"model": "mean image, no code", "reconstruction": baseline, "KL": 0.0}]
    for name, (vae, encoder, _) in vaes.items():
        negative_elbo = vae.evaluate(x_test, x_test, batch_size=1024, verbose=0)
        z_mean, z_log_var = encoder.predict(x_test, batch_size=1024, verbose=0)
        kl = float(np.mean(-0.5 * np.sum(1 + z_log_var - z_mean**2 - np.exp(z_log_var), axis=1)))
        rows.append({"model": name, "reconstruction": negative_elbo - kl, "KL": kl})
        terms = {"reconstruction": negative_elbo - kl, "kl": kl, "negative_elbo": negative_elbo}
        record_metrics.update({f"{vae.name}_{key}": value for key, value in terms.items()})
rows = [{**row, "negative ELBO": row["reconstruction"] + row["KL"]} for row in rows]
display(Markdown(tables.markdown_table(rows, formats=dict.fromkeys(list(rows[0])[1:], ".1f"))))
print(
    "the seed reports a validation loss of 150.3794 for its 784-256-2 VAE "
    "(RMSprop, all 60,000 training images, its sampler's noise scaled by the variance)"
)

# %% [markdown]
# Two numbers per digit buy a large drop in cross-entropy from the mean image for a KL cost of a
# few nats; the deeper model does better than the seed's with the same 2-d bottleneck.
#
# Each test digit against its reconstruction from its mean code, $\hat{x} = g(\mu(x))$:

# %%
shown = x_test[:10]
reconstructions = {"test digits": shown}
for name, (_, encoder, decoder) in vaes.items():
    # Calling the models directly traces nothing, unlike predict() on a new batch size.
    reconstructions[name] = ops.convert_to_numpy(decoder(encoder(shown)[0]))
plots.show_image_rows(reconstructions, count=10)

# %% [markdown]
# *Figure: ten test digits (top) and their reconstructions from the mean code by each VAE.*
#
# ### The 2-d latent space
#
# Each test digit's `z_mean`, coloured by its label (which the VAE never saw). The KL term pulls
# every code toward the origin and the reconstruction term pushes different digits apart.

# %%
codes_2d = {name: encoder.predict(x_test, verbose=0)[0] for name, (_, encoder, _) in vaes.items()}
plots.plot_latent_space(codes_2d, y_test)

# %% [markdown]
# *Figure: the test digits' codes in the two VAEs' latent spaces, coloured by digit.*
#
# ### A manifold of digits
#
# The deeper VAE's decoder on a grid of Gaussian *quantiles*,
# `norm.ppf(linspace(0.05, 0.95, 15))`, so that each row and column holds the same prior mass.

# %%
deeper_name = list(vaes)[-1]
deeper_vae, _, deeper_decoder = vaes[deeper_name]
axis_values = norm.ppf(np.linspace(0.05, 0.95, 15))
grid = np.array([[x, y] for y in axis_values[::-1] for x in axis_values], dtype=np.float32)
digits = deeper_decoder.predict(grid, batch_size=1024, verbose=0)[..., 0]
figure, axis = plt.subplots(figsize=(7, 7))
axis.imshow(digits.reshape(15, 15, 28, 28).transpose(0, 2, 1, 3).reshape(420, 420), cmap="gray")
# Label every other cell with its code value: each cell is 28 pixels wide.
ticks, labels = 28 * np.arange(0, 15, 2) + 14, [f"{value:.2f}" for value in axis_values[::2]]
axis.set_xticks(ticks, labels)
axis.set_yticks(ticks, labels[::-1])
axis.set(xlabel="$z_1$", ylabel="$z_2$")
plt.show()

# %% [markdown]
# *Figure: the deeper VAE's digits on a 15 x 15 grid of codes, labelled with the code values of
# every other row and column; neighbours decode alike.*
#
# ### Samples from the prior
#
# Codes drawn from $\mathcal{N}(0, I)$ and decoded: the generative use of a VAE.

# %%
prior_codes = np.random.default_rng(SEED).standard_normal((10, LATENT_DIM)).astype("float32")
samples = {name: decoder.predict(prior_codes, verbose=0) for name, (_, _, decoder) in vaes.items()}
plots.show_image_rows(samples, count=10)

# %% [markdown]
# *Figure: ten codes drawn from the prior and decoded by each VAE (the same codes in both rows).*
#
# The sampling and KL layers and the loss are registered Keras objects, so the trained VAE saves
# as `.keras` and reloads with `safe_mode=True`.

# %%
# NBVAL_CHECK_OUTPUT
with tempfile.TemporaryDirectory() as directory:
    deeper_vae.save(os.path.join(directory, "vae.keras"))
    reloaded = keras.saving.load_model(os.path.join(directory, "vae.keras"), safe_mode=True)
reloaded_digits = ops.convert_to_numpy(reloaded.get_layer("dense_decoder")(prior_codes))
reload_difference = float(np.abs(reloaded_digits - samples[deeper_name]).max())
print(f"reloaded decoder gives the same digits: {reload_difference < 1e-6}")

# %% [markdown]
# ## Record the results

# %%
headline = results.Headline(
    title="Variational",
    metric="seed_vae_negative_elbo",
    label=f"negative ELBO on the test digits, the seed's 784-256-2 VAE, {run.epochs} epochs, "
    f"Adam, batch {run.batch_size}, 90% of the training images (seed: RMSprop, batch 100, all)",
    baseline_metric="mean_image_negative_elbo",
    baseline_label="independent Bernoulli pixels at the mean training image (no code)",
    seed_figure="150.3794",
)
record_metrics["reload_difference"] = reload_difference
run.finish(record_metrics, headline)
ours = record_metrics[headline.metric]
print(f"the seed's VAE {ours:.1f} nats per test digit, no code {baseline:.1f}")

# %% [markdown]
# ## What to try next
#
# - Give the code 16 dimensions instead of 2: the KL term grows, the reconstruction term falls by
#   much more and the samples become sharper; a dimension left unused keeps a KL near 0.
# - Swap the dense layers for keras.io's convolutional encoder and decoder (slower on a CPU).
# - Tighten the bound by importance sampling (Burda et al., 2016 {cite:p}`burda2016`), as
#   [recipe 24](24_vae_likelihood.ipynb) does: the log of the mean of
#   $p(x \mid z_i)\, p(z_i) / q(z_i \mid x)$ over k codes from $q(z \mid x)$ tends to $\log p(x)$.
# - Weight the KL term by beta (a beta-VAE), or condition the decoder on the label.
