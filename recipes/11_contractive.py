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
# # Contractive autoencoders
#
# **Description:** Penalize how fast a dense autoencoder's code changes with its input (the
# Frobenius norm of the encoder's Jacobian), check the penalty against finite differences, and
# measure what it buys (a code that noise hardly moves) and what it costs (reconstruction),
# against the same model without the penalty and PCA, over several training seeds.<br>
# **Accelerator:** none needed (the full profile took 5.5 minutes on a 2-core CPU).<br>
# <a href="https://colab.research.google.com/github/aebook/aebook/blob/main/recipes/11_contractive.ipynb"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>

# %% [markdown]
# ## Introduction
#
# A contractive autoencoder (Rifai et al., 2011 {cite:p}`rifai2011`) adds to the reconstruction loss
# a penalty on how fast every code unit changes with every pixel. The R-Keras cookbook (seed 000)
# describes it without code: the penalty makes the code robust to small changes of the input, while
# the reconstruction term keeps it sensitive along the directions in which the data really varies.
#
# This recipe builds the penalty as a Keras layer, in closed form, checks it against finite
# differences, and trains recipe 05's 784-32-784 autoencoder with a sigmoid code, with and
# without it, over several seeds. It measures what the penalty buys (how little noise moves the
# code) and costs (reconstruction) against PCA with 32 components, the classical code of the
# same size. [Recipe 18](18_contractive_manifold.ipynb) asks whether the contracted code still
# follows the moves a digit really makes (shifts, rotations).

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
import numpy as np
from IPython.display import Markdown, display
from keras import ops
from sklearn.decomposition import PCA

from aelib import metrics, plots, results, runs, stats, tables

# %% [markdown]
# The parameters: the profile (`full`: real MNIST; `smoke`: the embedded sample), the seeds, the
# penalty's weight $\lambda$, which [recipe 18](18_contractive_manifold.ipynb) chooses on held-out
# training images (a test checks it against that page's record), and the size of the test noise.

# %% tags=["parameters"]
PROFILE = "full"
SEED = 42
SEEDS = 5  # Training seeds of each autoencoder (the data fixed); the smoke profile trains 2.
EPOCHS = 30
BATCH_SIZE = 128
LATENT_DIM = 32
CONTRACTION_WEIGHT = 0.01  # Lambda, as recipe 18 chose it on held-out training images.
INPUT_NOISE = 0.05  # The standard deviation of the Gaussian noise the codes are tested with.

# %%
run = runs.start(
    "contractive",
    PROFILE,
    seed=SEED,
    dataset="mnist",
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    latent_dim=LATENT_DIM,
    seeds=SEEDS,
    contraction_weight=CONTRACTION_WEIGHT,
    input_noise=INPUT_NOISE,
)
x_train, x_test = run.x_train, run.x_test
seeds = [SEED + index for index in range(SEEDS if run.profile.name == "full" else 2)]

# %% [markdown]
# ## Prepare the data
#
# MNIST as in the first recipe: (n, 28, 28, 1) images in [0, 1], no labels. The models and PCA
# train on the first nine tenths of the training images; recipe 18 chooses the weight on the
# last tenth, which no model here sees.

# %%
held_out_count = len(x_train) // 10
x_fit, x_held_out = x_train[:-held_out_count], x_train[-held_out_count:]
print(f"{len(x_fit):,} images to train on, {len(x_held_out):,} held out, {len(x_test):,} to test")

# %% [markdown]
# ## Build the model
#
# ### The contractive penalty
#
# For an encoder $f$ that maps an image $x$ of 784 pixels to a code $h = f(x)$ of $k$ units,
# the penalty is the squared Frobenius norm of its Jacobian, added to the binary cross-entropy
# and averaged over the $n$ images of a batch:
#
# $$
# \mathcal{L} = \frac{1}{n} \sum_{i=1}^{n} \left[ \mathrm{BCE}(x_i, \hat{x}_i)
# + \lambda \lVert J_f(x_i) \rVert_F^2 \right],
# \qquad \lVert J_f(x) \rVert_F^2 = \sum_{j=1}^{k} \sum_{p=1}^{784}
# \left( \frac{\partial h_j(x)}{\partial x_p} \right)^2.
# $$
#
# For one dense sigmoid layer, $h = \sigma(x W + b)$, the derivative is
# $\partial h_j / \partial x_p = h_j (1 - h_j) W_{pj}$, so the norm has a closed form that needs
# no automatic differentiation:
#
# $$
# \lVert J_f(x) \rVert_F^2 = \sum_{j=1}^{k} \big( h_j (1 - h_j) \big)^2 \sum_{p=1}^{784} W_{pj}^2.
# $$
#
# Keras stores $W$ as (inputs, units), so each unit's sum runs over axis 0 (the other axis is
# the classic slip). This registered `Dense` layer adds the penalty to the loss; the plain model
# is the same layer with $\lambda = 0$. `jacobian_norms` computes the same closed form in NumPy,
# to check the layer and to measure any trained encoder.


# %%
@keras.saving.register_keras_serializable(package="aebook")
class ContractiveDense(keras.layers.Dense):
    """A sigmoid Dense layer; adds contraction * mean ||d code / d input||_F^2 to the loss."""

    def __init__(self, units, contraction=1e-3, activation="sigmoid", **kwargs):
        if activation != "sigmoid":
            raise ValueError(f"the closed-form Jacobian needs a sigmoid code, not {activation!r}.")
        super().__init__(units, activation=activation, **kwargs)
        self.contraction = contraction

    def call(self, inputs):
        codes = super().call(inputs)  # (batch, units) in (0, 1).
        kernel_norms = ops.sum(ops.square(self.kernel), axis=0)  # sum_p W_pj^2, one per unit.
        jacobian_norms = ops.sum(ops.square(codes * (1.0 - codes)) * kernel_norms, axis=-1)
        self.add_loss(self.contraction * ops.mean(jacobian_norms))
        return codes

    def get_config(self):
        return {**super().get_config(), "contraction": self.contraction}


def jacobian_norms(encoder, images):
    """Squared Frobenius norms of d code / d input of a sigmoid Dense code layer; (n,)."""
    kernel = encoder.get_layer("code").kernel.numpy()
    codes = encoder.predict(images, batch_size=1024, verbose=0)
    return np.sum((codes * (1 - codes)) ** 2 * np.sum(kernel**2, axis=0), axis=-1)


# %%
# As in recipe 05, the decoder starts at the mean training image, which keeps a sigmoid code
# from saturating: the log-odds of each pixel's mean; clipping keeps black pixels finite.
mean_pixels = np.clip(x_fit.mean(axis=0).reshape(-1), 1e-3, 1 - 1e-3)
output_bias = np.log(mean_pixels / (1 - mean_pixels))


def build_autoencoder(contraction, seed):
    """Return (autoencoder, encoder) for (28, 28, 1) images in [0, 1] and a LATENT_DIM code."""
    # At one seed every weight starts from the same initial weights: differences are the penalty's.
    keras.utils.set_random_seed(seed)
    images = keras.Input(shape=(28, 28, 1), name="images")
    flat = keras.layers.Flatten()(images)
    codes = ContractiveDense(LATENT_DIM, contraction, name="code")(flat)
    decode = keras.layers.Dense(28 * 28, activation="sigmoid", name="pixels")
    reconstruction = keras.layers.Reshape((28, 28, 1))(decode(codes))
    decode.bias.assign(output_bias)
    return keras.Model(images, reconstruction), keras.Model(images, codes)


# %% [markdown]
# ## Train
#
# Both models minimize $\mathcal{L}$ with Adam, seeing the same images in the same order at one
# seed; PCA fits the same training images.

# %%
fit_options = {"epochs": run.epochs, "batch_size": run.batch_size, "verbose": 0}


def train(contraction, seed):
    """Train one autoencoder on x_fit; return (autoencoder, encoder, history)."""
    autoencoder, encoder = build_autoencoder(contraction, seed)
    # Running 64 steps per call gives the same weights as one at a time, with less overhead.
    optimizer = keras.optimizers.Adam(1e-3)
    autoencoder.compile(optimizer, loss="binary_crossentropy", steps_per_execution=64)
    keras.utils.set_random_seed(seed)  # The same shuffling for both models at this seed.
    history = autoencoder.fit(x_fit, x_fit, **fit_options)
    return autoencoder, encoder, history


models = {"plain": 0.0, "contractive": CONTRACTION_WEIGHT}
with run.phase("train"):
    trained = {
        (name, seed): train(weight, seed) for seed in seeds for name, weight in models.items()
    }
pca = PCA(n_components=LATENT_DIM, svd_solver="randomized", random_state=SEED)
pca = pca.fit(x_fit.reshape(len(x_fit), -1))

# %% [markdown]
# ## Evaluate
#
# First a check: the closed form, in NumPy, must agree with finite differences of the same
# encoder (each pixel nudged up and down, in float64) and with the penalty the layer adds.


# %%
# NBVAL_CHECK_OUTPUT
def finite_difference_norms(encoder, images, step=1e-4):
    """The same norms from central differences, one pixel at a time; slow, for checking."""
    kernel, bias = (weight.astype(np.float64) for weight in encoder.get_layer("code").get_weights())
    norms = []
    for image in images.reshape(len(images), -1).astype(np.float64):
        nudges = np.eye(image.size) * step
        upper = 1.0 / (1.0 + np.exp(-((image + nudges) @ kernel + bias)))  # (784, units)
        lower = 1.0 / (1.0 + np.exp(-((image - nudges) @ kernel + bias)))
        norms.append(np.sum(((upper - lower) / (2 * step)) ** 2))
    return np.array(norms)


encoder, check_images = trained["contractive", SEED][1], x_test[:5]
numerical = finite_difference_norms(encoder, check_images)
code_layer = encoder.get_layer("code")
code_layer(ops.convert_to_tensor(check_images.reshape(len(check_images), -1)))
layer_penalty = float(ops.convert_to_numpy(code_layer.losses[-1])) / code_layer.contraction
jacobian_relative_error = max(
    float(np.max(np.abs(jacobian_norms(encoder, check_images) - numerical) / numerical)),
    abs(layer_penalty - float(np.mean(numerical))) / float(np.mean(numerical)),
)
print(f"closed form and layer penalty match finite differences: {jacobian_relative_error < 1e-3}")

# %% [markdown]
# **What does the penalty buy, and what does it cost?** Each code is scored on the test images:
# the PSNR of its reconstruction, its mean squared Jacobian norm, and how far Gaussian noise of
# standard deviation `INPUT_NOISE` moves the code over the codes' mean distance from their mean
# (a ratio free of the code's scale, so PCA's compares). Autoencoders: mean ± standard deviation
# over the seeds; differences paired seed by seed, with their 95% interval (a tie when it covers
# zero).


# %%
def encode(model, images):
    """(codes, reconstructions) of (n, 28, 28, 1) images by PCA or a trained autoencoder:
    (n, LATENT_DIM) and (n, 28, 28, 1) in [0, 1]."""
    if model is pca:
        codes = pca.transform(images.reshape(len(images), -1))
        rebuilt = np.clip(pca.inverse_transform(codes), 0.0, 1.0).reshape(images.shape)
        return codes, rebuilt.astype(np.float32)
    autoencoder, encoder, _ = model
    options = {"batch_size": 1024, "verbose": 0}
    return encoder.predict(images, **options), autoencoder.predict(images, **options)


def evaluate(model, images):
    """The scores of PCA or of a trained (autoencoder, encoder, history) on images."""
    codes, reconstruction = encode(model, images)
    rng = np.random.default_rng(SEED)
    noisy = images + rng.normal(0.0, INPUT_NOISE, images.shape).astype(np.float32)
    change = np.linalg.norm(encode(model, noisy)[0] - codes, axis=-1).mean()
    spread = np.linalg.norm(codes - codes.mean(axis=0), axis=-1).mean()
    # PCA's Jacobian is its matrix of orthonormal components.
    jacobian = np.sum(pca.components_**2) if model is pca else jacobian_norms(model[1], images)
    return {
        "psnr": metrics.psnr(images, reconstruction),
        "jacobian_norm": float(np.mean(jacobian)),
        "relative_code_change": float(change / spread),
    }


with run.phase("evaluate"):
    per_seed = {name: [evaluate(trained[name, seed], x_test) for seed in seeds] for name in models}
    pca_scores = evaluate(pca, x_test)
columns = {
    "psnr": ("PSNR (dB)", 2, True),
    "jacobian_norm": ("mean ‖J‖²", 2, False),
    "relative_code_change": ("noise's code change / spread", 4, False),
}
summaries, comparisons, rows, lines = {}, {}, [], []
for key, (label, digits, higher_is_better) in columns.items():
    values = {name: [row[key] for row in scores] for name, scores in per_seed.items()}
    summaries |= {f"{name}_{key}": stats.summarize(values[name]) for name in models}
    row = {"test": label} | {
        name: stats.describe(summaries[f"{name}_{key}"], digits) for name in models
    }
    row["PCA"], verdicts = f"{pca_scores[key]:.{digits}f}", []
    for baseline, reference in (("plain", values["plain"]), ("PCA", pca_scores[key])):
        # PCA's code is in pixel units, not in (0, 1): its Jacobian norm does not compare.
        if key == "jacobian_norm" and baseline == "PCA":
            row["contractive minus PCA"] = "(other units)"
            continue
        name = f"contractive_minus_{baseline.lower()}_{key}"
        comparisons[name] = stats.paired_difference(values["contractive"], reference)
        row[f"contractive minus {baseline}"] = stats.describe_interval(comparisons[name], digits)
        verdicts.append(f"{stats.verdict(comparisons[name], higher_is_better)} against {baseline}")
    rows.append(row)
    lines.append(f"- {label}: the contractive code {' and '.join(verdicts)}.")
plain, contractive = (summaries[f"{name}_relative_code_change"].mean for name in models)
lines.append(f"\nThe penalty divides the noise's code change by {plain / contractive:.1f}.")
display(Markdown(tables.markdown_table(rows) + "\n\n" + "\n".join(lines)))

# %% [markdown]
# A projection on 32 of 784 directions keeps on average 32/784 of the noise's energy, so PCA's
# code is steady under noise by construction; nothing in the plain autoencoder's loss asks for
# that, and the penalty is what brings its code there. Noise spreads over every direction,
# though, and a digit's real moves do not: [recipe 18](18_contractive_manifold.ipynb) tests
# those. The price, in pictures (the autoencoders of the first seed):

# %%
pictures = {"test digit": x_test[:8]}
for name in models:
    pictures[name] = encode(trained[name, SEED], x_test[:8])[1]
plots.show_image_rows(pictures | {"PCA": encode(pca, x_test[:8])[1]}, count=8)

# %% [markdown]
# *Figure: the first eight test digits (top) and their reconstructions by the plain and the
# contractive autoencoder and by PCA with 32 components.*
#
# The registered layer saves as `.keras` and loads with `safe_mode=True`, no `Lambda`:

# %%
# NBVAL_CHECK_OUTPUT
autoencoder = trained["contractive", SEED][0]
with tempfile.TemporaryDirectory() as directory:
    autoencoder.save(os.path.join(directory, "contractive.keras"))
    reloaded = keras.saving.load_model(os.path.join(directory, "contractive.keras"), safe_mode=True)
outputs = [model.predict(x_test[:100], verbose=0) for model in (autoencoder, reloaded)]
reload_difference = float(np.abs(outputs[1] - outputs[0]).max())
layer = reloaded.get_layer("code")
kept = layer.contraction == CONTRACTION_WEIGHT
print(f"reloaded {type(layer).__name__} keeps its weight: {kept}")
print(f"reloaded model gives the same outputs: {reload_difference < 1e-6}")

# %% [markdown]
# ## Record the results
#
# `results/contractive.json` holds every model's scores (means with their spread over the
# seeds), the paired differences and the headline.

# %%
headline = results.Headline(
    title="Contractive",
    metric="contractive_relative_code_change",
    label=(
        f"code change under Gaussian noise (std {INPUT_NOISE:g}) over the codes' spread, "
        f"contractive penalty {CONTRACTION_WEIGHT:g}, mean of {len(seeds)} seeds (lower is better)"
    ),
    baseline_metric="pca_relative_code_change",
    baseline_label=f"PCA with {LATENT_DIM} components, the same noisy test images",
    seeds=len(seeds),
    spread_metric="contractive_relative_code_change_std",
    difference_low_metric="contractive_minus_pca_relative_code_change_low",
    difference_high_metric="contractive_minus_pca_relative_code_change_high",
)
record_metrics = {
    "jacobian_relative_error": jacobian_relative_error,
    "reload_difference": reload_difference,
    "contraction_weight": CONTRACTION_WEIGHT,
}
for name, summary in (summaries | comparisons).items():
    record_metrics |= stats.record_metrics(name, summary)
record_metrics |= {f"pca_{key}": value for key, value in pca_scores.items()}
for name in models:
    losses = trained[name, SEED][2].history["loss"]
    record_metrics |= {f"{name}_first_epoch_loss": losses[0], f"{name}_last_epoch_loss": losses[-1]}
run.finish(record_metrics, headline)
ours, baseline = record_metrics[headline.metric], record_metrics[headline.baseline_metric]
print(f"noise's code change over the spread {ours:.4f} with the penalty, {baseline:.4f} for PCA")

# %% [markdown]
# ## What to try next
#
# - Choose the weight by another held-out criterion, such as a classifier's accuracy on the
#   codes (the paper's choice), and see how far it moves from recipe 18's.
# - Give the code a ReLU: its slope is 1 where the code is positive and 0 elsewhere, so the
#   penalty also favours sparse codes (recipe 05). Compare with a denoising autoencoder
#   (recipe 03) trained at the same noise level.
