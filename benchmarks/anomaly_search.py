"""The search behind recipe 10's detector settings: every candidate, scored on held-out images.

``python -m benchmarks.anomaly_search --seeds 3 --epochs 10 --batch-size 64 --code-size 16
--seed 42`` runs recipe 10's one-class protocol on MNIST. For each normal digit d, every
detector learns from the first nine tenths of d's training images; the last tenth of every
digit's training images is the held-out set, where d's images are normal and the other nine
digits stand in for anomalies. Each candidate setting scores the held-out set for every normal
digit (and, for the autoencoder, every seed), and a detector's chosen setting is the one with
the best mean held-out ROC AUC. The test AUC is shown beside it, never chosen on.

The candidates: the autoencoder's (recipe 10's model, trained as there) code density c and
summed score a with a mixture of 4, 16 or 32 Gaussians; PCA's four scores with 16, 32 or 64
components, and those mixtures for c and a; the mean distance to the 1, 5 or 25 nearest training
images; the one-class SVM's gamma 1 or 4 times scikit-learn's "scale" rule. It needs the real
MNIST (set ``AELIB_DATA_DIR``; ``--source embedded`` runs on the book's small sample instead) and
writes ``benchmarks/results/anomaly_search.md`` (``--output`` elsewhere), atomically.
"""

from __future__ import annotations

import argparse
import datetime
import os
import time
from pathlib import Path

import numpy as np

from aelib import anomaly, data, results

OUTPUT = Path(__file__).resolve().parent / "results" / "anomaly_search.md"
MIXTURES, PCA_SIZES, NEIGHBOURS, GAMMA_FACTORS = (4, 16, 32), (16, 32, 64), (1, 5, 25), (1, 4)
CHOSEN_HEADING = "## Chosen settings"


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line's settings, or a ValueError that names the bad one (nothing is loaded)."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.anomaly_search", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--seeds", type=int, default=3, help="autoencoders per normal digit")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--code-size", type=int, default=16)
    parser.add_argument("--seed", type=int, default=42, help="the first autoencoder's seed")
    parser.add_argument("--source", choices=data.SOURCES, default="auto")
    parser.add_argument("--output", default=str(OUTPUT), help="the Markdown report to write")
    arguments = parser.parse_args(argv)
    for name in ("seeds", "epochs", "batch_size", "code_size"):
        if getattr(arguments, name) < 1:
            flag = "--" + name.replace("_", "-")
            raise ValueError(f"{flag} must be a positive integer, not {getattr(arguments, name)}.")
    if arguments.seed < 0:
        raise ValueError(f"--seed must be an integer >= 0, not {arguments.seed}.")
    if not arguments.output.endswith(".md"):
        raise ValueError(f"--output must name a Markdown file (.md), not {arguments.output!r}.")
    return arguments


def split_by_digit(images, labels):
    """Each digit's training images (its first nine tenths), and the held-out set (the last
    tenth of every digit) with its labels: ({digit: (n, ...)}, (m, ...), (m,))."""
    images, labels = np.asarray(images), np.asarray(labels)
    if len(images) != len(labels) or labels.ndim != 1:
        raise ValueError(f"images {images.shape} and labels {labels.shape} must pair one to one.")
    train, held_out, held_out_labels = {}, [], []
    for digit in range(10):
        own = images[labels == digit]
        if len(own) < 2:
            raise ValueError(f"digit {digit} has {len(own)} images; each needs at least 2.")
        size = max(len(own) // 10, 1)
        train[digit] = own[:-size]
        held_out.append(own[-size:])
        held_out_labels.append(np.full(size, digit))
    return train, np.concatenate(held_out), np.concatenate(held_out_labels)


def _measure(encode, decode, train_images, image_sets):
    """The codes of ``train_images``, and per image set its codes, errors e and relative r."""
    parts = {"train codes": encode(train_images), "codes": [], "e": [], "r": []}
    for images in image_sets:
        codes = encode(images)
        errors, relative = anomaly.reconstruction_errors(images, decode(codes))
        for key, value in (("codes", codes), ("e", errors), ("r", relative)):
            parts[key].append(value)
    return parts


def _pca_coders(pca, size):
    """The first ``size`` components of a fitted PCA as (encode, decode) functions."""
    return (
        lambda images: pca.transform(images.reshape(len(images), -1))[:, :size],
        lambda codes: pca.mean_ + codes @ pca.components_[:size],
    )


def _candidate_scores(parts, normal, seed, setting=()):
    """(detector letter, setting, [held-out, test] scores) of one model for every candidate."""
    yield "e", setting, parts["e"]
    yield "r", setting, parts["r"]
    for components in MIXTURES:
        density = anomaly.code_density(parts["train codes"], parts["codes"], components, seed=seed)
        summed = anomaly.standardized_sum([parts["r"], density], normal)
        for letter, scores in (("c", density), ("a", summed)):
            yield letter, (*setting, ("Gaussians", components)), scores


def search(x_train, y_train, x_test, y_test, train_coders, seeds, seed=42):
    """Every candidate's AUC pairs: trials[detector][setting] is a list of (held-out AUC, test
    AUC), one per model (autoencoder seed and normal digit); a setting is a tuple of (name,
    value) pairs. ``train_coders(images, seed)`` returns the autoencoder's (encode, decode), each
    a function of an array; every Gaussian mixture starts from ``seed``."""
    from sklearn.decomposition import PCA
    from sklearn.metrics import roc_auc_score

    splits, x_held_out, y_held_out = split_by_digit(x_train, y_train)
    y_test, sets = np.asarray(y_test), (x_held_out, np.asarray(x_test))
    trials = {}

    def add(detector, setting, digit, scores):
        pair = (
            roc_auc_score(y_held_out != digit, scores[0]),
            roc_auc_score(y_test != digit, scores[1]),
        )
        trials.setdefault(detector, {}).setdefault(setting, []).append(pair)

    # The autoencoders, seed by seed and digit by digit, as recipe 10 trains them.
    autoencoder_parts = {}
    for model_seed in seeds:
        for digit in range(10):
            encode, decode = train_coders(splits[digit], model_seed)
            autoencoder_parts[model_seed, digit] = _measure(encode, decode, splits[digit], sets)
        print(f"seed {model_seed}: 10 autoencoders trained", flush=True)
    for (_, digit), parts in autoencoder_parts.items():
        for letter, setting, scores in _candidate_scores(parts, y_held_out == digit, seed):
            add(f"autoencoder {letter}", setting, digit, scores)
    for digit in range(10):
        rows = splits[digit].reshape(len(splits[digit]), -1)
        # One PCA serves every size: its first k components are the k-component PCA.
        pca = PCA(max(PCA_SIZES), svd_solver="full").fit(rows)
        for size in PCA_SIZES:
            parts = _measure(*_pca_coders(pca, size), rows, sets)
            normal, sized = y_held_out == digit, (("components", size),)
            for letter, setting, scores in _candidate_scores(parts, normal, seed, sized):
                add(f"PCA {letter}", setting, digit, scores)
        for count, scores in anomaly.nearest_neighbour_distances(rows, NEIGHBOURS, sets).items():
            add("nearest neighbours", (("neighbours", count),), digit, scores)
        for factor in GAMMA_FACTORS:
            # scikit-learn's "scale" rule for gamma, 1 / (features x variance), times the factor.
            gamma = factor / (rows.shape[1] * rows.var())
            scores = anomaly.one_class_svm_scores(rows, sets, gamma=gamma)
            add("one-class SVM", (("gamma factor", factor),), digit, scores)
        print(f"digit {digit}: classical detectors scored", flush=True)
    return trials


def choose(trials):
    """{detector: the setting with the best mean held-out AUC} for every detector that has a
    setting to choose (the first of equals, in the order tried)."""
    return {
        detector: max(settings, key=lambda setting: np.mean([h for h, _ in settings[setting]]))
        for detector, settings in trials.items()
        if len(settings) > 1
    }


def describe_setting(setting) -> str:
    """("components", 64), ("Gaussians", 16) -> 'components 64, Gaussians 16'."""
    return ", ".join(f"{name} {value}" for name, value in setting)


def report(trials, arguments, seconds: float, test_size: int) -> str:
    """The Markdown report: every candidate's mean AUCs, then the chosen setting per detector."""
    chosen, hardware = choose(trials), results.describe_hardware()
    seeds = ", ".join(str(arguments.seed + index) for index in range(arguments.seeds))
    lines = [
        "# One-class anomaly detection: the settings tried for recipe 10 "
        f"({datetime.date.today().isoformat()})",
        "",
        "For each normal digit d, every detector learns from the first nine tenths of d's MNIST",
        "training images; the last tenth of every digit's training images is the held-out set,",
        "where d's images are normal and the other nine digits stand in for anomalies. Each row",
        "is one candidate setting; its held-out ROC AUC (the mean over the ten normal digits, and",
        f"over the autoencoder's seeds {seeds}) is the number a choice is made on, and the chosen",
        f"row of each detector is in bold. The test AUC (all {test_size:,} test images) is shown,",
        "never chosen on. The autoencoder is recipe 10's",
        f"(code of {arguments.code_size} numbers, {arguments.epochs} epochs, batch size "
        f"{arguments.batch_size}); c is the code density, a the relative error plus c, each",
        "standardized on the held-out normal images. Written by `benchmarks/anomaly_search.py`",
        f"on {hardware['cpu']} ({hardware['cpu_count']} cores) in {seconds / 60:.1f} minutes.",
        "",
        "| detector | setting | held-out AUC | test AUC |",
        "| --- | --- | ---: | ---: |",
    ]
    for detector, settings in trials.items():
        if detector not in chosen:
            continue
        for setting, pairs in settings.items():
            held_out, test = np.mean(pairs, axis=0)
            cells = [detector, describe_setting(setting), f"{held_out:.4f}", f"{test:.4f}"]
            if setting == chosen[detector]:
                cells = [f"**{cell}**" for cell in cells]
            lines.append("| " + " | ".join(cells) + " |")
    lines += ["", CHOSEN_HEADING, "", "| detector | setting |", "| --- | --- |"]
    lines += [f"| {name} | {describe_setting(setting)} |" for name, setting in chosen.items()]
    return "\n".join(lines) + "\n"


def chosen_settings(text: str) -> dict[str, dict[str, int]]:
    """The report's chosen settings: {detector: {name: value}}, e.g.
    {"PCA c": {"components": 64, "Gaussians": 16}}."""
    if CHOSEN_HEADING not in text:
        raise ValueError(f"the report has no '{CHOSEN_HEADING}' section.")
    found = {}
    for line in text.split(CHOSEN_HEADING, 1)[1].splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("| ") or cells[0] in ("detector", "---"):
            continue
        pairs = [item.rpartition(" ") for item in cells[1].split(", ")]
        found[cells[0]] = {name: int(value) for name, _, value in pairs}
    return found


def keras_coders_trainer(epochs: int, batch_size: int, code_size: int):
    """``train_coders(images, seed)``: recipe 10's convolutional autoencoder trained on
    ``images`` (n, 28, 28, 1) from ``seed``, as (encode, decode) functions of an array."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # Imported here, so that importing this module (as the tests do) needs no TensorFlow.
    import keras
    from keras import layers

    def build():
        images = keras.Input(shape=(28, 28, 1), name="images")
        hidden = images
        for filters in (16, 32):
            hidden = layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu")(hidden)
        code = layers.Dense(code_size)(layers.Flatten()(hidden))
        encoder = keras.Model(images, code, name="encoder")
        codes = keras.Input(shape=(code_size,), name="codes")
        hidden = layers.Reshape((7, 7, 32))(layers.Dense(7 * 7 * 32, activation="relu")(codes))
        for filters in (32, 16):
            hidden = layers.Conv2DTranspose(filters, 3, 2, padding="same", activation="relu")(
                hidden
            )
        outputs = layers.Conv2D(1, 3, padding="same", activation="sigmoid")(hidden)
        decoder = keras.Model(codes, outputs, name="decoder")
        return encoder, decoder, keras.Model(images, decoder(encoder(images)), name="autoencoder")

    def call(model, inputs):
        # In batches of 2,048, as recipe 10 calls its models.
        batches = [model(inputs[i : i + 2048]) for i in range(0, len(inputs), 2048)]
        return np.concatenate([keras.ops.convert_to_numpy(batch) for batch in batches])

    def train_coders(images, seed):
        keras.utils.set_random_seed(seed)
        encoder, decoder, autoencoder = build()
        steps = epochs * int(np.ceil(len(images) / batch_size))
        schedule = keras.optimizers.schedules.CosineDecay(1e-3, steps)
        autoencoder.compile(optimizer=keras.optimizers.Adam(schedule), loss="mean_squared_error")
        autoencoder.fit(images, images, epochs=epochs, batch_size=batch_size, verbose=0)
        return (lambda inputs: call(encoder, inputs)), (lambda codes: call(decoder, codes))

    return train_coders


def main(argv: list[str] | None = None) -> int:
    """Run the search and write its report."""
    arguments = parse(argv)
    mnist = data.load_mnist(source=arguments.source, verbose=False)
    train_coders = keras_coders_trainer(arguments.epochs, arguments.batch_size, arguments.code_size)
    seeds = [arguments.seed + index for index in range(arguments.seeds)]
    start = time.perf_counter()
    trials = search(
        mnist.x_train,
        mnist.y_train,
        mnist.x_test,
        mnist.y_test,
        train_coders,
        seeds,
        arguments.seed,
    )
    text = report(trials, arguments, time.perf_counter() - start, len(mnist.x_test))
    results.write_text_atomically(arguments.output, text)
    print(text)
    print(f"wrote {arguments.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
