"""Time to quality: a recipe's training configuration against the seed's, on the same model.

``python -m benchmarks.time_to_quality [--tasks ...] [--seed-epoch-cap N] [--smoke]`` trains,
for each task, the recipe's model twice on the same real training images: once as the recipe
trains it ("ours"), once as the seed text trains it ("seed": its optimizer, learning rate,
batch size and epoch count). After every epoch it records the training wall time (fit only)
and the test metric (higher is better). The two train in alternation, epoch by epoch, so that
a drift in the machine's speed weighs on both alike (a long task trains the seed first; see
``Task.ours_stops_at_seed``). The report gives, per task, the seed's final metric, the
training time at which ours first reaches it, and the ratio of the two times (the goal is 0.2
or less). A seed run that would take hours on a CPU is capped by ``--seed-epoch-cap``; the
report then compares at the capped point and says so.

The models come from the recipes themselves: each recipe declares in ``BENCHMARK_NAMES``
the functions, classes and constants a benchmark may use, and only those (with the recipe's
imports) are read from ``recipes/<recipe>.py``, so the benchmark trains exactly the recipe's
model without a second copy of it and depends on nothing else the recipe defines.

Results: ``benchmarks/results/time_to_quality.json`` and ``.md``; never asserted by tests.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import functools
import itertools
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
RATIO_GOAL = 0.2


DECLARATION = "BENCHMARK_NAMES"


def declared_names(tree: ast.Module, path: Path) -> tuple[str, ...]:
    """The names a recipe's ``BENCHMARK_NAMES = (...)`` declares for the benchmarks to use."""
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if [getattr(target, "id", None) for target in targets] == [DECLARATION]:
            try:
                names = ast.literal_eval(node.value)
            except ValueError:
                names = None
            if not isinstance(names, tuple) or not all(isinstance(n, str) for n in names):
                raise ValueError(f"{path.name}: {DECLARATION} must be a tuple of names (strings).")
            return names
    raise ValueError(
        f"{path.name} declares no {DECLARATION}; the benchmarks use only the names a recipe "
        "declares for them."
    )


@functools.cache  # Builders, scores and losses ask again every run and epoch; execute once.
def recipe_definitions(recipe: str, names: tuple[str, ...], root: Path = ROOT) -> dict:
    """Execute ``recipes/<recipe>.py``'s imports and the definitions it declares; return ``names``.

    A recipe declares what the benchmarks may use in ``BENCHMARK_NAMES``: functions, classes
    and constants, with everything those need. Only the module-level imports and the
    declared definitions run (nothing trains, loads data or draws); asking for an undeclared
    name is a ValueError, so the benchmarks never depend on a recipe's other top-level names.
    """
    path = root / "recipes" / f"{recipe}.py"
    if not path.is_file():
        raise ValueError(f"No recipe source {path}.")
    tree = ast.parse(path.read_text(), filename=str(path))
    declared = declared_names(tree, path)
    undeclared = sorted(set(names) - set(declared))
    if undeclared:
        raise ValueError(f"{path.name} does not declare {', '.join(undeclared)} in {DECLARATION}.")
    kept, found = [], set()
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            kept.append(node)
        elif isinstance(node, ast.Assign):
            targets = {getattr(target, "id", None) for target in node.targets}
            if targets <= set(declared):
                kept.append(node)
                found.update(targets)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name in declared:
            kept.append(node)
            found.add(node.name)
    missing = sorted(set(declared) - found)
    if missing:
        raise ValueError(f"{path.name} declares but defines no {', '.join(missing)}.")
    namespace: dict = {"__name__": f"recipe_{recipe}"}
    exec(compile(ast.Module(body=kept, type_ignores=[]), str(path), "exec"), namespace)
    return {name: namespace[name] for name in names}


@dataclasses.dataclass(frozen=True)
class Config:
    """One way of training: optimizer (a function of the total step count), loss, batch, epochs."""

    optimizer: Callable[[int], object]
    loss: str | Callable[[], object]  # A Keras loss name, or a function that returns the loss.
    batch_size: int
    epochs: int
    description: str
    train_size: int | None = None  # Train on only the first train_size images (None: all).


@dataclasses.dataclass(frozen=True)
class Task:
    """A recipe's model, its data, its test metric, and the two configurations to compare."""

    name: str
    recipe: str
    build: Callable[[tuple], object]  # (the task's data arrays) -> a fresh model
    data: Callable[[str], tuple]  # source -> (inputs, targets, test_inputs, test_targets)
    metric: str
    ours: Config
    seed: Config
    seed_source: str
    score: Callable | None = None  # (model, test_inputs, test_targets) -> metric; None means PSNR.
    # For tasks whose full run is long: train the seed first, then ours only until it reaches
    # the seed's final metric (or its own last epoch).
    ours_stops_at_seed: bool = False


def _psnr_metric(model, test_inputs, test_targets) -> float:
    import numpy as np

    from aelib import metrics

    # Scored as the recipes show their images: clipped to [0, 1]. A linear output (SRCNN) may
    # stray outside early in training, which aelib.metrics refuses beyond half a unit.
    predictions = model.predict(test_inputs, batch_size=512, verbose=0)
    return metrics.psnr(test_targets, np.clip(predictions, 0.0, 1.0))


def _elbo_metric(model, test_inputs, test_targets) -> float:
    # The VAE's loss is its negative ELBO per image (reconstruction plus the KL layer's loss);
    # its negative is the ELBO, higher is better like every other metric here.
    return -float(model.evaluate(test_inputs, test_targets, batch_size=512, verbose=0))


def _recipe_training_images(images):
    """The first nine tenths, which the recipes train on (they validate on the rest)."""
    return images[: len(images) * 9 // 10]


def _mnist_reconstruction(source: str) -> tuple:
    from aelib import data

    dataset = data.load_mnist(source=source, verbose=False)
    x_train = _recipe_training_images(dataset.x_train)
    return x_train, x_train, dataset.x_test, dataset.x_test


def _mnist_denoising(source: str) -> tuple:
    (add_noise,) = recipe_definitions("03_denoising", ("add_noise",)).values()
    x_train, _, x_test, _ = _mnist_reconstruction(source)
    return add_noise(x_train, 0.5, seed=42), x_train, add_noise(x_test, 0.5, seed=43), x_test


def _cifar_super_resolution(source: str) -> tuple:
    from aelib import data, pairs

    dataset = data.load_cifar10(source=source, verbose=False)
    # SRCNN reads the bicubic enlargement of the 16x16 photo and returns the 32x32 one.
    x_train = _recipe_training_images(dataset.x_train)
    _, bicubic_train = pairs.super_resolution_pairs(x_train, 2)
    _, bicubic_test = pairs.super_resolution_pairs(dataset.x_test, 2)
    return bicubic_train, x_train, bicubic_test, dataset.x_test


def _cifar_colorization(source: str) -> tuple:
    """Recipe 04's pairs: (luma, chroma U and V) to train on; (luma, RGB photo) to test on."""
    from aelib import data

    (rgb_to_yuv,) = recipe_definitions("04_colorization", ("rgb_to_yuv",)).values()
    dataset = data.load_cifar10(source=source, verbose=False)
    yuv_train = rgb_to_yuv(_recipe_training_images(dataset.x_train))
    gray_test = rgb_to_yuv(dataset.x_test)[..., :1]
    return yuv_train[..., :1], yuv_train[..., 1:], gray_test, dataset.x_test


def _colorization_metric(model, test_inputs, test_targets) -> float:
    # The recipe's headline: pooled PSNR of the RGB photo made from the luma and the predicted
    # chroma.
    from aelib import metrics

    recipe = recipe_definitions("04_colorization", ("yuv_to_rgb", "colorize"))
    return metrics.pooled_psnr(test_targets, recipe["colorize"](model, test_inputs))


def _sgd_srcnn(total_steps: int):
    import keras

    # SRCNN's paper: plain SGD with momentum 0.9 and a learning rate of 1e-4 (1e-5 in its last
    # layer, which one Keras optimizer cannot express; here 1e-4 everywhere).
    return keras.optimizers.SGD(learning_rate=1e-4, momentum=0.9)


def _adam(rate: float) -> Callable[[int], object]:
    def make(total_steps: int):
        import keras

        return keras.optimizers.Adam(rate)

    make.learning_rate = rate  # For the tests that compare it with the recipe's.
    return make


def _adam_cosine(rate: float) -> Callable[[int], object]:
    def make(total_steps: int):
        import keras

        return keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(rate, total_steps))

    make.learning_rate = rate
    return make


def _adadelta_keras2(total_steps: int):
    import keras

    # `optimizer="adadelta"` in the Keras 1-2 era of the blog meant a learning rate of 1.0;
    # Keras 3's default (0.001) would barely move the weights in 50 epochs.
    return keras.optimizers.Adadelta(learning_rate=1.0, rho=0.95, epsilon=1e-7)


def _build_dense_vae(arrays: tuple):
    """Recipe 06's dense VAE, (512, 256) hidden units and a 2-d code, as the recipe builds it."""
    names = ("HIDDEN_UNITS", "Sampling", "KLDivergence", "build_vae", "dense_body", "dense_decoder")
    recipe = recipe_definitions("06_vae", names)
    hidden_units = recipe["HIDDEN_UNITS"]
    vae, _, _ = recipe["build_vae"](
        recipe["dense_body"](hidden_units), recipe["dense_decoder"](hidden_units, 2), 2, "dense_vae"
    )
    return vae


def _build_l1_sparse(arrays: tuple):
    """Recipe 05's ReLU autoencoder with the blog's L1 activity penalty (1e-4)."""
    import numpy as np

    names = ("L1_WEIGHT", "L1Penalty", "build_autoencoder")
    recipe = recipe_definitions("05_sparse", names)
    # The recipe starts the output layer at the log-odds of the mean training pixel.
    mean_pixels = np.clip(arrays[1].mean(axis=0).reshape(-1), 1e-3, 1 - 1e-3)
    output_bias = np.log(mean_pixels / (1 - mean_pixels))
    penalty = recipe["L1Penalty"](recipe["L1_WEIGHT"], name="penalty")
    autoencoder, _ = recipe["build_autoencoder"]("relu_l1", output_bias, penalty=penalty)
    return autoencoder


def _build_deep_autoencoder_32(arrays: tuple):
    """Recipe 02's deep autoencoder with its largest code, 32 numbers (the seed's size)."""
    names = ("build_deep_autoencoder", "CODE_SIZES")
    recipe = recipe_definitions("02_dimensionality_reduction", names)
    return recipe["build_deep_autoencoder"](max(recipe["CODE_SIZES"]))


def _vae_loss():
    (loss,) = recipe_definitions("06_vae", ("summed_binary_crossentropy",)).values()
    return loss


def _rmsprop_keras2(total_steps: int):
    import keras

    # `optimizer="rmsprop"` in the blog's Keras meant a learning rate of 1e-3, rho 0.9.
    return keras.optimizers.RMSprop(learning_rate=1e-3, rho=0.9, epsilon=1e-7)


def _build(recipe: str, builder: str, *constant_names: str):
    """A task's builder: the recipe's ``builder`` called with the recipe's own named constants."""

    def build(arrays: tuple):
        definitions = recipe_definitions(recipe, (builder, *constant_names))
        model = definitions[builder](*(definitions[name] for name in constant_names))
        return model[0] if isinstance(model, tuple) else model

    return build


BLOG = "Chollet, Building Autoencoders in Keras (the Keras blog, 2016)"
# The configurations that several dense recipes share: ours, and the blog's longer runs.
DENSE_OURS = Config(_adam(1e-3), "binary_crossentropy", 128, 30, "Adam 1e-3, batch 128, 30 epochs")
BLOG_ADADELTA_100 = Config(
    _adadelta_keras2, "binary_crossentropy", 256, 100, "Adadelta, batch 256, 100 epochs"
)
TASKS = {
    "vanilla_dense": Task(
        "vanilla_dense",
        "01_vanilla",
        _build("01_vanilla", "build_dense_autoencoder", "LATENT_DIM"),
        _mnist_reconstruction,
        "PSNR (dB)",
        DENSE_OURS,
        Config(_adadelta_keras2, "binary_crossentropy", 256, 50, "Adadelta, batch 256, 50 epochs"),
        BLOG,
    ),
    "dimensionality_reduction_deep": Task(
        "dimensionality_reduction_deep",
        "02_dimensionality_reduction",
        _build_deep_autoencoder_32,
        _mnist_reconstruction,
        "PSNR (dB)",
        Config(
            _adam_cosine(3e-3),
            "binary_crossentropy",
            512,
            20,
            "Adam 3e-3 with cosine decay, batch 512, 20 epochs",
        ),
        BLOG_ADADELTA_100,
        BLOG,
    ),
    "denoising_blog": Task(
        "denoising_blog",
        "03_denoising",
        _build("03_denoising", "build_denoiser"),
        _mnist_denoising,
        "PSNR (dB)",
        Config(
            _adam_cosine(2e-3),
            "binary_crossentropy",
            16,
            4,
            "Adam 2e-3 with cosine decay, batch 16, 4 epochs",
        ),
        Config(
            _adadelta_keras2, "binary_crossentropy", 128, 100, "Adadelta, batch 128, 100 epochs"
        ),
        BLOG,
    ),
    "colorization_unet": Task(
        "colorization_unet",
        "04_colorization",
        _build("04_colorization", "build_chroma_unet", "UNET_WIDTHS"),
        _cifar_colorization,
        "pooled PSNR (dB)",
        Config(
            _adam_cosine(1e-3),
            "mean_squared_error",
            64,
            16,
            "Adam 1e-3 with cosine decay, batch 64, 16 epochs (no mirroring)",
        ),
        Config(
            _adam(1e-3),
            "mean_squared_error",
            64,
            5,
            "Adam 1e-3, batch 64, 5 epochs on 18,000 images",
            train_size=18_000,
        ),
        "Recipe 04's shortened budget for the seed's model (the R-Keras cookbook's colorization "
        "recipe trains 20 epochs, batch 32, on all 50,000 photos)",
        score=_colorization_metric,
        ours_stops_at_seed=True,
    ),
    "sparse_l1": Task(
        "sparse_l1",
        "05_sparse",
        _build_l1_sparse,
        _mnist_reconstruction,
        "PSNR (dB)",
        DENSE_OURS,
        BLOG_ADADELTA_100,
        BLOG,
    ),
    "vae_dense": Task(
        "vae_dense",
        "06_vae",
        _build_dense_vae,
        _mnist_reconstruction,
        "ELBO (nats)",
        Config(_adam(1e-3), _vae_loss, 128, 50, "Adam 1e-3, batch 128, 50 epochs"),
        Config(_rmsprop_keras2, _vae_loss, 100, 50, "RMSprop 1e-3, batch 100, 50 epochs"),
        BLOG,
        score=_elbo_metric,
    ),
    "super_resolution_srcnn": Task(
        "super_resolution_srcnn",
        "07_super_resolution",
        _build("07_super_resolution", "build_srcnn"),
        _cifar_super_resolution,
        "PSNR (dB)",
        Config(
            _adam_cosine(1e-3),
            "mean_squared_error",
            64,
            10,
            "Adam 1e-3 with cosine decay, batch 64, 10 epochs",
        ),
        Config(
            _sgd_srcnn,
            "mean_squared_error",
            128,
            100,
            "SGD 1e-4, momentum 0.9, batch 128 (the paper trains far longer than any cap here)",
        ),
        "Dong, Loy, He and Tang, Learning a Deep Convolutional Network for Image "
        "Super-Resolution (ECCV 2014)",
        ours_stops_at_seed=True,
    ),
}


# Why some recipes have no task: a ratio needs the seed's own training configuration. A recipe
# missing here is listed without a reason; adding a recipe needs no change to this file.
WITHOUT_TASK = {
    "08_pretext": "Ferlitsch's section 9.6 gives the six steps, not an optimizer, learning rate, "
    "batch size or epoch count for them.",
    "09_compression": "the seeds' cat-photo article gives no training configuration for its "
    "autoencoder.",
    "10_anomaly_detection": "the seeds' cat-photo article gives no training configuration for its "
    "autoencoder.",
    "11_contractive": "no seed trains a contractive autoencoder (the R-Keras cookbook describes "
    "one without code).",
}


def recipes_without_task(root: Path = ROOT) -> dict[str, str]:
    """Each recipe in ``recipes/`` that no task trains, with the reason given, if any."""
    with_task = {task.recipe for task in TASKS.values()}
    recipes = sorted(path.stem for path in (root / "recipes").glob("[0-9][0-9]_*.py"))
    return {
        recipe: WITHOUT_TASK.get(recipe, "no task (no seed configuration to compare with yet).")
        for recipe in recipes
        if recipe not in with_task
    }


def task_arrays(task: Task, smoke: bool) -> tuple:
    """The task's (inputs, targets, test inputs, test targets): real data, or 256 embedded."""
    arrays = task.data("embedded" if smoke else "auto")
    return tuple(array[:256] for array in arrays) if smoke else arrays


def compiled_model(
    task: Task, config: Config, arrays: tuple, seed: int, jit_compile: bool | str = "auto"
) -> tuple:
    """A fresh, seeded model of ``task`` compiled as ``config`` says; with its training pairs."""
    import keras
    import numpy as np

    inputs, targets = arrays[0][: config.train_size], arrays[1][: config.train_size]
    keras.utils.set_random_seed(seed)
    model = task.build(arrays)
    steps_per_epoch = int(np.ceil(len(inputs) / config.batch_size))
    # The schedule spans the configuration's own length, even when the run is capped.
    loss = config.loss if isinstance(config.loss, str) else config.loss()
    model.compile(
        optimizer=config.optimizer(config.epochs * steps_per_epoch),
        loss=loss,
        jit_compile=jit_compile,
    )
    return model, inputs, targets


def _epochs(task: Task, config: Config, arrays: tuple, seed: int):
    """Train a fresh model as ``config`` says, one epoch per step; yield a row after each:
    epoch, training seconds so far, examples/s, loss, metric."""
    _, _, test_inputs, test_targets = arrays
    model, inputs, targets = compiled_model(task, config, arrays, seed)
    score = task.score or _psnr_metric
    elapsed = 0.0
    for epoch in itertools.count(1):
        start = time.perf_counter()
        history = model.fit(
            inputs, targets, batch_size=config.batch_size, epochs=1, shuffle=True, verbose=0
        )
        seconds = time.perf_counter() - start
        elapsed += seconds
        yield {
            "epoch": epoch,
            "train_seconds": round(elapsed, 2),
            "examples_per_second": round(len(inputs) / seconds, 1),
            "loss": float(history.history["loss"][-1]),
            "metric": round(score(model, test_inputs, test_targets), 4),
        }


def train_curve(
    task: Task, config: Config, arrays: tuple, epochs: int, seed: int, stop_at: float | None = None
) -> list[dict]:
    """Train a fresh model for ``epochs`` (or until its metric reaches ``stop_at``); one row per
    epoch: seconds, metric, examples/s."""
    rows = []
    for row in itertools.islice(_epochs(task, config, arrays, seed), epochs):
        rows.append(row)
        print(f"  epoch {row['epoch']}: {row}", flush=True)
        if stop_at is not None and row["metric"] >= stop_at:
            break
    return rows


def interleaved_order(ours_epochs: int, seed_epochs: int) -> list[str]:
    """Which configuration trains each next epoch, "ours" or "seed", so that each one's epochs
    are spread evenly over the run (an epoch goes where its midpoint falls).

    >>> interleaved_order(2, 6)
    ['seed', 'ours', 'seed', 'seed', 'seed', 'ours', 'seed', 'seed']
    """
    if ours_epochs < 1 or seed_epochs < 1:
        raise ValueError(f"Both need an epoch at least, not {ours_epochs} and {seed_epochs}.")
    totals = {"ours": ours_epochs, "seed": seed_epochs}
    done = {"ours": 0, "seed": 0}
    order = []
    for _ in range(ours_epochs + seed_epochs):
        waiting = [name for name in totals if done[name] < totals[name]]
        name = min(waiting, key=lambda name: (done[name] + 0.5) / totals[name])
        done[name] += 1
        order.append(name)
    return order


def train_side_by_side(
    task: Task, arrays: tuple, ours_epochs: int, seed_epochs: int, seed: int
) -> tuple[list[dict], list[dict]]:
    """Ours' and the seed's curves (as ``train_curve`` gives them), trained in alternation.

    A shared machine's speed drifts; it changed by a factor of two within one run here. Run one
    after the other, a slow spell lands on whichever happens to train then. Alternated, each
    one's epochs sample the whole run's span, so a drift weighs on both times alike and their
    ratio stays fair. The order depends on the epoch counts only, never on timings.
    """
    trainers = {
        "ours": _epochs(task, task.ours, arrays, seed),
        "seed": _epochs(task, task.seed, arrays, seed),
    }
    curves = {"ours": [], "seed": []}
    for name in interleaved_order(ours_epochs, seed_epochs):
        row = next(trainers[name])
        curves[name].append(row)
        print(f"  {name} epoch {row['epoch']}: {row}", flush=True)
    return curves["ours"], curves["seed"]


def compare(ours: list[dict], seed: list[dict]) -> dict:
    """The seed's final metric, when ours first reaches it, and the ratio of the two times."""
    target = seed[-1]["metric"]
    reached = next((row for row in ours if row["metric"] >= target), None)
    summary = {
        "seed_final_metric": target,
        "seed_seconds": seed[-1]["train_seconds"],
        "ours_final_metric": ours[-1]["metric"],
        "ours_seconds": ours[-1]["train_seconds"],
        "ours_epoch_reaching_seed": reached and reached["epoch"],
        "ours_seconds_reaching_seed": reached and reached["train_seconds"],
    }
    summary["ratio"] = reached and round(reached["train_seconds"] / seed[-1]["train_seconds"], 3)
    summary["meets_goal"] = bool(reached) and summary["ratio"] <= RATIO_GOAL
    return summary


def book_wall_time(results_dir: Path = ROOT / "results") -> dict:
    """Minutes per recipe and in all, summed from the phase timers of the full-profile records."""
    from aelib import results

    minutes = {}
    for path in sorted(results_dir.glob("*.json")):
        record = results.load_record(path)
        if record["profile"] == "full":
            minutes[record["recipe"]] = round(sum(record["seconds"].values()) / 60, 1)
    return {"minutes": minutes, "total_minutes": round(sum(minutes.values()), 1)}


def run(task_names, seed_epoch_cap: int | None, smoke: bool, seed: int = 42) -> dict:
    """Run each task's two configurations; return the report."""
    from aelib import results

    report = {
        "benchmark": "time_to_quality" + ("_smoke" if smoke else ""),
        "date": time.strftime("%Y-%m-%d"),
        "hardware": results.describe_hardware(),
        "versions": results.describe_versions(),
        "seed_epoch_cap": seed_epoch_cap,
        "ratio_goal": RATIO_GOAL,
        "book_full_profile": book_wall_time(),
        "tasks": {},
    }
    for name in task_names:
        task = TASKS[name]
        arrays = task_arrays(task, smoke)
        seed_epochs = (
            task.seed.epochs if seed_epoch_cap is None else min(task.seed.epochs, seed_epoch_cap)
        )
        ours_epochs = 2 if smoke else task.ours.epochs
        seed_epochs = 2 if smoke else seed_epochs
        if task.ours_stops_at_seed:
            print(f"{name}: seed ({task.seed.description}, run for {seed_epochs})", flush=True)
            seed_curve = train_curve(task, task.seed, arrays, seed_epochs, seed)
            print(f"{name}: ours ({task.ours.description}), until the seed's metric", flush=True)
            stop_at = seed_curve[-1]["metric"]
            ours = train_curve(task, task.ours, arrays, ours_epochs, seed, stop_at)
        else:
            print(
                f"{name}: ours ({task.ours.description}) and the seed ({task.seed.description}, "
                f"run for {seed_epochs}), epochs alternated",
                flush=True,
            )
            ours, seed_curve = train_side_by_side(task, arrays, ours_epochs, seed_epochs, seed)
        report["tasks"][name] = {
            "recipe": task.recipe,
            "metric": task.metric,
            "train_images": len(arrays[0]),
            "ours_config": task.ours.description,
            "seed_config": task.seed.description,
            "seed_source": task.seed_source,
            "seed_epochs_run": seed_epochs,
            "seed_capped": seed_epochs < task.seed.epochs,
            "ours_stopped_at_seed": task.ours_stops_at_seed,
            "alternated": not task.ours_stops_at_seed,
            "ours": ours,
            "seed": seed_curve,
            "summary": compare(ours, seed_curve),
        }
    return report


def markdown(report: dict) -> str:
    """The report as a Markdown table, one row per task."""
    hardware = report["hardware"]
    lines = [
        f"# Time to quality (latest run {report['date']}, {hardware['cpu']}, "
        f"{hardware['cpu_count']} cores"
        f"{', GPU ' + ', '.join(hardware['gpus']) if hardware['gpus'] else ', no GPU'})",
        "",
        "Training time only (fit, not evaluation). Ratio: the time ours needs to reach the "
        f"seed's final metric over the seed's time; goal {report['ratio_goal']} or less. "
        '"Stopped there": for a long task, ours trained only until it reached the seed\'s '
        "final metric. Order: \"alternated\" trains ours' and the seed's epochs in turn, each "
        "one's spread evenly over the run, so that a drift in the machine's speed weighs on "
        "both times alike; older rows ran one configuration after the other.",
        "",
        "| task | metric | seed config (epochs run) | seed final | seed time (s) | ours config "
        "| ours final | ours time (s) | ours reaches seed at | ratio | order | run on |",
        "| --- | --- | --- | ---: | ---: | --- | ---: | ---: | --- | ---: | --- | --- |",
    ]
    for name, task in report["tasks"].items():
        summary = task["summary"]
        run = f"{task['seed_epochs_run']}" + (" (capped)" if task["seed_capped"] else "")
        epoch, seconds = summary["ours_epoch_reaching_seed"], summary["ours_seconds_reaching_seed"]
        reached = f"epoch {epoch}, {seconds:.0f} s" if epoch else "never"
        ratio = f"{summary['ratio']:.3f}" if summary["ratio"] is not None else "-"
        # A task whose ours run stopped at the seed's metric has no later "final" to show.
        stopped = " (stopped there)" if task.get("ours_stopped_at_seed") else ""
        if task.get("alternated"):
            order = "alternated"
        else:
            order = "seed, then ours" if task.get("ours_stopped_at_seed") else "ours, then seed"
        lines.append(
            f"| {name} | {task['metric']} | {task['seed_config']} ({run}) "
            f"| {summary['seed_final_metric']:.2f} | {summary['seed_seconds']:.0f} "
            f"| {task['ours_config']} | {summary['ours_final_metric']:.2f} "
            f"| {summary['ours_seconds']:.0f}{stopped} | {reached} | {ratio} | {order} "
            f"| {task.get('date', report['date'])} |"
        )
    lines += ["", "Recipes without a task (their full-profile time is in the table below):", ""]
    lines += [f"- {recipe}: {reason}" for recipe, reason in recipes_without_task().items()]
    book = report["book_full_profile"]
    lines += [
        "",
        f"The whole book's full profile: {book['total_minutes']:.0f} minutes, summed from the "
        "phase timers of the committed full-profile records (`results/*.json`; some of those "
        "runs shared the CPU with others):",
        "",
        "| recipe | minutes |",
        "| --- | ---: |",
        *(f"| {recipe} | {minutes:.1f} |" for recipe, minutes in book["minutes"].items()),
    ]
    return "\n".join(lines) + "\n"


def write_report(report: dict, directory: Path = RESULTS, markdown=markdown) -> Path:
    """Write ``<benchmark>.json`` and ``.md`` (made by ``markdown``) atomically; return the JSON
    path.

    Tasks that an earlier report of the same name holds and this one did not run are kept, each
    with the date, hardware and versions of its own run, while :data:`TASKS` still has them.
    """
    from aelib import results

    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{report['benchmark']}.json"
    for task in report["tasks"].values():
        task.setdefault("date", report["date"])
        task.setdefault("hardware", report["hardware"])
        task.setdefault("versions", report["versions"])
    if path.exists():
        earlier = json.loads(path.read_text())
        kept = {name: task for name, task in earlier["tasks"].items() if name in TASKS}
        for task in kept.values():
            for key in ("date", "hardware", "versions"):
                task.setdefault(key, earlier[key])
        report = {**report, "tasks": {**kept, **report["tasks"]}}
    results.write_text_atomically(path, json.dumps(report, indent=2) + "\n")
    results.write_text_atomically(path.with_suffix(".md"), markdown(report))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.time_to_quality", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--tasks", nargs="+", choices=sorted(TASKS), default=sorted(TASKS))
    parser.add_argument("--seed-epoch-cap", type=int, default=None, help="cap the seed's epochs")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="256 embedded images, 2 epochs each: checks the plumbing",
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="where to write the report")
    arguments = parser.parse_args(argv)
    if arguments.seed_epoch_cap is not None and arguments.seed_epoch_cap < 1:
        parser.error("--seed-epoch-cap must be at least 1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    report = run(arguments.tasks, arguments.seed_epoch_cap, arguments.smoke)
    path = write_report(report, arguments.results)
    print(markdown(report))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
