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
# # Conditional variational autoencoders
#
# **Description:** Give a VAE the digit's label on both sides of its code, then ask it for the
# digit you want, and keep a handwriting while changing the digit.<br>
# **Accelerator:** none needed (the full profile took 7.0 minutes on a 2-core CPU).<br>
# <a href="https://colab.research.google.com/github/aebook/aebook/blob/main/recipes/16_conditional_vae.ipynb"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>

# %% [markdown]
# ## Introduction
#
# Recipe 06's VAE draws digits from its prior, but which digit comes out is up to chance. A
# *conditional* VAE (Sohn, Lee and Yan, 2015 {cite:p}`sohn2015`; the generative half of Kingma et
# al.'s M2 model, 2014 {cite:p}`kingma2014semi`) feeds a condition $y$, here the label, to the
# encoder and to the decoder. It maximizes the evidence lower bound of $\log p(x \mid y)$:
#
# $$
# \mathbb{E}_{z \sim q(z \mid x, y)}\left[\log p(x \mid z, y)\right]
#   - D_\mathrm{KL}\left(q(z \mid x, y) \,\|\, \mathcal{N}(0, I)\right).
# $$
#
# Since the decoder is told the digit, the code has no reason to carry it and keeps what the
# label does not say: slant, thickness, size. Decoding one code with each of the ten labels
# should then keep the handwriting and change the digit. The recipe measures both claims with a
# fixed classifier: how often the generated digit is the one asked for, and how far the samples'
# features lie from real digits', against the same VAE without labels. No published figure
# compares: Sohn et al. measure structured prediction (segmentation, completing images), and
# Kingma et al. the M2 model's classification error.

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
# And its notices about retracing: the judge predicts on sets of several sizes.
logging.getLogger("tensorflow").addFilter(lambda record: "retracing" not in record.getMessage())

import keras
import numpy as np
from IPython.display import Markdown, display
from keras import ops

from aelib import metrics, plots, results, runs, tables

# %% tags=["parameters"]
PROFILE = "full"  # full: real MNIST; smoke: seconds on a CPU with the embedded sample.
SEED = 42
EPOCHS = 30
BATCH_SIZE = 128
LATENT_DIM = 8
HIDDEN_UNITS = (512, 256)
CLASSIFIER_EPOCHS = 3
SAMPLES_PER_DIGIT = 1000  # Generated digits per label, for the measurements.

# %% [markdown]
# ## Prepare the data
#
# MNIST, (n, 28, 28, 1) in [0, 1], with the labels as one-hot rows of ten. `runs.start` seeds
# every random generator, loads the profile's share of the data and says what ran.

# %%
run = runs.start(
    "conditional_vae",
    PROFILE,
    seed=SEED,
    dataset="mnist",
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    latent_dim=LATENT_DIM,
)
x_train, y_train, x_test, y_test = run.x_train, run.y_train, run.x_test, run.y_test
onehot_train = keras.utils.to_categorical(y_train, 10).astype("float32")
onehot_test = keras.utils.to_categorical(y_test, 10).astype("float32")
print(f"x_train {x_train.shape}, labels {onehot_train.shape}")

# %% [markdown]
# ## Build the model
#
# Recipe 06's parts: a `Sampling` layer draws $z = \mu + \sigma \odot \epsilon$, a `KLDivergence`
# layer adds the KL term to the loss, and the reconstruction term is the binary cross-entropy
# summed over the pixels. The conditional model concatenates the one-hot label to the flattened
# image before the encoder and to the code before the decoder; the unconditional baseline is the
# same network without them.


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


def build_vae(conditional):
    """Return (vae, decoder): the vae takes [images, one-hot labels] (or the images alone), the
    decoder [codes, one-hot labels] (or the codes alone) to (28, 28, 1) images in [0, 1]."""
    images = keras.Input(shape=(28, 28, 1), name="images")
    labels = keras.Input(shape=(10,), name="labels")
    features = keras.layers.Flatten()(images)
    if conditional:
        features = keras.layers.Concatenate()([features, labels])
    for units in HIDDEN_UNITS:
        features = keras.layers.Dense(units, activation="relu")(features)
    z_mean = keras.layers.Dense(LATENT_DIM, name="z_mean")(features)
    z_log_var = keras.layers.Dense(LATENT_DIM, name="z_log_var")(features)
    z = Sampling(seed=SEED, name="sampling")([KLDivergence()([z_mean, z_log_var]), z_log_var])

    codes = keras.Input(shape=(LATENT_DIM,), name="codes")
    hidden = keras.layers.Concatenate()([codes, labels]) if conditional else codes
    for units in reversed(HIDDEN_UNITS):
        hidden = keras.layers.Dense(units, activation="relu")(hidden)
    pixels = keras.layers.Dense(28 * 28, activation="sigmoid")(hidden)
    outputs = keras.layers.Reshape((28, 28, 1))(pixels)
    # A model may not take an input it never uses: the plain VAE takes no labels.
    if conditional:
        decoder = keras.Model([codes, labels], outputs)
        return keras.Model([images, labels], decoder([z, labels]), name="vae"), decoder
    decoder = keras.Model(codes, outputs)
    return keras.Model(images, decoder(z), name="vae"), decoder


# %%
# NBVAL_CHECK_OUTPUT
for conditional in (False, True):
    vae, _ = build_vae(conditional)
    print(f"{'conditional' if conditional else 'plain'} VAE: {vae.count_params():,} parameters")

# %% [markdown]
# ## Train
#
# Both models train alike: Adam, the summed cross-entropy plus the KL term, a tenth of the
# training images held out for the validation loss.

# %%
models = {}
for name, conditional in (("VAE", False), ("conditional VAE", True)):
    vae, decoder = build_vae(conditional)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3), loss=summed_binary_crossentropy)
    with run.phase(f"train_{'conditional' if conditional else 'plain'}"):
        history = vae.fit(
            [x_train, onehot_train] if conditional else x_train,
            x_train,
            batch_size=run.batch_size,
            epochs=run.epochs,
            validation_split=0.1,
            verbose=0,
        )
    models[name] = (vae, decoder, history.history, conditional)
    loss = history.history["val_loss"]
    print(f"{name}: validation loss {loss[0]:.1f} -> {loss[-1]:.1f} nats")

# %% [markdown]
# ## Evaluate
#
# ### A fixed judge
#
# A small convolutional classifier, trained once on the training digits, judges every generated
# digit: which digit it is and how sure. Its last hidden layer also gives the features in which
# the samples' distribution is compared with the test digits', the *Fréchet distance* of Heusel
# et al. (2017) {cite:p}`heusel2017` computed with this classifier instead of an Inception network:
# $\lVert \mu_1 - \mu_2 \rVert^2 + \operatorname{Tr}\bigl(\Sigma_1 + \Sigma_2 - 2 (\Sigma_1 \Sigma_2)^{1/2}\bigr)$,
# 0 for samples indistinguishable from real digits in those features.

# %%
judge_input = keras.Input(shape=(28, 28, 1))
hidden = keras.layers.Conv2D(32, 3, activation="relu")(judge_input)
hidden = keras.layers.MaxPooling2D()(keras.layers.Conv2D(64, 3, activation="relu")(hidden))
features = keras.layers.Dense(128, activation="relu")(keras.layers.Flatten()(hidden))
judge = keras.Model(judge_input, keras.layers.Dense(10, activation="softmax")(features))
judge_features = keras.Model(judge_input, features)
judge.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
with run.phase("judge"):
    judge.fit(x_train, y_train, batch_size=128, epochs=CLASSIFIER_EPOCHS, verbose=0)
judge_accuracy = judge.evaluate(x_test, y_test, batch_size=1024, verbose=0)[1]
print(f"the judge classifies {judge_accuracy:.2%} of the test digits correctly")


# %%
def frechet_distance(images, reference_features):
    """Fréchet distance between the judge's features of (n, 28, 28, 1) images and reference
    (m, 128) features (`aelib.metrics.frechet_distance`, with its ridge of 1e-6)."""
    found = judge_features.predict(images, batch_size=1024, verbose=0)
    return metrics.frechet_distance(found, reference_features)


rng = np.random.default_rng(SEED)
count = SAMPLES_PER_DIGIT if run.profile.name == "full" else 100
asked = np.repeat(np.arange(10), count)
prior_codes = rng.standard_normal((len(asked), LATENT_DIM)).astype("float32")
asked_onehot = keras.utils.to_categorical(asked, 10).astype("float32")
test_features = judge_features.predict(x_test, batch_size=1024, verbose=0)
samples, rows = {}, []
with run.phase("evaluate"):
    for name, (_, decoder, _, conditional) in models.items():
        inputs = [prior_codes, asked_onehot] if conditional else prior_codes
        samples[name] = decoder.predict(inputs, batch_size=1024, verbose=0)
        probabilities = judge.predict(samples[name], batch_size=1024, verbose=0)
        predicted = probabilities.argmax(axis=1)
        shares = np.bincount(predicted, minlength=10) / len(predicted)
        rows.append(
            {
                "model": name,
                "as asked": np.mean(predicted == asked) if name != "VAE" else float("nan"),
                "judge's confidence": probabilities.max(axis=1).mean(),
                "largest class share": shares.max(),
                "smallest class share": shares.min(),
                "Fréchet distance": frechet_distance(samples[name], test_features),
            }
        )
    half = len(x_test) // 2
    rows.append(
        {
            "model": "test digits (reference)",
            "as asked": judge_accuracy,
            "judge's confidence": judge.predict(x_test, 1024, verbose=0).max(axis=1).mean(),
            "largest class share": np.bincount(y_test, minlength=10).max() / len(y_test),
            "smallest class share": np.bincount(y_test, minlength=10).min() / len(y_test),
            "Fréchet distance": frechet_distance(x_test[:half], test_features[half:]),
        }
    )
formats = dict.fromkeys(("as asked", "largest class share", "smallest class share"), ".1%")
formats |= {"judge's confidence": ".3f", "Fréchet distance": ".2f"}
display(Markdown(tables.markdown_table(rows, formats=formats)))

# %% [markdown]
# The first row cannot be asked for a digit, so it has no "as asked"; its class shares show how
# evenly its prior covers the ten digits. The last row is the judge on real test digits, and the
# Fréchet distance of one half of them from the other: the floor that sampling noise alone sets.

# %%
conditional, plain = rows[1], rows[0]
display(
    Markdown(
        f"The conditional VAE draws the digit asked for {conditional['as asked']:.1%} of the "
        f"time (the judge itself is right on {judge_accuracy:.1%} of real digits). Its samples "
        f"lie at a Fréchet distance of {conditional['Fréchet distance']:.2f} from the test "
        f"digits, against {plain['Fréchet distance']:.2f} for the VAE without labels."
    )
)

# %% [markdown]
# ### One handwriting, ten digits
#
# Encode a few test digits with their own labels, keep each code, and decode it with every
# label: each row should keep its writer's slant and stroke and run through the digits.

# %%
vae, decoder, _, _ = models["conditional VAE"]
encoder = keras.Model(vae.inputs, vae.get_layer("z_mean").output)
styles = ops.convert_to_numpy(encoder([x_test[:6], onehot_test[:6]]))
every_label = np.eye(10, dtype="float32")
grid = {}
for row, code in enumerate(styles):
    decoded = ops.convert_to_numpy(decoder([np.repeat(code[None], 10, axis=0), every_label]))
    grid[f"test digit {row}"] = np.concatenate([x_test[row : row + 1], decoded])
plots.show_image_rows(grid, count=11)

# %% [markdown]
# *Figure: six test digits (first column), each one's code decoded with the labels 0 to 9 (the
# other columns).*

# %% [markdown]
# ## Record the results

# %%
keys = {"VAE": "vae", "conditional VAE": "cvae"}
record_metrics = {"judge_accuracy": judge_accuracy}
for row in rows[:2]:
    key = keys[row["model"]]
    record_metrics |= {
        f"{key}_confidence": row["judge's confidence"],
        f"{key}_largest_class_share": row["largest class share"],
        f"{key}_smallest_class_share": row["smallest class share"],
        f"{key}_frechet": row["Fréchet distance"],
    }
    loss = models[row["model"]][2]["val_loss"]
    record_metrics |= {f"{key}_first_val_loss": loss[0], f"{key}_last_val_loss": loss[-1]}
record_metrics["cvae_as_asked"] = conditional["as asked"]
record_metrics["test_half_frechet"] = rows[2]["Fréchet distance"]
headline = results.Headline(
    title="Conditional VAE",
    metric="cvae_frechet",
    label="conditional VAE samples, Fréchet distance to the test digits in a fixed classifier's "
    "features (lower is better)",
    baseline_metric="vae_frechet",
    baseline_label="the same VAE without labels",
)
run.finish(record_metrics, headline)

# %% [markdown]
# ## What to try next
#
# - Condition on something other than the label: the digit's thickness, or half of the image
#   (the decoder then completes the other half).
# - Drop the label from the encoder only, and measure how much label information leaks into the
#   code.
# - Train the classifier with the VAE, on the labelled and unlabelled digits at once: Kingma et
#   al.'s M2 model, a semi-supervised classifier.
