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
# bound on held-out digits, and explore its latent space: a map of the codes, a manifold of
# decoded digits, samples from the prior, and interpolations.<br>
# **Accelerator:** none needed (the full profile took 17 minutes on a 2-core CPU).<br>
# <a href="https://colab.research.google.com/github/aebook/aebook/blob/main/recipes/06_vae.ipynb"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>

# %% [markdown]
# ## Introduction
#
# A plain autoencoder maps each image to one point; nothing says what the decoder makes of the
# points in between, so it cannot *generate*. A variational autoencoder maps each image $x$ to a
# Gaussian over codes, $q(z \mid x) = \mathcal{N}(\mu, \operatorname{diag} \sigma^2)$ (the encoder
# outputs `z_mean` and `z_log_var`), decodes a code drawn from it, and pays for how far that
# Gaussian is from the prior $p(z) = \mathcal{N}(0, I)$. It maximizes the *evidence lower bound*
# (ELBO) on each image's log-likelihood:
#
# $$
# \log p(x) \;\ge\; \mathrm{ELBO}(x) = \mathbb{E}_{z \sim q(z \mid x)}\left[\log p(x \mid z)\right]
#   - D_\mathrm{KL}\left(q(z \mid x) \,\|\, p(z)\right).
# $$
#
# After training, codes drawn from the prior decode to digits. The seed (the Keras blog) builds a
# dense 784-256-2 VAE, trains it for 50 epochs and reports a validation loss of 150.3794 on the
# MNIST test digits. This recipe builds it, a deeper dense VAE, keras.io's convolutional one and
# a 16-dimensional one, to show what the pretty 2-d map costs.

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
        "aelib @ git+https://github.com/aebook/aebook@3820168c439b1d9ffd47629b4ed64f5ce6f17ced"
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
from scipy.special import logsumexp
from scipy.stats import norm

from aelib import book, data, plots, profiles, results

# %% [markdown]
# The parameters cell sets the run profile (`full`: real MNIST, the published numbers;
# `smoke`: seconds on a CPU with the embedded sample), the training lengths and the latent sizes.

# %% tags=["parameters"]
PROFILE = "full"
SEED = 42
EPOCHS = 50  # For the dense VAEs, as in the seed; an epoch takes seconds on a CPU.
CONV_EPOCHS = 10  # The convolutional VAE costs about five times more per epoch on a CPU.
BATCH_SIZE = 128
HIDDEN_UNITS = (512, 256)  # The seed uses one layer of 256.
LARGE_LATENT_DIM = 16
IMPORTANCE_SAMPLES = 100  # k, for the importance-sampled log-likelihood.

# %%
profile = profiles.get_profile(PROFILE, epochs=EPOCHS, batch_size=BATCH_SIZE)
conv_epochs = profiles.get_profile(PROFILE, epochs=CONV_EPOCHS).epochs
keras.utils.set_random_seed(SEED)
timer = results.PhaseTimer()

# %% [markdown]
# ## Prepare the data
#
# MNIST with grey levels in [0, 1], read as probabilities of ink: a perfect reconstruction's
# cross-entropy is the grey pixels' entropy, not 0, for every model alike.

# %%
with timer("data"):
    dataset = data.load_mnist(source=profile.data_source)
x_train, y_train = profile.take(dataset.x_train, "train"), profile.take(dataset.y_train, "train")
x_test, y_test = profile.take(dataset.x_test, "test"), profile.take(dataset.y_test, "test")
book.show_run_banner(profile, dataset)

# %%
# NBVAL_CHECK_OUTPUT
print(f"x_train: (n, {', '.join(map(str, x_train.shape[1:]))}) {x_train.dtype}")
print(f"pixel range: [{x_train.min():.1f}, {x_train.max():.1f}]")

# %% [markdown]
# ## Build the models
#
# ### Sampling with the reparameterization trick
#
# The gradient must flow back through the random code to `z_mean` and `z_log_var`, so the
# randomness comes from a fixed distribution, shifted and scaled: $z = \mu + \sigma \odot
# \epsilon$, $\epsilon \sim \mathcal{N}(0, I)$, $\sigma = \exp(\tfrac{1}{2} \log \sigma^2)$. The
# seed's code multiplies by `exp(z_log_var)`, the variance, which draws codes with the wrong
# spread. The layer draws from a seeded generator.


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


# %% [markdown]
# ### The two terms of the loss
#
# The loss is the negative ELBO: the binary cross-entropy of the decoded image $\hat{x}$ summed
# over the 784 pixels, plus the KL term, in closed form for a diagonal Gaussian against
# $\mathcal{N}(0, I)$, summed over the $d$ latent dimensions:
#
# $$
# -\log p(x \mid z) = -\sum_{i=1}^{784} \left[x_i \log \hat{x}_i + (1 - x_i) \log (1 - \hat{x}_i)\right],
# \qquad
# D_\mathrm{KL} = -\frac{1}{2} \sum_{j=1}^{d} \left(1 + \log \sigma_j^2 - \mu_j^2 - \sigma_j^2\right).
# $$
#
# A small layer adds the KL term; the reconstruction term is the loss passed to `compile`, and
# must be *summed*: Keras's `binary_crossentropy` averages over the pixels, which would weigh it
# 784 times less against the KL term.


# %%
@keras.saving.register_keras_serializable(package="aebook")
class KLDivergence(keras.layers.Layer):
    """Add KL(N(z_mean, exp(z_log_var)) || N(0, I)), batch mean, to the loss; return z_mean."""

    def call(self, inputs):
        z_mean, z_log_var = inputs
        divergence = -0.5 * ops.sum(
            1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=-1
        )
        self.add_loss(ops.mean(divergence))
        return z_mean


@keras.saving.register_keras_serializable(package="aebook")
def summed_binary_crossentropy(images, reconstructions):
    """Binary cross-entropy summed over each image's pixels: (batch,) in nats."""
    return ops.sum(keras.losses.binary_crossentropy(images, reconstructions), axis=(1, 2))


# %% [markdown]
# ### One skeleton, three VAEs
#
# `build_vae` wires an encoder body to `z_mean` and `z_log_var`, the KL and sampling layers and a
# decoder; it returns the VAE, its encoder and its decoder, which share the layers.


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


def conv_body():
    """keras.io's convolutional encoder body: two stride-2 convolutions, then Dense 16."""
    return keras.Sequential(
        [
            keras.layers.Conv2D(32, 3, strides=2, padding="same", activation="relu"),
            keras.layers.Conv2D(64, 3, strides=2, padding="same", activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(16, activation="relu"),
        ],
        name="conv_body",
    )


def conv_decoder(latent_dim):
    """keras.io's convolutional decoder: Dense to 7x7x64, two stride-2 transposed convolutions."""
    return keras.Sequential(
        [
            keras.Input(shape=(latent_dim,)),
            keras.layers.Dense(7 * 7 * 64, activation="relu"),
            keras.layers.Reshape((7, 7, 64)),
            keras.layers.Conv2DTranspose(64, 3, strides=2, padding="same", activation="relu"),
            keras.layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu"),
            keras.layers.Conv2DTranspose(1, 3, padding="same", activation="sigmoid"),
        ],
        name="conv_decoder",
    )


vaes = {
    "seed dense (256), 2-d": build_vae(dense_body((256,)), dense_decoder((256,), 2), 2, "seed_vae"),
    f"dense {HIDDEN_UNITS}, 2-d": build_vae(
        dense_body(HIDDEN_UNITS), dense_decoder(HIDDEN_UNITS, 2), 2, "dense_vae"
    ),
    "conv, 2-d": build_vae(conv_body(), conv_decoder(2), 2, "conv_vae"),
    f"dense {HIDDEN_UNITS}, {LARGE_LATENT_DIM}-d": build_vae(
        dense_body(HIDDEN_UNITS),
        dense_decoder(HIDDEN_UNITS, LARGE_LATENT_DIM),
        LARGE_LATENT_DIM,
        "dense_vae_16",
    ),
}

# %% [markdown]
# These numbers must not drift between profiles.

# %%
# NBVAL_CHECK_OUTPUT
for name, (vae, encoder, _) in vaes.items():
    print(f"{name:>24}: {vae.count_params():>9,} parameters, code {encoder.output[0].shape[1:]}")

# %% [markdown]
# ## Train
#
# Adam (the seed uses RMSprop); the seed's 50 epochs for the dense models, 10 for the
# convolutional one (keras.io trains it for 30), whose epochs cost far more on a CPU. A tenth of
# the training images draws the validation curves.

# %%
histories = {}
for name, (vae, _, _) in vaes.items():
    vae.compile(optimizer=keras.optimizers.Adam(1e-3), loss=summed_binary_crossentropy)
    with timer(f"train_{vae.name}"):
        histories[name] = vae.fit(
            x_train,
            x_train,
            epochs=conv_epochs if name.startswith("conv") else profile.epochs,
            batch_size=profile.batch_size,
            validation_split=0.1,
            shuffle=True,
            verbose=0,
        )
    validation_loss = histories[name].history["val_loss"]
    print(f"{name:>24}: validation loss {validation_loss[0]:.1f} -> {validation_loss[-1]:.1f}")

# %%
plots.plot_history(histories, title="Negative ELBO per image (nats)")

# %% [markdown]
# *Figure: the negative ELBO per epoch, training and validation, for the four VAEs.*

# %% [markdown]
# ## Evaluate
#
# ### The negative ELBO on held-out digits
#
# On the test images: the KL term exactly, the reconstruction term averaged over several codes
# per image. The first row is the trivial baseline, a "VAE" that ignores its code and always
# outputs the mean training image.


# %%
def binary_crossentropy_per_image(images, reconstructions):
    """Cross-entropy summed over pixels, as in training (same clipping as Keras): (n,)."""
    reconstructions = np.clip(reconstructions, 1e-7, 1.0 - 1e-7)
    pixels = images * np.log(reconstructions) + (1.0 - images) * np.log(1.0 - reconstructions)
    return -np.sum(pixels, axis=(1, 2, 3))


def elbo_terms(encoder, decoder, images, samples=5, seed=0):
    """Per-image reconstruction (mean over `samples` codes) and KL terms, in nats: two (n,)."""
    z_mean, z_log_var = encoder.predict(images, batch_size=1024, verbose=0)
    kl = -0.5 * np.sum(1.0 + z_log_var - z_mean**2 - np.exp(z_log_var), axis=-1)
    rng = np.random.default_rng(seed)
    reconstruction = np.zeros(len(images))
    for _ in range(samples):
        z = z_mean + np.exp(0.5 * z_log_var) * rng.standard_normal(z_mean.shape)
        decoded = decoder.predict(z, batch_size=1024, verbose=0)
        reconstruction += binary_crossentropy_per_image(images, decoded) / samples
    return reconstruction, kl


with timer("evaluate"):
    mean_image = np.broadcast_to(x_train.mean(axis=0), x_test.shape)
    terms = {"mean image (code ignored)": (binary_crossentropy_per_image(x_test, mean_image), 0.0)}
    for name, (_, encoder, decoder) in vaes.items():
        terms[name] = elbo_terms(encoder, decoder, x_test)

table = ["| model | reconstruction | KL | negative ELBO |", "|---|---:|---:|---:|"]
for name, (reconstruction, kl) in terms.items():
    table.append(
        f"| {name} | {np.mean(reconstruction):.1f} | {np.mean(kl):.1f} "
        f"| {np.mean(reconstruction + kl):.1f} |"
    )
display(Markdown("\n".join(table)))

# %% [markdown]
# The seed's model, retrained here with Adam and the corrected sampling, lands close to the
# 150.3794 the seed reports. Two hidden layers bring the 2-d model well below it with the same
# two-number bottleneck; the convolutional VAE, stopped at 10 epochs, is still improving. The
# 16-d model pays over three times as much KL and gets it back several times over in
# reconstruction.
#
# ### The 2-d latent space
#
# Each test digit's `z_mean`, coloured by its label (which the VAE never saw). The KL term pulls
# every code toward the origin and the reconstruction term pushes different digits apart.

# %%
name_2d = f"dense {HIDDEN_UNITS}, 2-d"
codes_2d = {
    name: vaes[name][1].predict(x_test, batch_size=1024, verbose=0)[0]
    for name in ("seed dense (256), 2-d", name_2d, "conv, 2-d")
}
plots.plot_latent_space(codes_2d, y_test)

# %% [markdown]
# *Figure: the test digits' codes in the three 2-d VAEs' latent spaces, coloured by digit.*
#
# ### A manifold of digits
#
# The seed decodes a grid spaced evenly from -1 to 1, which holds only 47% of the prior's
# probability. A grid of Gaussian *quantiles*, `norm.ppf(linspace(0.05, 0.95, 15))`, gives each
# row and column the same prior probability.


# %%
def decode_grid(decoder, axis_values):
    """Decode the grid axis_values x axis_values and tile it: one (28 * k, 28 * k) image."""
    grid = np.array([[x, y] for y in axis_values[::-1] for x in axis_values], dtype=np.float32)
    digits = decoder.predict(grid, batch_size=1024, verbose=0)[..., 0]
    size = len(axis_values)
    return digits.reshape(size, size, 28, 28).transpose(0, 2, 1, 3).reshape(size * 28, size * 28)


grids = {
    "seed's grid: linspace(-1, 1, 15)": np.linspace(-1.0, 1.0, 15),
    "quantile grid: norm.ppf(linspace(0.05, 0.95, 15))": norm.ppf(np.linspace(0.05, 0.95, 15)),
}
figure, axes = plt.subplots(1, 2, figsize=(12, 6))
for axis, (title, axis_values) in zip(axes, grids.items(), strict=True):
    axis.imshow(decode_grid(vaes[name_2d][2], axis_values), cmap="gray")
    axis.set_title(title, fontsize=10)
    axis.axis("off")
plt.show()

# %% [markdown]
# *Figure: the deeper 2-d VAE's decoder on the seed's grid (left) and on the quantile grid
# (right).*
#
# ### Samples from the prior, and interpolations
#
# Codes drawn from $\mathcal{N}(0, I)$ and decoded: the generative use of a VAE.

# %%
name_16d = f"dense {HIDDEN_UNITS}, {LARGE_LATENT_DIM}-d"
rng = np.random.default_rng(SEED)
samples = {
    name: vaes[name][2].predict(
        rng.standard_normal((10, vaes[name][1].output[0].shape[-1])), verbose=0
    )
    for name in (name_2d, "conv, 2-d", name_16d)
}
plots.show_image_rows(samples, count=10)

# %% [markdown]
# *Figure: ten codes drawn from the prior and decoded, one row per VAE (2-d dense, 2-d
# convolutional, 16-d dense).*
#
# The 16-d model's samples are sharper and more varied. Walking in a straight line between the
# codes of a 1 and a 7 gives digit-like images all the way: the KL term packs the codes together
# without holes between them.

# %%
first, last = np.flatnonzero(y_test == 1)[0], np.flatnonzero(y_test == 7)[0]
steps = np.linspace(0.0, 1.0, 10)[:, None]
interpolations = {}
for name in (name_2d, name_16d):
    encoder, decoder = vaes[name][1], vaes[name][2]
    z_mean = encoder.predict(x_test[[first, last]], verbose=0)[0]
    path = (1.0 - steps) * z_mean[0] + steps * z_mean[1]
    interpolations[name] = decoder.predict(path, verbose=0)
plots.show_image_rows(interpolations, count=10)

# %% [markdown]
# *Figure: from a 1 to a 7 in ten steps, in the 2-d (top) and the 16-d latent space.*
#
# ### Two dimensions against sixteen
#
# With 16 dimensions each image has more to say about its code. The KL per dimension shows how
# many are in use: a dimension the model does not need stays at the prior (KL near 0).

# %%
z_mean_16, z_log_var_16 = vaes[name_16d][1].predict(x_test, batch_size=1024, verbose=0)
kl_per_dimension = np.mean(
    -0.5 * (1.0 + z_log_var_16 - z_mean_16**2 - np.exp(z_log_var_16)), axis=0
)
active_dimensions = int(np.sum(kl_per_dimension > 0.1))

figure, axis = plt.subplots(figsize=(6, 3))
axis.bar(np.arange(LARGE_LATENT_DIM), np.sort(kl_per_dimension)[::-1])
axis.set_xlabel("latent dimension (sorted)")
axis.set_ylabel("mean KL on test (nats)")
axis.set_title(f"{active_dimensions} of {LARGE_LATENT_DIM} dimensions carry more than 0.1 nats")
plt.show()

# %% [markdown]
# *Figure: the mean KL of each of the 16-d model's latent dimensions on the test digits.*
#
# Below, an importance-sampled estimate of the negative log-likelihood, a tighter bound than
# the ELBO (see "What to try next").


# %%
def importance_sampled_nll(encoder, decoder, images, samples, seed=0):
    """Negative log-likelihood estimate per image from `samples` importance samples: (n,)."""
    z_mean, z_log_var = encoder.predict(images, batch_size=1024, verbose=0)
    rng = np.random.default_rng(seed)
    log_weights = np.zeros((samples, len(images)))
    for index in range(samples):
        epsilon = rng.standard_normal(z_mean.shape)
        z = z_mean + np.exp(0.5 * z_log_var) * epsilon
        decoded = decoder.predict(z, batch_size=2048, verbose=0)
        log_likelihood = -binary_crossentropy_per_image(images, decoded)
        log_prior = np.sum(norm.logpdf(z), axis=-1)
        log_posterior = np.sum(norm.logpdf(epsilon) - 0.5 * z_log_var, axis=-1)
        log_weights[index] = log_likelihood + log_prior - log_posterior
    return -(logsumexp(log_weights, axis=0) - np.log(samples))


with timer("importance_sampling"):
    nll = {
        name: importance_sampled_nll(vaes[name][1], vaes[name][2], x_test, IMPORTANCE_SAMPLES)
        for name in (name_2d, name_16d)
    }
table = [
    f"| model | negative ELBO | NLL estimate (k = {IMPORTANCE_SAMPLES}) |",
    "|---|---:|---:|",
]
for name, values in nll.items():
    table.append(f"| {name} | {sum(terms[name]).mean():.1f} | {values.mean():.1f} |")
display(Markdown("\n".join(table)))

# %% [markdown]
# ### The trained VAE saves and loads
#
# The sampling and KL layers and the loss are registered Keras objects, so the model saves as
# `.keras` and reloads with `safe_mode=True`.

# %%
with tempfile.TemporaryDirectory() as directory:
    path = os.path.join(directory, "vae.keras")
    vaes[name_2d][0].save(path)
    reloaded = keras.saving.load_model(path, safe_mode=True)
test_codes = codes_2d[name_2d][:100]
reload_difference = float(
    np.abs(
        reloaded.get_layer("dense_decoder").predict(test_codes, verbose=0)
        - vaes[name_2d][2].predict(test_codes, verbose=0)
    ).max()
)

# %%
# NBVAL_CHECK_OUTPUT
print(f"reloaded layers: {[layer.__class__.__name__ for layer in reloaded.layers][-3:]}")
print(f"reloaded decoder gives the same digits: {reload_difference < 1e-6}")

# %% [markdown]
# ## Record the results
#
# The metrics in `results/vae.json`, per model key (`seed_vae`, `dense_vae`, `conv_vae`,
# `dense_vae_16`): `<key>_reconstruction`, `<key>_kl` and `<key>_negative_elbo` on the test
# images; `dense_vae_nll` and `dense_vae_16_nll` (importance-sampled, k =
# `importance_samples`); the baseline `mean_image_negative_elbo`; `active_dimensions` of the
# 16-d model; `reload_difference`.

# %%
record_metrics = {
    "mean_image_negative_elbo": float(np.mean(terms["mean image (code ignored)"][0])),
    "importance_samples": IMPORTANCE_SAMPLES,
    "active_dimensions": active_dimensions,
    "reload_difference": reload_difference,
}
for name, (vae, _, _) in vaes.items():
    reconstruction, kl = terms[name]
    record_metrics[f"{vae.name}_reconstruction"] = float(reconstruction.mean())
    record_metrics[f"{vae.name}_kl"] = float(kl.mean())
    record_metrics[f"{vae.name}_negative_elbo"] = float((reconstruction + kl).mean())
    if name in nll:
        record_metrics[f"{vae.name}_nll"] = float(nll[name].mean())
path = results.save_record("vae", profile.name, dataset.source, record_metrics, timer.seconds)
print(
    f"wrote {path.name}: {len(record_metrics)} metrics, "
    f"e.g. dense_vae_negative_elbo = {record_metrics['dense_vae_negative_elbo']:.1f}"
)

# %% [markdown]
# ## What to try next
#
# - Tighten the bound: importance sampling (Burda et al., 2016) draws k codes $z_i$ from
#   $q(z \mid x)$ and estimates
#   $\log p(x) \approx \log \frac{1}{k} \sum_{i} p(x \mid z_i)\, p(z_i) / q(z_i \mid x)$: the
#   ELBO for k = 1, $\log p(x)$ as k grows.
# - Weight the KL term by beta (a beta-VAE): above 1 the codes become more disentangled and the
#   reconstructions blurrier.
# - Condition the decoder on the label (a conditional VAE) and generate a chosen digit.
