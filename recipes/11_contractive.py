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
# Frobenius norm of the encoder's Jacobian), check the penalty, and measure how much steadier
# the code becomes under input noise, against the same model without the penalty and PCA.<br>
# **Accelerator:** none needed (the full profile took 1.4 minutes on a 2-core CPU).<br>
# <a href="https://colab.research.google.com/github/aebook/aebook/blob/main/recipes/11_contractive.ipynb"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>

# %% [markdown]
# ## Introduction
#
# A contractive autoencoder (Rifai et al., 2011) adds to the reconstruction loss a penalty on
# how fast every code unit changes with every pixel. The R-Keras cookbook (seed 000) describes
# it without code: the penalty makes the code robust to small changes of the input, while the
# reconstruction term keeps it sensitive along the directions in which the data really varies.
#
# This recipe trains recipe 05's 784-32-784 autoencoder with a sigmoid code, with and without
# the penalty, and measures how far input noise moves each code, against PCA with 32 numbers.

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
import tempfile

# Keep TensorFlow's start-up notices out of the page; this must precede importing Keras.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display
from keras import ops
from sklearn.decomposition import PCA

from aelib import metrics, plots, results, runs, tables

# %% [markdown]
# The parameters: the profile (`full`: real MNIST; `smoke`: the embedded sample), the weights.
# `runs.start` seeds every random generator, loads the profile's share of the data and says
# what ran.

# %% tags=["parameters"]
PROFILE = "full"
SEED = 42
EPOCHS = 30
BATCH_SIZE = 128
LATENT_DIM = 32
CONTRACTION_WEIGHT = 1e-3  # lambda: the weight of the contractive penalty.
INPUT_NOISE = 0.05  # The standard deviation of the input noise in the robustness test.

# %%
run = runs.start(
    "contractive",
    PROFILE,
    seed=SEED,
    dataset="mnist",
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    latent_dim=LATENT_DIM,
    contraction_weight=CONTRACTION_WEIGHT,
    input_noise=INPUT_NOISE,
)
x_train, x_test = run.x_train, run.x_test

# %% [markdown]
# ## Prepare the data
#
# MNIST as in the first recipe, loaded by `runs.start` above: (n, 28, 28, 1) images in [0, 1];
# no labels are needed.

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
# is the same layer with $\lambda = 0$. As in recipe 05, the decoder starts at the mean training
# image, which keeps a sigmoid code from saturating.


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


# %%
def build_autoencoder(name, output_bias, contraction):
    """Return (autoencoder, encoder) for (28, 28, 1) images in [0, 1] and a LATENT_DIM code."""
    # Both models start from the same initial weights, so their differences are the penalty's.
    keras.utils.set_random_seed(SEED)
    images = keras.Input(shape=(28, 28, 1), name="images")
    flat = keras.layers.Flatten()(images)
    codes = ContractiveDense(LATENT_DIM, contraction, name="code")(flat)
    decode = keras.layers.Dense(28 * 28, activation="sigmoid", name="pixels")
    reconstruction = keras.layers.Reshape((28, 28, 1))(decode(codes))
    decode.bias.assign(output_bias)
    return keras.Model(images, reconstruction, name=name), keras.Model(images, codes)


# The log-odds of each pixel's mean training value; clipping keeps always-black pixels finite.
mean_pixels = np.clip(x_train.mean(axis=0).reshape(-1), 1e-3, 1 - 1e-3)
output_bias = np.log(mean_pixels / (1 - mean_pixels))
models = {
    "sigmoid": build_autoencoder("sigmoid", output_bias, 0.0),
    "contractive": build_autoencoder("contractive", output_bias, CONTRACTION_WEIGHT),
}

# %% [markdown]
# ## Train
#
# Both minimize $\mathcal{L}$ with Adam on the same images in the same order; PCA fits them too.

# %%
histories = {}
fit_options = {"epochs": run.epochs, "batch_size": run.batch_size, "verbose": 0}
for name, (autoencoder, _) in models.items():
    keras.utils.set_random_seed(SEED)  # The same shuffling for both models.
    autoencoder.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
    with run.phase(f"train_{autoencoder.name}"):
        histories[name] = autoencoder.fit(x_train, x_train, validation_split=0.1, **fit_options)
pca = PCA(n_components=LATENT_DIM, svd_solver="randomized", random_state=SEED)
pca.fit(x_train.reshape(len(x_train), -1))
plots.plot_history(histories, title="Cross-entropy per pixel plus the penalty")

# %% [markdown]
# *Figure: training and validation loss per epoch of the two autoencoders, penalty included.*
#
# ## Evaluate
#
# First a check: the closed form, in NumPy, must agree with finite differences of the same
# encoder (each pixel nudged up and down, in float64) and with the penalty the layer adds.


# %%
# NBVAL_CHECK_OUTPUT
def jacobian_norms(encoder, images):
    """Squared Frobenius norms of d code / d input of a sigmoid Dense code layer; (n,)."""
    kernel = encoder.get_layer("code").kernel.numpy()
    codes = encoder.predict(images, batch_size=1024, verbose=0)
    return np.sum((codes * (1 - codes)) ** 2 * np.sum(kernel**2, axis=0), axis=-1)


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


encoder, check_images = models["contractive"][1], x_test[:5]
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
# **How steady is each code?** On the test images: the PSNR, the mean squared Jacobian norm
# (PCA's is its number of components, on another scale), and how far Gaussian noise of standard
# deviation `INPUT_NOISE` (not clipped: the test is about the encoder) moves the code, over the
# codes' mean distance from their mean, which compares codes of any scale.


# %%
def encode(name, images):
    """The (n, LATENT_DIM) codes of (n, 28, 28, 1) images under the named encoder."""
    if name == "PCA":
        return pca.transform(images.reshape(len(images), -1))
    return models[name][1].predict(images, batch_size=1024, verbose=0)


def relative_code_change(name, noise_std):
    """Mean distance the code moves under input noise, over the mean spread of the codes."""
    rng = np.random.default_rng(SEED)
    noisy = x_test + rng.normal(0.0, noise_std, x_test.shape).astype(np.float32)
    codes = encode(name, x_test)
    change = np.linalg.norm(encode(name, noisy) - codes, axis=-1).mean()
    return float(change / np.linalg.norm(codes - codes.mean(axis=0), axis=-1).mean())


with run.phase("evaluate"):
    reconstructions = {name: model[0].predict(x_test, verbose=0) for name, model in models.items()}
    pca_reconstruction = pca.inverse_transform(encode("PCA", x_test)).reshape(x_test.shape)
    reconstructions["PCA"] = np.clip(pca_reconstruction, 0.0, 1.0).astype(np.float32)
    jacobians = {name: jacobian_norms(model[1], x_test).mean() for name, model in models.items()}
    jacobians["PCA"] = np.sum(pca.components_**2)  # Its Jacobian is the (32, 784) components.
    scores = {
        name: {
            "psnr": metrics.psnr(x_test, reconstructions[name]),
            "jacobian_norm": float(jacobians[name]),
            "relative_code_change": relative_code_change(name, INPUT_NOISE),
        }
        for name in ("sigmoid", "contractive", "PCA")
    }

labels = ("test PSNR (dB)", "mean ‖J‖²", "change / spread")
rows = [
    {"model": name, **dict(zip(labels, row.values(), strict=True))} for name, row in scores.items()
]
formats = dict(zip(labels, (".2f", ".2f", ".3f"), strict=True))
display(Markdown(tables.markdown_table(rows, formats=formats)))

# %% [markdown]
# The penalty does not choose which directions to flatten: reconstruction keeps steep the ones
# along which digits differ, and the penalty flattens the rest (the paper's argument). PCA, its
# linear counterpart, moves least of all under this noise, at a lower PSNR: a projection onto 32
# of 784 directions discards most of any noise that is spread evenly over all of them, and the
# autoencoder's edge is in reconstruction. The figure repeats the test at several noise levels.

# %%
noise_levels = np.linspace(0.02, 0.2, 10)
figure, axis = plt.subplots(figsize=(6, 3.5))
for name in scores:
    changes = [relative_code_change(name, level) for level in noise_levels]
    axis.plot(noise_levels, changes, marker="o", label=name)
axis.set(xlabel="input noise (standard deviation)", ylabel="code change / code spread")
axis.legend()
plt.show()

# %% [markdown]
# *Figure: how far Gaussian input noise moves each encoder's code, relative to the spread of its
# codes, at ten noise levels; lower is steadier.*
#
# The registered layer saves as `.keras` and loads with `safe_mode=True`, no `Lambda`:

# %%
# NBVAL_CHECK_OUTPUT
autoencoder = models["contractive"][0]
with tempfile.TemporaryDirectory() as directory:
    autoencoder.save(os.path.join(directory, "contractive.keras"))
    reloaded = keras.saving.load_model(os.path.join(directory, "contractive.keras"), safe_mode=True)
outputs = [model.predict(x_test[:100], verbose=0) for model in (autoencoder, reloaded)]
reload_difference = float(np.abs(outputs[1] - outputs[0]).max())
layer = reloaded.get_layer("code")
print(f"reloaded {type(layer).__name__}(contraction={layer.contraction})")
print(f"reloaded model gives the same outputs: {reload_difference < 1e-6}")

# %% [markdown]
# ## Record the results
#
# `results/contractive.json` holds the table (`contractive_relative_code_change`, ...) and the headline.

# %%
headline = results.Headline(
    title="Contractive",
    metric="contractive_relative_code_change",
    label=(
        f"code change under input noise {INPUT_NOISE:g} / code spread, "
        f"with the contractive penalty {CONTRACTION_WEIGHT:g} (lower is steadier)"
    ),
    baseline_metric="sigmoid_relative_code_change",
    baseline_label="the same autoencoder without the penalty",
)
record_metrics = {"jacobian_relative_error": jacobian_relative_error}
record_metrics["reload_difference"] = reload_difference
for name, row in scores.items():
    record_metrics.update({f"{name.lower()}_{key}": value for key, value in row.items()})
for name, history in histories.items():
    record_metrics[f"{name}_first_epoch_loss"] = history.history["loss"][0]
    record_metrics[f"{name}_last_epoch_loss"] = history.history["loss"][-1]
run.finish(record_metrics, headline)
ours, baseline = record_metrics[headline.metric], record_metrics[headline.baseline_metric]
print(f"change / spread {ours:.3f} with the penalty, {baseline:.3f} without")

# %% [markdown]
# ## What to try next
#
# - Sweep `CONTRACTION_WEIGHT` from 1e-4 to 1e-1 and plot PSNR against the code change.
# - Give the code a ReLU: its slope is 1 where the code is positive and 0 elsewhere, so the
#   penalty also favours sparse codes (recipe 05).
# - Compare with a denoising autoencoder (recipe 03) trained at the same noise level, or stack a
#   second encoder layer and compute its Jacobian with `tf.GradientTape.batch_jacobian`.
