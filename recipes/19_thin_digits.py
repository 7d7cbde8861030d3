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
# # Where the reconstruction error fails: thin digits
#
# **Description:** Train an autoencoder on one MNIST digit, find the anomalies its reconstruction
# error ranks as normal, and see why: the error grows with the ink of the image, and dividing by
# it, or asking how typical the code is, finds them again.<br>
# **Accelerator:** none needed (the full profile took 0.4 minutes on a 2-core CPU).<br>
# <a href="https://colab.research.google.com/github/aebook/aebook/blob/main/recipes/19_thin_digits.ipynb"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>

# %% [markdown]
# ## Introduction
#
# Recipe 10 flags the nine other digits by how badly an autoencoder trained on one digit rebuilds
# them, and scores them four ways. This page looks closely at one normal digit, the one on which
# recipe 10's summed score does worst, and asks which anomalies the plain reconstruction error
# $e(x) = \lVert x - g(f(x)) \rVert^2$ misses, and why.
#
# The answer is arithmetic. The squared error of an image is a sum over its pixels, so it tends to
# grow with the image's ink: a thin digit rebuilt wrongly can cost less than a bold normal digit
# rebuilt well. Two fixes from the papers that recipe 10 follows: divide by the image's own energy,
# the *relative error* $r(x) = e(x) / \lVert x \rVert^2$ (the DAGMM detector of Zong et al., ICLR
# 2018 {cite:p}`zong2018`, uses its square root), or ask whether the image's code is typical of the
# normal codes, the *code density score* $c(x) = -\log p(f(x))$ of Abati et al. (CVPR 2019)
# {cite:p}`abati2019`, and add the two, standardized, as $a(x)$.

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
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display
from keras import layers
from sklearn.decomposition import PCA
from sklearn.metrics import roc_auc_score, roc_curve

from aelib import anomaly, plots, results, runs, tables

# %% tags=["parameters"]
PROFILE = "full"  # full: real MNIST; smoke: seconds on a CPU with the embedded sample.
SEED = 42
EPOCHS = 10  # As in recipe 10, on about 5,300 images of the normal digit.
BATCH_SIZE = 64
CODE_SIZE = 16  # Numbers per image in the autoencoder's code, as in recipe 10.
# The normal digit on which recipe 10's summed score ranks worst (its test checks it against
# recipe 10's record).
NORMAL_DIGIT = 8
# Recipe 10's settings, chosen on held-out training images by benchmarks/anomaly_search.py
# (tests/test_anomaly_search.py checks them against its report): mixture sizes, PCA's
# components, the neighbours counted.
GAUSSIANS = 32
PCA_COMPONENTS = 32
PCA_GAUSSIANS = 32
NEIGHBOURS = 1

# %% [markdown]
# ## Prepare the data
#
# As in recipe 10: the normal training images are the first nine tenths of the training images of
# `NORMAL_DIGIT`, and the last tenth of every digit is held out, where the normal images set the
# scale of the summed score. The test set keeps all ten digits.

# %%
run = runs.start(
    "thin_digits",
    PROFILE,
    seed=SEED,
    dataset="mnist",
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    code_size=CODE_SIZE,
    normal_digit=NORMAL_DIGIT,
    gaussians=GAUSSIANS,
    pca_components=PCA_COMPONENTS,
    pca_gaussians=PCA_GAUSSIANS,
    neighbours=NEIGHBOURS,
)
x_all, y_all, x_test, y_test = run.x_train, run.y_train, run.x_test, run.y_test
held_out = {digit: max(np.sum(y_all == digit) // 10, 1) for digit in range(10)}
x_heldout = np.concatenate([x_all[y_all == digit][-held_out[digit] :] for digit in range(10)])
y_heldout = np.concatenate([np.full(held_out[digit], digit) for digit in range(10)])
x_train = x_all[y_all == NORMAL_DIGIT][: -held_out[NORMAL_DIGIT]]
print(f"{len(x_train):,} training images of {NORMAL_DIGIT}s, {len(x_heldout):,} held out")

# %% [markdown]
# ## Build the model
#
# The page repeats recipe 10's convolutional autoencoder so that it runs alone: two stride-2
# convolutions, a dense code of `CODE_SIZE` numbers, and a mirror image back, trained on the mean
# squared error.


# %%
# NBVAL_CHECK_OUTPUT
def build_autoencoder(code_size):
    """Encoder (28, 28, 1) in [0, 1] -> code_size numbers, decoder back, and the two chained."""
    images = keras.Input(shape=(28, 28, 1), name="images")
    hidden = images
    for filters in (16, 32):
        hidden = layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu")(hidden)
    encoder = keras.Model(images, layers.Dense(code_size)(layers.Flatten()(hidden)), name="encoder")
    codes = keras.Input(shape=(code_size,), name="codes")
    hidden = layers.Reshape((7, 7, 32))(layers.Dense(7 * 7 * 32, activation="relu")(codes))
    for filters in (32, 16):
        hidden = layers.Conv2DTranspose(filters, 3, 2, padding="same", activation="relu")(hidden)
    outputs = layers.Conv2D(1, 3, padding="same", activation="sigmoid")(hidden)
    decoder = keras.Model(codes, outputs, name="decoder")
    return encoder, decoder, keras.Model(images, decoder(encoder(images)), name="autoencoder")


print(f"{build_autoencoder(CODE_SIZE)[2].count_params():,} parameters, code of {CODE_SIZE} numbers")

# %% [markdown]
# The four scores, for the autoencoder and for PCA, whose code is the projection on its first
# components: the error e, the relative error r, the code density c under a Gaussian mixture
# fitted to the training codes, and their sum a, with r and c each standardized on the held-out
# normal images.


# %%
def call_in_batches(model, inputs):
    """A Keras model applied to an array in batches of 2,048, as a numpy array."""
    batches = [model(inputs[i : i + 2048]) for i in range(0, len(inputs), 2048)]
    return np.concatenate([keras.ops.convert_to_numpy(batch) for batch in batches])


def four_scores(encode, decode, gaussians):
    """Scores e, r, c and a of the held-out and test images: {letter: [held-out, test]}."""
    sets = (x_heldout, x_test)
    codes = [encode(images) for images in sets]
    errors = [anomaly.reconstruction_errors(x, decode(c)) for x, c in zip(sets, codes, strict=True)]
    relative = [r for _, r in errors]
    density = anomaly.code_density(encode(x_train), codes, gaussians, seed=SEED)
    summed = anomaly.standardized_sum([relative, density], y_heldout == NORMAL_DIGIT)
    return {"e": [e for e, _ in errors], "r": relative, "c": density, "a": summed}


# %% [markdown]
# ## Train
#
# One autoencoder on the normal digit, from seed `SEED` (recipe 10's first seed), and a PCA on the
# same images.

# %%
with run.phase("train"):
    keras.utils.set_random_seed(SEED)
    encoder, decoder, autoencoder = build_autoencoder(CODE_SIZE)
    steps = run.epochs * int(np.ceil(len(x_train) / run.batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(1e-3, steps)
    autoencoder.compile(optimizer=keras.optimizers.Adam(schedule), loss="mean_squared_error")
    sizes = {"epochs": run.epochs, "batch_size": run.batch_size}
    loss = autoencoder.fit(x_train, x_train, verbose=0, **sizes).history["loss"]
    rows = x_train.reshape(len(x_train), -1)
    pca = PCA(PCA_COMPONENTS, svd_solver="full").fit(rows)
print(f"training loss {loss[0]:.4f} -> {loss[-1]:.4f}")

# %% [markdown]
# ## Evaluate
#
# ### Which anomalies each score misses
#
# Every score is computed for the whole test set, and then the normal test images are ranked
# against one anomaly digit at a time: an AUC of 0.5 is a coin toss, and below it the score ranks
# that digit as *more* normal than the normal digit itself. Beside it, each digit's mean ink
# $\lVert x \rVert^2$ and the autoencoder's mean error e on it.

# %%
with run.phase("score"):
    autoencoder_scores = four_scores(
        lambda images: call_in_batches(encoder, images),
        lambda codes: call_in_batches(decoder, codes),
        GAUSSIANS,
    )
    pca_scores = four_scores(
        lambda images: pca.transform(images.reshape(len(images), -1)),
        lambda codes: pca.mean_ + codes @ pca.components_,
        PCA_GAUSSIANS,
    )
    distances = anomaly.nearest_neighbour_distances(rows, [NEIGHBOURS], (x_heldout, x_test))
scores = {f"autoencoder {letter}": values[1] for letter, values in autoencoder_scores.items()}
scores |= {"PCA a": pca_scores["a"][1], "nearest neighbours": distances[NEIGHBOURS][1]}
ink = np.sum(np.square(x_test.reshape(len(x_test), -1)), axis=1)
normal = y_test == NORMAL_DIGIT
# pair_aucs[name][digit]: the normal test images against that one anomaly digit alone.
pair_aucs = {name: {} for name in scores}
table = []
for digit in sorted(set(range(10)) - {NORMAL_DIGIT}):
    keep = normal | (y_test == digit)
    for name, values in scores.items():
        pair_aucs[name][digit] = roc_auc_score(y_test[keep] != NORMAL_DIGIT, values[keep])
    row = {"anomaly digit": str(digit), "mean ink": ink[y_test == digit].mean()}
    row["mean error e"] = scores["autoencoder e"][y_test == digit].mean()
    table.append(row | {name: pair_aucs[name][digit] for name in scores})
formats = {"mean ink": ".1f", "mean error e": ".2f"} | dict.fromkeys(scores, ".3f")
display(Markdown(tables.markdown_table(table, formats=formats)))
print(
    f"normal {NORMAL_DIGIT}s: mean ink {ink[normal].mean():.1f}, "
    f"mean error e {scores['autoencoder e'][normal].mean():.2f}"
)

# %%
worst = min(pair_aucs["autoencoder e"], key=pair_aucs["autoencoder e"].get)
ratios = {
    letter: scores[f"autoencoder {letter}"][y_test == worst].mean()
    / scores[f"autoencoder {letter}"][normal].mean()
    for letter in "er"
}
text = (
    f"The plain error e misses the {worst}s most: AUC {pair_aucs['autoencoder e'][worst]:.3f} "
    f"against the normal {NORMAL_DIGIT}s. A {worst} carries "
    f"{ink[y_test == worst].mean() / ink[normal].mean():.2f} times the ink of a normal image; "
    f"its mean error e is {ratios['e']:.2f} times theirs, its mean relative error r "
    f"{ratios['r']:.2f} times. Ranked by r, the {worst}s score an AUC of "
    f"{pair_aucs['autoencoder r'][worst]:.3f}; by the code density c, "
    f"{pair_aucs['autoencoder c'][worst]:.3f}; by the sum a, "
    f"{pair_aucs['autoencoder a'][worst]:.3f}."
)
display(Markdown(text))

# %% [markdown]
# The images: the test images of that digit which the plain error scores lowest, the most
# normal-looking to it, each above the autoencoder's reconstruction, and the first normal test
# images for comparison.

# %% mystnb={"image": {"alt": "Missed anomalies and normal digits, each above its reconstruction."}}
missed = np.flatnonzero(y_test == worst)[np.argsort(scores["autoencoder e"][y_test == worst])]
shown = {"missed": x_test[missed[:10]], "normal": x_test[np.flatnonzero(normal)[:10]]}
redrawn = {name: call_in_batches(autoencoder, images) for name, images in shown.items()}
plots.show_image_rows(
    {
        f"{worst}s missed": shown["missed"],
        "rebuilt": redrawn["missed"],
        f"normal {NORMAL_DIGIT}s": shown["normal"],
        "rebuilt ": redrawn["normal"],
    }
)

# %% [markdown]
# *Above, the anomalies the plain error misses most, each above its reconstruction by the
# autoencoder trained on the normal digit; below, normal test images and theirs.*

# %% [markdown]
# ### ROC curves for the normal digit
#
# Over all nine anomaly digits together, as recipe 10 scores it: the share of anomalies caught
# against the share of normal images flagged, as the threshold moves.

# %% mystnb={"image": {"alt": "ROC curves of four detectors for one normal digit."}}
one_class_aucs = {name: roc_auc_score(~normal, values) for name, values in scores.items()}
print(", ".join(f"{name} {auc:.3f}" for name, auc in one_class_aucs.items()))
figure, axis = plt.subplots(figsize=(5, 4.5))
for name in ("autoencoder e", "autoencoder a", "PCA a", "nearest neighbours"):
    false_positives, true_positives, _ = roc_curve(~normal, scores[name])
    axis.plot(false_positives, true_positives, label=f"{name} ({one_class_aucs[name]:.3f})")
axis.plot([0, 1], [0, 1], color="gray", linestyle=":", label="coin toss")
axis.set(xlabel="false positive rate", ylabel="true positive rate")
axis.set(title=f"normal digit {NORMAL_DIGIT}")
axis.legend(loc="lower right")
plt.show()

# %% [markdown]
# *ROC curves for the normal digit, each detector's AUC in the legend: the autoencoder scored by
# its plain error e and by the sum a, PCA by its sum, and the nearest neighbours.*

# %% [markdown]
# ## Record the results
#
# `results/thin_digits.json` keeps each score's AUC against each anomaly digit and against all
# nine, each digit's mean ink, and the headline: the relative error against the plain error on
# the digit the plain error misses most.

# %%
KEYS = {"autoencoder e": "ae", "autoencoder r": "ae_relative", "autoencoder c": "ae_density"}
KEYS |= {"autoencoder a": "ae_sum", "PCA a": "pca_sum", "nearest neighbours": "knn"}
record_metrics = {"worst_digit": worst, "first_epoch_loss": loss[0], "last_epoch_loss": loss[-1]}
for name, key in KEYS.items():
    record_metrics |= {f"{key}_auc_against_{d}": auc for d, auc in pair_aucs[name].items()}
    record_metrics[f"{key}_auc"] = one_class_aucs[name]
record_metrics |= {f"ink_digit_{d}": ink[y_test == d].mean() for d in range(10)}
headline = results.Headline(
    title="Thin digits",
    metric=f"ae_relative_auc_against_{worst}",
    label=f"conv autoencoder on the {NORMAL_DIGIT}s, relative error, ROC AUC against the {worst}s",
    baseline_metric=f"ae_auc_against_{worst}",
    baseline_label="the same autoencoder, plain reconstruction error",
)
run.finish(record_metrics, headline)

# %% [markdown]
# ## What to try next
#
# - Make the pictures for another normal digit: set `NORMAL_DIGIT` to 1, whose anomalies all have
#   more ink than it.
# - Score by the error per pixel of ink, or by the error of the image's brightest pixels only,
#   and compare with r.
# - Recipe 10 shows the four scores over all ten normal digits and three seeds.
