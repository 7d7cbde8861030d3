# ---
# jupyter:
#   accelerator: GPU
#   colab:
#     gpuType: T4
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: accelerator,colab
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
# # Pretext pretraining with an autoencoder
#
# **Description:** Pretrain an MNIST classifier's encoder as a denoising autoencoder on all the
# unlabelled digits, then measure what it gives a classifier with 100, 1,000 or 60,000 labels:
# a linear probe on the frozen code, and fine-tuning, each against its baselines over ten seeds.<br>
# **Accelerator:** GPU (this notebook asks Colab for a T4; the full profile took 7.8 minutes on a 2-core CPU).<br>
# <a href="https://colab.research.google.com/github/aebook/aebook/blob/main/recipes/08_pretext.ipynb"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>

# %% [markdown]
# ## Introduction
#
# Labels are expensive, images are cheap. A *pretext task* takes its targets from the images
# themselves, here *denoising*: rebuild a digit from a noisy copy. The seed (Ferlitsch, *Deep
# Learning Patterns and Practices*, section 9.6) warms a classifier up on labels, trains its stem
# as an autoencoder's encoder on the pretext, moves it back and trains on the labels. This page
# drops the warm-up: the encoder sees no label, so what it brings comes from unlabelled images.
#
# Two protocols, fixed before the run and not tuned on the test set, ask different questions:
#
# 1. **Linear probe**: what does the code hold? A logistic regression (scikit-learn's default
#    regularization) on the frozen encoder's standardized 32-number code, against the same
#    encoder with random weights and PCA with 32 components of the same unlabelled images.
# 2. **Fine-tuning**: what does pretraining add? The whole classifier trains 300 steps of 64 labels
#    with Adam; the pretrained arm starts from the pretext encoder *and its probe's softmax*, so
#    that a random head's errors do not wreck the encoder (linear probing, then fine-tuning: Kumar
#    et al., 2022 {cite:p}`kumar2022`), the scratch arm from random weights. A pilot on a held-out
#    tenth of the training images chose the rate among 1e-4, 3e-4 and 1e-3: within 300 steps the
#    highest led for both arms.
#
# Paine et al. (2014, *An analysis of unsupervised pre-training in light of recent advances*)
# {cite:p}`paine2014` found that pretraining helps where unlabelled images far outnumber labelled
# ones and hurts where they do not; here the ratio runs from 600 to 1 at 100 labels to 1 to 1 at
# 60,000.

# %% [markdown]
# ## Setup
#
# The first cell installs `aelib` where it is missing (Colab, a fresh Jupyter), at this
# notebook's commit. The parameters cell sets the profile, the seeds, budgets and schedules.

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
import numpy as np
from IPython.display import Markdown, display
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression

from aelib import plots, results, runs, stats, tables

# %% tags=["parameters"]
PROFILE = "full"
SEED = 0  # Seeds the pretraining, the random encoder and PCA, which every seed shares.
SEEDS = 10  # Labelled subsets (and fine-tuning starts) per budget.
LABEL_BUDGETS = (100, 1000, 60000)
PRETEXT_EPOCHS = 5  # Denoising epochs over all the training images, no labels.
PRETEXT_BATCH_SIZE = 128
FINE_TUNE_STEPS = 300  # Weight updates per classifier, whatever the label budget.
FINE_TUNE_BATCH_SIZE = 64
LEARNING_RATE = 1e-3
NOISE_FACTOR = 0.3
CODE_SIZE = 32

# %% [markdown]
# ## Prepare the data
#
# All the training images serve the pretext, without labels. A classifier sees a *label
# budget*, a class-balanced subset drawn with the seed (ten per class at 100): the seeds vary
# the labels and, in fine-tuning, the starting weights, the dropout and the batch order.

# %%
run = runs.start(
    "pretext",
    PROFILE,
    seed=SEED,
    dataset="mnist",
    epochs=PRETEXT_EPOCHS,
    batch_size=PRETEXT_BATCH_SIZE,
    seeds=SEEDS,
    fine_tune_steps=FINE_TUNE_STEPS,
    learning_rate=LEARNING_RATE,
    noise_factor=NOISE_FACTOR,
)
x_train, y_train = run.x_train, run.y_train
x_test, y_test = run.x_test, run.y_test
# The smoke profile keeps both protocols and three budgets, the largest all its 2,000 labels.
if run.profile.name == "smoke":
    SEEDS, LABEL_BUDGETS, FINE_TUNE_STEPS = 3, (100, 1000, len(y_train)), 40
class_count = int(y_train.max()) + 1


def labelled_subset(labels, budget, seed):
    """Sorted indices of ``budget`` examples, ``budget / 10`` of each class (all at full size)."""
    if budget == len(labels):
        return np.arange(len(labels))
    order = np.random.default_rng(seed).permutation(len(labels))
    per_class = budget // class_count
    return np.sort(np.concatenate([order[labels[order] == c][:per_class] for c in range(10)]))


subsets = {(b, s): labelled_subset(y_train, b, s) for b in LABEL_BUDGETS for s in range(SEEDS)}

# %% [markdown]
# ## Build the models
#
# The *encoder* starts with the seed's stem, a stride-2 5x5 convolution with 64 filters and 2x2
# pooling (28x28 to 7x7x64); a 3x3 convolution, pooling and a dense layer make a 32-number code.
# The classifier adds dropout and a softmax; the decoder mirrors the encoder.


# %%
def build_encoder():
    """(28, 28, 1) digit in [0, 1] to a (CODE_SIZE,) code; one model, so it moves as a whole."""
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            keras.layers.Conv2D(64, 5, 2, "same", activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Conv2D(128, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(2, padding="same"),
            keras.layers.Flatten(),
            keras.layers.Dense(CODE_SIZE),
        ],
        name="encoder",
    )


def build_classifier():
    """(28, 28, 1) digit in [0, 1] to ``class_count`` probabilities: encoder, dropout, softmax."""
    image = keras.Input(shape=(28, 28, 1))
    hidden = keras.layers.Dropout(0.3)(build_encoder()(image))
    softmax = keras.layers.Dense(class_count, activation="softmax", name="softmax")
    return keras.Model(image, softmax(hidden), name="classifier")


def build_autoencoder(output_bias):
    """(28, 28, 1) digit in [0, 1] to the same: the encoder, then a mirrored decoder."""
    image = keras.Input(shape=(28, 28, 1))
    hidden = keras.layers.Dense(7 * 7 * 64, activation="relu")(build_encoder()(image))
    hidden = keras.layers.Reshape((7, 7, 64))(hidden)
    hidden = keras.layers.Conv2DTranspose(32, 3, 2, "same", activation="relu")(hidden)
    pixels = keras.layers.Conv2DTranspose(1, 3, 2, "same", activation="sigmoid")
    autoencoder = keras.Model(image, pixels(hidden), name="autoencoder")
    pixels.bias.assign([output_bias])
    return autoencoder


# %%
# NBVAL_CHECK_OUTPUT
print(f"classifier: {build_classifier().count_params():,} parameters, the encoder's included")


# %% [markdown]
# ## Train the pretext
#
# The input is a digit $x$ with noise, $\tilde{x} = \mathrm{clip}(x + \epsilon, 0, 1)$,
# $\epsilon \sim \mathcal{N}(0, \sigma^2 I)$, $\sigma$ = `NOISE_FACTOR`; the target is the clean
# digit. With $f$ the encoder and $g$ the decoder, the loss (averaged over the batch) is
#
# $$
# \mathcal{L}(x) = \frac{1}{784} \sum_{i=1}^{784} \left(g(f(\tilde{x}))_i - x_i\right)^2.
# $$
#
# One autoencoder is trained, once, and serves every seed; so do one random encoder and one PCA.


# %% mystnb={"image": {"alt": "Ten test digits: with noise, as the pretrained autoencoder rebuilds them, and clean."}}
def add_noise(images, noise_factor, seed):
    """Return images + N(0, noise_factor**2) noise, clipped to [0, 1]; same shape, float32."""
    noise = np.random.default_rng(seed).normal(0.0, noise_factor, size=images.shape)
    return np.clip(images + noise, 0.0, 1.0).astype(np.float32)


# The decoder starts at the mean pixel's log-odds: from mid-grey it can stall blackening the page.
mean_pixel = float(x_train.mean())
autoencoder = build_autoencoder(np.log(mean_pixel / (1 - mean_pixel)))
autoencoder.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE), loss="mean_squared_error")
with run.phase("pretext"):
    noisy_train = add_noise(x_train, NOISE_FACTOR, seed=0)
    history = autoencoder.fit(noisy_train, x_train, run.batch_size, run.epochs, verbose=0)
losses = history.history["loss"]
noisy_test = add_noise(x_test, NOISE_FACTOR, seed=1)
denoised_test = autoencoder.predict(noisy_test, batch_size=512, verbose=0)
noisy_mse, denoised_mse = (float(np.mean((x - x_test) ** 2)) for x in (noisy_test, denoised_test))
print(f"pretext loss: {losses[0]:.4f} -> {losses[-1]:.4f}")
print(f"test MSE to the clean digits: noisy {noisy_mse:.4f}, denoised {denoised_mse:.4f}")
plots.show_image_rows({"noisy": noisy_test, "denoised": denoised_test, "clean": x_test}, count=10)

# %% [markdown]
# ## Protocol 1: a linear probe on the frozen code
#
# Each representation's 32 numbers are standardized over the unlabelled training images. At
# 60,000 labels every seed has the same labels and the fit is deterministic: one value.

# %%
random_classifier = build_classifier()  # Seeded by runs.start: its encoder is the random one.
pca = PCA(CODE_SIZE, random_state=0).fit(x_train.reshape(len(x_train), -1))
representations = {
    "pretext": lambda images: autoencoder.get_layer("encoder").predict(images, 1024, verbose=0),
    "random": lambda images: random_classifier.get_layer("encoder").predict(images, 1024, 0),
    "PCA": lambda images: pca.transform(images.reshape(len(images), -1)),
}
accuracies, probes = {}, {}
with run.phase("probe"):
    for name, represent in representations.items():
        codes, test_codes = represent(x_train), represent(x_test)
        mean, spread = codes.mean(axis=0), codes.std(axis=0) + 1e-8
        codes, test_codes = (codes - mean) / spread, (test_codes - mean) / spread
        for budget in LABEL_BUDGETS:
            # With every label, each seed's fit would be the same: fit once.
            for seed in range(1 if budget == len(y_train) else SEEDS):
                indices = subsets[budget, seed]
                probe = LogisticRegression(max_iter=1000).fit(codes[indices], y_train[indices])
                probes[name, budget, seed] = (probe, mean, spread)
                accuracy = probe.score(test_codes, y_test)
                accuracies.setdefault(("probe", name, budget), []).append(accuracy)

# %% [markdown]
# ## Protocol 2: fine-tuning
#
# Per seed and budget, two classifiers train on the same labels in the same order; the
# pretrained one starts from that seed's probe, its standardization folded into the softmax.


# %%
def fine_tune(budget, seed, pretrained):
    """Train a classifier for FINE_TUNE_STEPS steps on the budget's labels; test accuracy."""
    keras.utils.set_random_seed(1000 * seed + budget)
    model = build_classifier()
    if pretrained:
        model.get_layer("encoder").set_weights(autoencoder.get_layer("encoder").get_weights())
        probe, mean, spread = probes.get(("pretext", budget, seed), probes["pretext", budget, 0])
        kernel = probe.coef_.T / spread[:, None]
        bias = probe.intercept_ - (mean / spread) @ probe.coef_.T
        model.get_layer("softmax").set_weights([kernel.astype("float32"), bias.astype("float32")])
    loss = "sparse_categorical_crossentropy"
    model.compile(keras.optimizers.Adam(LEARNING_RATE), loss, metrics=["accuracy"])
    # Repeat shuffled passes over the labels until FINE_TUNE_STEPS batches are filled.
    indices, rng = subsets[budget, seed], np.random.default_rng(seed)
    count = FINE_TUNE_STEPS * FINE_TUNE_BATCH_SIZE
    order = np.concatenate([rng.permutation(indices) for _ in range(-(-count // len(indices)))])
    order = order[:count]
    model.fit(x_train[order], y_train[order], FINE_TUNE_BATCH_SIZE, shuffle=False, verbose=0)
    return model.evaluate(x_test, y_test, batch_size=1024, verbose=0)[1]


with run.phase("fine_tune"):
    for budget in LABEL_BUDGETS:
        for seed in range(SEEDS):
            for arm, pretrained in (("pretrained", True), ("scratch", False)):
                accuracy = fine_tune(budget, seed, pretrained)
                accuracies.setdefault(("fine-tuned", arm, budget), []).append(accuracy)

# %% [markdown]
# ## Evaluate
#
# Test accuracy in percent on the 10,000 test digits, mean ± standard deviation over the seeds;
# then the paired differences, seed by seed on the same labels, with their 95% intervals.

# %%
ARMS = [("probe", "pretext"), ("probe", "random"), ("probe", "PCA")]
ARMS += [("fine-tuned", "pretrained"), ("fine-tuned", "scratch")]
summaries = {key: stats.summarize(100 * np.asarray(value)) for key, value in accuracies.items()}
rows = []
for protocol, arm in ARMS:
    row = {"protocol": protocol, "arm": arm}
    for budget in LABEL_BUDGETS:
        row[f"{budget:,} labels"] = stats.describe(summaries[protocol, arm, budget], 1)
    rows.append(row)
display(Markdown(tables.markdown_table(rows)))
COMPARISONS = {
    "probe: pretext - random": (("probe", "pretext"), ("probe", "random")),
    "probe: pretext - PCA": (("probe", "pretext"), ("probe", "PCA")),
    "fine-tuned: pretrained - scratch": (("fine-tuned", "pretrained"), ("fine-tuned", "scratch")),
}
WORDS = {"wins": "ahead", "ties": "a tie", "loses": "behind"}
differences, rows = {}, []
for comparison, (ours, theirs) in COMPARISONS.items():
    row = {"difference (points)": comparison}
    for budget in LABEL_BUDGETS:
        pair = (100 * np.asarray(accuracies[(*arm, budget)]) for arm in (ours, theirs))
        differences[comparison, budget] = difference = stats.paired_difference(*pair)
        interval = stats.describe_interval(difference, 1)
        row[f"{budget:,} labels"] = f"{interval}: {WORDS[stats.verdict(difference)]}"
    rows.append(row)
display(Markdown(tables.markdown_table(rows)))

# %%
smallest, largest, tuned = LABEL_BUDGETS[0], LABEL_BUDGETS[-1], list(COMPARISONS)[-1]
PLACES = {"wins": "ahead of", "ties": "level with", "loses": "behind"}


def place(key, budget, baseline):
    """'ahead of PCA: +1.2 points (95% interval ...)' for a comparison at a budget."""
    difference = differences[key, budget]
    interval = stats.describe_interval(difference, 1, " points")
    return f"{PLACES[stats.verdict(difference)]} {baseline}: {interval}"


helps = [f"{b:,}" for b in LABEL_BUDGETS if stats.verdict(differences[tuned, b]) == "wins"]
text = f"With {smallest:,} labels ({len(y_train) // smallest:,} unlabelled images per label) the "
text += f"probe on the pretext code is {place('probe: pretext - PCA', smallest, 'PCA')}. "
text += f"Fine-tuned, the pretrained classifier is {place(tuned, smallest, 'scratch')}; at "
text += f"{largest:,} labels it is {place(tuned, largest, 'scratch')}. "
where = "every budget" if len(helps) == len(LABEL_BUDGETS) else " and ".join(helps) + " labels"
text += f"Fine-tuning gains from pretraining at {where if helps else 'no budget'}. "
if differences[tuned, smallest].mean > differences[tuned, largest].mean:
    text += "The gain shrinks as the labels grow, as Paine et al.'s ratio predicts. "
if differences[tuned, smallest].mean < differences["probe: pretext - PCA", smallest].mean:
    text += f"At {smallest:,} labels that gain is smaller than the probe's lead over PCA: once "
    text += "the encoder may adapt, the labels teach a network from scratch much of what the code holds."
display(Markdown(text))

# %% [markdown]
# Both protocols learn the pretext first and the labels after, so the code cannot learn what the
# labels single out. A ladder network (Rasmus et al., 2015 {cite:p}`rasmus2015`) trains both at
# once, its denoising costs added to the classifier's on all the images: 1.06% test error with 100
# labels.

# %% [markdown]
# ## Record the results
#
# Each arm's accuracy and each paired difference per budget, with spread, seeds and interval;
# the headline is the probe at 100 labels against the stronger of its two baselines.

# %%
record_metrics = {"noisy_test_mse": noisy_mse, "denoised_test_mse": denoised_mse}
record_metrics |= {"pretext_loss_first": losses[0], "pretext_loss_last": losses[-1]}
KEYS = {"probe": "probe", "fine-tuned": "finetuned", "pretext": "dae", "PCA": "pca"}
key_of = {arm: f"{KEYS[arm[0]]}_{KEYS.get(arm[1], arm[1])}" for arm in ARMS}
for budget in LABEL_BUDGETS:
    for arm in ARMS:
        summary = stats.summarize(accuracies[(*arm, budget)])
        record_metrics |= stats.record_metrics(f"{key_of[arm]}_{budget}_accuracy", summary)
    for ours, theirs in COMPARISONS.values():
        difference = stats.paired_difference(*(accuracies[(*a, budget)] for a in (ours, theirs)))
        name = f"{key_of[ours]}_minus_{key_of[theirs].split('_')[1]}_{budget}_accuracy"
        record_metrics |= stats.record_metrics(name, difference)
baseline = max(("random", "pca"), key=lambda b: record_metrics[f"probe_{b}_{smallest}_accuracy"])
headline = results.Headline(
    title="Pretext pretraining",
    metric=f"probe_dae_{smallest}_accuracy",
    label=f"linear probe on the frozen denoising encoder's code, {smallest} labels, test accuracy",
    baseline_metric=f"probe_{baseline}_{smallest}_accuracy",
    baseline_label=f"the same probe on {dict(pca='PCA', random='a random encoder')[baseline]}",
    percent=True,
    seeds=SEEDS,
    spread_metric=f"probe_dae_{smallest}_accuracy_std",
    baseline_spread_metric=f"probe_{baseline}_{smallest}_accuracy_std",
    difference_low_metric=f"probe_dae_minus_{baseline}_{smallest}_accuracy_low",
    difference_high_metric=f"probe_dae_minus_{baseline}_{smallest}_accuracy_high",
)
run.finish(record_metrics, headline)

# %% [markdown]
# ## What to try next
#
# - A contrastive pretext (SimCLR): no decoder; two augmented copies of a digit must get nearby
#   codes. Its code keeps what survives the augmentations, most of a digit's class.
# - Probe a wider layer than the 32-number code, such as the 2,048 numbers before it.
