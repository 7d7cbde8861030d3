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
# unlabelled digits, move its weights into the classifier, fine-tune it on a few labels, and
# compare with the same classifier trained from scratch on the same labels.<br>
# **Accelerator:** GPU (this notebook asks Colab for a T4; the full profile took 37.6 minutes on a 2-core CPU).<br>
# <a href="https://colab.research.google.com/github/aebook/aebook/blob/main/recipes/08_pretext.ipynb"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>

# %% [markdown]
# ## Introduction
#
# Labels are expensive, images are cheap. A *pretext task* takes its targets from the images
# themselves, here *denoising*: rebuild a digit from a noisy copy. An encoder that has learned it
# can start a classifier that has only a few labels. The seed (Ferlitsch, *Deep Learning Patterns
# and Practices*, section 9.6) pretrains the stem of a classifier in six steps:
#
# 1. Warm up the target model with supervised training, for numerical stability.
# 2. Build an autoencoder: the model's stem as the encoder, the inverted stem as the decoder.
# 3. Transfer the numerically stable weights from the target model into the encoder.
# 4. Train the autoencoder without labels on a pretext task (e.g. compression, denoising).
# 5. Transfer the pretext-trained weights from the encoder back into the target model.
# 6. Train the target model with labels.
#
# Here the "stem" is the classifier's whole encoder, below its softmax. For each seed and label
# budget, the pretrained classifier is set against the same classifier trained from scratch.

# %% [markdown]
# ## Setup
#
# The first cell installs `aelib`, the book's helper library, where it is missing (Colab, a fresh
# Jupyter), at this notebook's commit. The parameters cell sets the profile (`full`: real MNIST;
# `smoke`: the embedded sample), the seeds, the label budgets and the training lengths.

# %%
import importlib.util
import subprocess
import sys

# Colab, Kaggle or a fresh Jupyter lack aelib: install the commit this notebook was run with.
# It brings only aelib's light dependencies; TensorFlow and Keras stay as they are.
if importlib.util.find_spec("aelib") is None:
    aelib_requirement = (
        "aelib @ git+https://github.com/aebook/aebook@081f00115c7e167b0539b64e112df7c8a8bd0fdf"
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

from aelib import plots, results, runs, tables

# %% tags=["parameters"]
PROFILE = "full"
SEEDS = (0, 1, 2, 3)
LABEL_BUDGETS = (100, 1000, 60000)
WARM_UP_EPOCHS = 5  # Step 1, on the smallest budget's labels.
PRETEXT_EPOCHS = 4  # Step 4: denoising epochs over all the training images.
CLASSIFIER_STEPS = 800  # Step 6: weight updates per classifier, whatever the label budget.
BATCH_SIZE = 64
NOISE_FACTOR = 0.3
CODE_SIZE = 32

# %% [markdown]
# ## Prepare the data
#
# All the training images serve the pretext task, without labels. The classifiers see only a
# *label budget*: a class-balanced subset drawn with the seed, nested (larger budgets add labels).
# `runs.start` seeds every random generator, loads the profile's share of the data and
# says what ran.

# %%
run = runs.start(
    "pretext",
    PROFILE,
    seed=SEEDS[0],
    dataset="mnist",
    epochs=PRETEXT_EPOCHS,
    batch_size=2 * BATCH_SIZE,
    warm_up_epochs=WARM_UP_EPOCHS,
    classifier_steps=CLASSIFIER_STEPS,
    classifier_batch_size=BATCH_SIZE,
    noise_factor=NOISE_FACTOR,
    code_size=CODE_SIZE,
)
# The smoke profile keeps every step and both arms, on a few hundred labels and steps.
if run.profile.name == "smoke":
    SEEDS, LABEL_BUDGETS, CLASSIFIER_STEPS, WARM_UP_EPOCHS = SEEDS[:2], (50, 500), 60, 2
x_train, y_train = run.x_train, run.y_train
x_test, y_test = run.x_test, run.y_test
class_count = int(run.dataset.y_train.max()) + 1


def labelled_subset(labels, budget, seed):
    """Indices of ``budget`` examples, as many of each class as the budget allows, seeded."""
    classes = np.unique(labels)
    if budget < len(classes) or budget > len(labels):
        raise ValueError(f"budget must be between {len(classes)} and {len(labels)}, not {budget}.")
    order = np.random.default_rng(seed).permutation(len(labels))
    per_class = budget // len(classes)
    chosen = np.concatenate([order[labels[order] == label][:per_class] for label in classes])
    # Classes with too few examples leave a shortfall; fill it with the next unchosen examples.
    rest = order[~np.isin(order, chosen)][: budget - len(chosen)]
    return np.sort(np.concatenate([chosen, rest]))


example = labelled_subset(y_train, LABEL_BUDGETS[0], SEEDS[0])
print(f"{len(example)} labels, per class: {np.bincount(y_train[example]).min()} or more")

# %% [markdown]
# ## Build the models
#
# The *encoder* starts with the seed's stem, a stride-2 5x5 convolution with 64 filters and 2x2
# pooling (28x28 to 7x7x64), then a 3x3 convolution, pooling and a dense layer make a 32-number
# code. The seed adds an L1 activity penalty (1e-4) because its stem outputs more numbers than
# the image has; here the 32-number code is the bottleneck, so the encoder has no penalty.


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
    probabilities = keras.layers.Dense(class_count, activation="softmax")(hidden)
    return keras.Model(image, probabilities, name="classifier")


def build_autoencoder(output_bias):
    """(28, 28, 1) digit in [0, 1] to the same: the encoder, then the encoder inverted."""
    image = keras.Input(shape=(28, 28, 1))
    hidden = keras.layers.Dense(7 * 7 * 64, activation="relu")(build_encoder()(image))
    hidden = keras.layers.UpSampling2D(2)(keras.layers.Reshape((7, 7, 64))(hidden))
    hidden = keras.layers.Conv2D(64, 3, padding="same", activation="relu")(hidden)
    pixels = keras.layers.Conv2DTranspose(1, 5, 2, "same", activation="sigmoid")
    autoencoder = keras.Model(image, pixels(hidden), name="autoencoder")
    pixels.bias.assign([output_bias])
    return autoencoder


def transfer_encoder(source, target):
    """Copy ``source``'s encoder weights into ``target``'s; True when all arrays then agree."""
    weights = source.get_layer("encoder").get_weights()
    target.get_layer("encoder").set_weights(weights)
    copied = target.get_layer("encoder").get_weights()
    return all(np.array_equal(mine, theirs) for mine, theirs in zip(weights, copied, strict=True))


# %% [markdown]
# ## Train: steps 1 to 4
#
# The pretext is denoising: the input is a digit $x$ with noise,
# $\tilde{x} = \mathrm{clip}(x + \epsilon, 0, 1)$, $\epsilon \sim \mathcal{N}(0, \sigma^2 I)$,
# $\sigma$ = `NOISE_FACTOR`; the target is the clean digit. With $f$ the encoder and $g$ the
# decoder, the loss (averaged over the batch) is
#
# $$
# \mathcal{L}(x) = \frac{1}{784} \sum_{i=1}^{784} \left(g(f(\tilde{x}))_i - x_i\right)^2.
# $$


# %%
def add_noise(images, noise_factor, seed):
    """Return images + N(0, noise_factor**2) noise, clipped to [0, 1]; same shape, float32."""
    noise = np.random.default_rng(seed).normal(0.0, noise_factor, size=images.shape)
    return np.clip(images + noise, 0.0, 1.0).astype(np.float32)


def pretrain(seed):
    """Steps 1 to 4 for one seed: return the autoencoder and its pretext loss per epoch."""
    keras.utils.set_random_seed(seed)
    # Step 1: warm up a classifier on the smallest budget's labels.
    indices = labelled_subset(y_train, LABEL_BUDGETS[0], seed)
    classifier = build_classifier()
    classifier.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    fit_options = {"epochs": WARM_UP_EPOCHS, "batch_size": BATCH_SIZE, "verbose": 0}
    classifier.fit(x_train[indices], y_train[indices], **fit_options)
    # Steps 2 and 3: build the autoencoder and copy the warmed-up encoder into it.
    autoencoder = build_autoencoder(output_bias)
    transfers.append(transfer_encoder(classifier, autoencoder))
    # Step 4: denoise all the training images, no labels.
    autoencoder.compile(optimizer="adam", loss="mean_squared_error")
    fit_options = {"epochs": run.epochs, "batch_size": run.batch_size, "verbose": 0}
    history = autoencoder.fit(add_noise(x_train, NOISE_FACTOR, seed=seed), x_train, **fit_options)
    return autoencoder, history.history["loss"]


# The decoder starts at the mean pixel's log-odds: from mid-grey it can stall blackening the page.
mean_pixel = float(x_train.mean())
output_bias = np.log(mean_pixel / (1 - mean_pixel))
transfers = []
with run.phase("pretext"):
    pretrained = {seed: pretrain(seed) for seed in SEEDS}
autoencoder, losses = pretrained[SEEDS[0]]
noisy_test = add_noise(x_test, NOISE_FACTOR, seed=SEEDS[0])
denoised_test = autoencoder.predict(noisy_test, batch_size=512, verbose=0)
noisy_mse, denoised_mse = (float(np.mean((x - x_test) ** 2)) for x in (noisy_test, denoised_test))
print(f"pretext loss, seed {SEEDS[0]}: {losses[0]:.4f} -> {losses[-1]:.4f}")
print(f"test MSE to the clean digits: noisy {noisy_mse:.4f}, denoised {denoised_mse:.4f}")
plots.show_image_rows({"noisy": noisy_test, "denoised": denoised_test, "clean": x_test}, count=10)

# %% [markdown]
# *Figure: ten test digits with noise, as the pretrained autoencoder rebuilds them, and clean.*
#
# ## Train: steps 5 and 6, the experiment
#
# For every seed and budget, two classifiers: *scratch* and *pretrained* (its encoder from step 4).
# Step 5 moves the encoder into a new classifier, not the warmed-up one, so that both start from
# the same random softmax; the warm-up's labels lie inside every budget.


# %%
def train_classifier(indices, seed, autoencoder=None):
    """Steps 5 and 6: train on ``indices`` for CLASSIFIER_STEPS updates; return test accuracy."""
    keras.utils.set_random_seed(seed)
    model = build_classifier()
    if autoencoder is not None:
        transfers.append(transfer_encoder(autoencoder, model))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    epochs = int(np.ceil(CLASSIFIER_STEPS * BATCH_SIZE / len(indices)))
    model.fit(x_train[indices], y_train[indices], epochs=epochs, batch_size=BATCH_SIZE, verbose=0)
    return model.evaluate(x_test, y_test, batch_size=512, verbose=0)[1]


ARMS = {"scratch": "scratch", "pretrained": "encoder_finetuned"}  # Arm: its name in the record.
accuracies = {(arm, budget): [] for arm in ARMS for budget in LABEL_BUDGETS}
with run.phase("classifiers"):
    for seed in SEEDS:
        for budget in LABEL_BUDGETS:
            indices = labelled_subset(y_train, budget, seed)
            start = 1000 * seed + budget  # Both arms start from the same random weights.
            for arm, source in zip(ARMS, (None, pretrained[seed][0]), strict=True):
                accuracies[arm, budget].append(train_classifier(indices, start, source))

# %%
# NBVAL_CHECK_OUTPUT
print(f"every encoder copy exact: {all(transfers)}")

# %% [markdown]
# ## Evaluate
#
# Test accuracy in percent on the whole test split, mean and standard deviation over the seeds,
# and the gain of the pretrained classifier over scratch, taken seed by seed.

# %%
rows = []
for budget in LABEL_BUDGETS:
    scratch, ours = (100 * np.array(accuracies[arm, budget]) for arm in ARMS)
    row = {"labels": budget}
    for name, values in (("scratch", scratch), ("pretrained", ours), ("gain", ours - scratch)):
        row[name], row[f"{name} sd"] = values.mean(), values.std()
    rows.append(row)
formats = {name: ".1f" for name in rows[0]} | {"labels": ","}
display(Markdown(tables.markdown_table(rows, formats=formats)))
figure, axis = plt.subplots(figsize=(6, 3.5))
for arm in ARMS:
    per_seed = np.array([accuracies[arm, budget] for budget in LABEL_BUDGETS])
    axis.errorbar(
        LABEL_BUDGETS, per_seed.mean(1), yerr=per_seed.std(1), marker="o", capsize=3, label=arm
    )
axis.set(xscale="log", xlabel="labelled training images", ylabel="test accuracy")
axis.legend()
plt.show()

# %% [markdown]
# *Figure: test accuracy against the number of labels (log scale), mean and sd over the seeds.*
#
# With the fewest labels the pretrained encoder is ahead by less than the spread between seeds;
# with more, the two arms are level. On MNIST, pretraining as an autoencoder barely helps: a small
# convolutional network learns strokes from a hundred labelled digits, and a code that must redraw
# the digit also keeps its position and slant, which say nothing of its class. Paine et al. (2015,
# *An analysis of unsupervised pre-training in light of recent advances*) found, with ReLUs,
# dropout and augmentation, that it helps where unlabelled images far outnumber labelled ones and
# hurts where they do not, on harder images (CIFAR-10, and STL-10 with 100,000 unlabelled images
# and 5,000 labelled).

# %% [markdown]
# ## Record the results
#
# `results/pretext.json` holds `<arm>_<budget>_accuracy` (and `_sd`), the gain, the headline.

# %%
smallest = LABEL_BUDGETS[0]
record_metrics = {"noisy_test_mse": noisy_mse, "denoised_test_mse": denoised_mse}
record_metrics |= {"pretext_loss_first": losses[0], "pretext_loss_last": losses[-1]}
record_metrics["encoder_transfers"] = len(transfers)
record_metrics["inexact_encoder_transfers"] = len(transfers) - sum(transfers)
for arm, key in ARMS.items():
    for budget in LABEL_BUDGETS:
        record_metrics[f"{key}_{budget}_accuracy"] = float(np.mean(accuracies[arm, budget]))
        record_metrics[f"{key}_{budget}_accuracy_sd"] = float(np.std(accuracies[arm, budget]))
record_metrics["encoder_finetuned_gain_smallest_budget"] = float(rows[0]["gain"])
record_metrics["encoder_finetuned_gain_smallest_budget_sd"] = float(rows[0]["gain sd"])
headline = results.Headline(
    title="Pretext pretraining",
    metric=f"encoder_finetuned_{smallest}_accuracy",
    label=f"encoder pretrained as a denoising autoencoder, fine-tuned on {smallest} labels, "
    f"test accuracy (mean of {len(SEEDS)} seeds)",
    baseline_metric=f"scratch_{smallest}_accuracy",
    baseline_label=f"the same classifier from scratch, same {smallest} labels",
    percent=True,
)
run.finish(record_metrics, headline)
ours, baseline = record_metrics[headline.metric], record_metrics[headline.baseline_metric]
print(f"{ours:.1%} pretrained against {baseline:.1%} from scratch")

# %% [markdown]
# ## What to try next
#
# - A contrastive pretext (as in SimCLR), which is not an autoencoder: no decoder; two shifted,
#   rotated, noisy copies of a digit must get nearby codes, copies of different digits distant
#   ones (the NT-Xent loss). Its code keeps what survives the augmentations, most of a digit's
#   class, so it tends to beat denoising with few labels, at the price of choosing augmentations.
# - Pretrain only the seed's stem; or freeze the encoder and train only the softmax (a probe).
# - Use the unlabelled digits while the classifier learns too (consistency training, FixMatch).
# - Try STL-10 or CIFAR-10 with few labels, where a pretext that rebuilds pixels has more to learn.
