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

Everything about ours comes from the recipe's source, ``recipes/<recipe>.py``, read without
running it. Its numbers come from the configuration the recipe declares, the keywords of its one
``runs.start(...)`` call (:func:`declared_config`: batch size, epochs, learning rate where it
declares one, and any model constant it records there). Its model comes from the recipe's own
definitions (:func:`recipe_definitions`: the module-level imports, functions, classes and
UPPER_CASE constants, nothing that trains, loads data or draws), so the benchmark trains exactly
the recipe's model without a second copy of it. What stays here is code, not numbers: the kind of
optimizer (Adam, with or without cosine decay), the loss, the metric, and the seed's own
configuration.

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
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
RATIO_GOAL = 0.2

# How a recipe declares its configuration: ``runs.start(...)`` (or ``aelib.runs.start(...)``).
RUN_START = ("runs.start", "aelib.runs.start")
# The recipe's constants: module-level names in upper case (LATENT_DIM, UNET_WIDTHS).
CONSTANT_NAME = re.compile(r"[A-Z][A-Z0-9_]*")


def _recipe_source(recipe: str, root: Path) -> tuple[Path, ast.Module]:
    """``recipes/<recipe>.py`` under ``root`` and its syntax tree."""
    path = Path(root) / "recipes" / f"{recipe}.py"
    if not path.is_file():
        raise ValueError(f"No recipe source {path}.")
    return path, ast.parse(path.read_text(), filename=str(path))


def _dotted_name(node: ast.expr) -> str | None:
    """``a.b.c`` for a chain of attributes on a name; None for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted_name(node.value)
        return base and f"{base}.{node.attr}"
    return None


def _assigned_names(statement: ast.stmt) -> list[str]:
    """The names a module-level ``NAME = ...`` (or ``A = B = ...``, ``NAME: T = ...``) binds;
    empty for any other statement, or when one of its targets is not a plain name."""
    if isinstance(statement, ast.Assign):
        targets = statement.targets
    elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
        targets = [statement.target]
    else:
        return []
    if not all(isinstance(target, ast.Name) for target in targets):
        return []
    return [target.id for target in targets]


def _literal(node: ast.expr):
    """``ast.literal_eval(node)``, raising ValueError alone for anything that is not a literal."""
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError) as error:
        raise ValueError(str(error)) from None


@functools.cache  # Read once per process; the tasks ask for it on every use.
def _declared_config(recipe: str, root: Path) -> tuple[tuple[str, object], ...]:
    path, tree = _recipe_source(recipe, root)
    calls = [
        (index, node)
        for index, statement in enumerate(tree.body)
        for node in ast.walk(statement)
        if isinstance(node, ast.Call) and _dotted_name(node.func) in RUN_START
    ]
    if not calls:
        raise ValueError(
            f"{path.name} has no runs.start(...) call: a recipe declares its configuration in one."
        )
    if len(calls) > 1:
        lines = ", ".join(str(call.lineno) for _, call in calls)
        raise ValueError(
            f"{path.name} has {len(calls)} runs.start(...) calls (lines {lines}): a recipe "
            "declares its configuration in one."
        )
    index, call = calls[0]
    config = {}
    for keyword in call.keywords:
        if keyword.arg is None:
            raise ValueError(
                f"{path.name}, line {call.lineno}: runs.start(**...) hides its keywords; name "
                "each setting."
            )
        config[keyword.arg] = _resolve(keyword, tree.body[:index], path)
    return tuple(config.items())


def _resolve(keyword: ast.keyword, before: list[ast.stmt], path: Path):
    """A keyword's value: a literal, or a name's literal in its last module-level assignment
    before the call (the parameters cell)."""
    value = keyword.value
    where = f"{path.name}, line {value.lineno}: runs.start's {keyword.arg}="
    if isinstance(value, ast.Name):
        assignments = [s for s in before if value.id in _assigned_names(s)]
        if not assignments:
            raise ValueError(
                f"{where}{value.id}, but no module-level assignment to it precedes the call."
            )
        value, line = assignments[-1].value, assignments[-1].lineno
        try:
            return _literal(value)
        except ValueError:
            raise ValueError(
                f"{where}{keyword.value.id}, which line {line} assigns no literal "
                f"({ast.unparse(value)}); declare settings as literals in the parameters cell."
            ) from None
    try:
        return _literal(value)
    except ValueError:
        raise ValueError(
            f"{where}{ast.unparse(value)} is neither a literal nor the name of one."
        ) from None


def declared_config(recipe: str, root: Path = ROOT) -> dict:
    """The configuration ``recipes/<recipe>.py`` declares: its ``runs.start(...)`` keywords.

    The recipe's one ``runs.start`` call names its settings (``seed=SEED``, ``dataset="mnist"``,
    ``epochs=EPOCHS``, ``batch_size=BATCH_SIZE``, ...). Each keyword's value is resolved
    without running the recipe: a literal as it stands, a name to the literal that the last
    module-level assignment before the call gives it (the parameters cell). These are the
    values the run records in its ``config`` (with the full profile's sizes). ValueError, naming
    the file, when the recipe has no such call or more than one, or a keyword resolves to no
    literal.
    """
    return dict(_declared_config(recipe, Path(root)))


# What a constant's expression may not hold: functions, bindings, comprehensions, generators.
NOT_CONSTANT = (
    ast.Lambda,
    ast.NamedExpr,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
    ast.Await,
    ast.Yield,
    ast.YieldFrom,
)


def _constant_expression(node: ast.expr, constants: set[str], numpy_names: set[str]) -> bool:
    """Whether ``node`` is a literal, or an expression of literals, of constants already kept
    and of numpy (``np.array([...])``, ``np.linalg.inv(RGB_TO_YUV)``, ``(2, LATENT_DIM)``)."""
    try:
        _literal(node)
        return True
    except ValueError:
        pass
    for child in ast.walk(node):
        if isinstance(child, NOT_CONSTANT):
            return False
        if isinstance(child, ast.Name) and child.id not in constants | numpy_names:
            return False
    return True


class RecipeDefinitions(dict):
    """A recipe's definitions by name; a name it lacks is a ValueError naming the file."""

    def __init__(self, path: Path, namespace: dict, failed: dict[str, str]):
        super().__init__(namespace)
        self.path = path
        self.failed = failed

    def __missing__(self, name: str):
        if name in self.failed:
            raise ValueError(
                f"{self.path.name}: {name} cannot be defined without running the recipe "
                f"({self.failed[name]})."
            )
        raise ValueError(
            f"{self.path.name} defines no {name} at module level (a function, class, import or "
            "UPPER_CASE constant of literals)."
        )


@functools.cache  # Builders, scores and losses ask again every run and epoch; execute once.
def recipe_definitions(recipe: str, root: Path = ROOT) -> RecipeDefinitions:
    """Execute ``recipes/<recipe>.py``'s definitions, not its work; return its namespace.

    Only these module-level statements run, in the recipe's order: imports, function and class
    definitions, and assignments of an UPPER_CASE name to a literal (``EPOCHS = 30``,
    ``UNET_WIDTHS = (32, 64, 128, 256)``) or to an expression of such constants and numpy
    (``YUV_TO_RGB = np.linalg.inv(RGB_TO_YUV)``). Nothing else does: no call at the top level,
    no lower-case assignment, so nothing trains, loads data or draws. Looking up a name the
    result lacks is a ValueError naming the file and the name; so is one whose statement failed
    (a definition whose default needs a value only running the recipe makes).
    """
    path, tree = _recipe_source(recipe, root)
    namespace: dict = {"__name__": f"recipe_{recipe}"}
    constants: set[str] = set()
    numpy_names: set[str] = set()
    failed: dict[str, str] = {}
    for statement in tree.body:
        if isinstance(statement, ast.Import | ast.ImportFrom):
            names = [(alias.asname or alias.name).split(".")[0] for alias in statement.names]
            if isinstance(statement, ast.Import):
                numpy_names |= {
                    alias.asname or alias.name for alias in statement.names if alias.name == "numpy"
                }
        elif isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names = [statement.name]
        else:
            names = _assigned_names(statement)
            if not (
                names
                and all(CONSTANT_NAME.fullmatch(name) for name in names)
                and _constant_expression(statement.value, constants, numpy_names)
            ):
                continue
            constants.update(names)
        module = ast.Module(body=[statement], type_ignores=[])
        try:
            exec(compile(module, str(path), "exec"), namespace)
        except Exception as error:  # Kept, and said when the name is asked for.
            for name in names:
                failed[name] = f"line {statement.lineno}: {type(error).__name__}: {error}"
                namespace.pop(name, None)
            constants.difference_update(names)
    return RecipeDefinitions(path, namespace, failed)


def recipe_constant(recipe: str, name: str, root: Path = ROOT):
    """A constant a recipe's builder needs (``LATENT_DIM``): the recipe's declared setting of that
    name in lower case (``latent_dim``) when its configuration has one, else its UPPER_CASE
    constant."""
    config = declared_config(recipe, root)
    key = name.lower()
    return config[key] if key in config else recipe_definitions(recipe, root)[name]


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
class OptimizerKind:
    """How a recipe trains, less its numbers: ``make(learning_rate)`` gives the ``Config``'s
    optimizer (a function of the total step count); ``label`` names it ("Adam {rate}")."""

    label: str
    make: Callable[[float], Callable[[int], object]]


@dataclasses.dataclass(frozen=True)
class RecipeConfig:
    """Ours: a ``Config`` whose numbers are the recipe's declared configuration.

    Batch size, epochs and learning rate are read from ``declared_config(recipe)`` when asked
    for, never typed here; the optimizer's kind and the loss are code, so the task gives them.
    ``learning_rate`` is used only where the recipe declares none (its code then types the rate
    itself; the task says where). Read lazily, so that importing this module reads no recipe.
    """

    recipe: str
    kind: OptimizerKind
    loss: str | Callable[[], object]
    learning_rate_if_undeclared: float | None = None
    note: str = ""  # Appended to the description: " (no mirroring)".
    train_size: int | None = None
    root: Path = ROOT

    def _setting(self, key: str):
        config = declared_config(self.recipe, self.root)
        if key not in config:
            raise ValueError(
                f"{self.recipe}.py declares no {key} in its runs.start(...) call; the benchmark "
                "trains ours with the recipe's own."
            )
        return config[key]

    @property
    def batch_size(self) -> int:
        return self._setting("batch_size")

    @property
    def epochs(self) -> int:
        return self._setting("epochs")

    @property
    def learning_rate(self) -> float:
        if "learning_rate" in declared_config(self.recipe, self.root):
            return self._setting("learning_rate")
        if self.learning_rate_if_undeclared is None:
            return self._setting("learning_rate")  # The ValueError that says it is missing.
        return self.learning_rate_if_undeclared

    @property
    def optimizer(self) -> Callable[[int], object]:
        return self.kind.make(self.learning_rate)

    @property
    def description(self) -> str:
        rate = self.kind.label.format(rate=_rate_text(self.learning_rate))
        return f"{rate}, batch {self.batch_size}, {self.epochs} epochs{self.note}"


def _rate_text(rate: float) -> str:
    """A learning rate as the reports write it: 1e-3, 2.5e-4; 0.1 and up as they are."""
    if rate >= 0.1:
        return f"{rate:g}"
    mantissa, exponent = f"{rate:.3e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"


@dataclasses.dataclass(frozen=True)
class Task:
    """A recipe's model, its data, its test metric, and the two configurations to compare."""

    name: str
    recipe: str
    build: Callable[[tuple], object]  # (the task's data arrays) -> a fresh model
    data: Callable[[str], tuple]  # source -> (inputs, targets, test_inputs, test_targets)
    metric: str
    ours: RecipeConfig | Config
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
    """Recipe 03's pairs: its noise (declared factor and mean, seeded as the recipe seeds it)."""
    add_noise = recipe_definitions("03_denoising")["add_noise"]
    config = declared_config("03_denoising")
    noise = (config["noise_factor"], config["noise_mean"])
    x_train, _, x_test, _ = _mnist_reconstruction(source)
    noisy_train = add_noise(x_train, *noise, seed=config["seed"])
    return noisy_train, x_train, add_noise(x_test, *noise, seed=config["seed"] + 1), x_test


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

    rgb_to_yuv = recipe_definitions("04_colorization")["rgb_to_yuv"]
    dataset = data.load_cifar10(source=source, verbose=False)
    yuv_train = rgb_to_yuv(_recipe_training_images(dataset.x_train))
    gray_test = rgb_to_yuv(dataset.x_test)[..., :1]
    return yuv_train[..., :1], yuv_train[..., 1:], gray_test, dataset.x_test


def _colorization_metric(model, test_inputs, test_targets) -> float:
    # The recipe's headline: pooled PSNR of the RGB photo made from the luma and the predicted
    # chroma.
    from aelib import metrics

    colorize = recipe_definitions("04_colorization")["colorize"]
    return metrics.pooled_psnr(test_targets, colorize(model, test_inputs))


def _sgd_srcnn(total_steps: int):
    import keras

    # SRCNN's paper: plain SGD with momentum 0.9 and a learning rate of 1e-4 (1e-5 in its last
    # layer, which one Keras optimizer cannot express; here 1e-4 everywhere).
    return keras.optimizers.SGD(learning_rate=1e-4, momentum=0.9)


def _adam(rate: float) -> Callable[[int], object]:
    def make(total_steps: int):
        import keras

        return keras.optimizers.Adam(rate)

    make.learning_rate = rate  # For the tests, which check the rate that reaches Keras.
    return make


def _adam_cosine(rate: float) -> Callable[[int], object]:
    def make(total_steps: int):
        import keras

        return keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(rate, total_steps))

    make.learning_rate = rate
    return make


ADAM = OptimizerKind("Adam {rate}", _adam)
ADAM_COSINE = OptimizerKind("Adam {rate} with cosine decay", _adam_cosine)


def _adadelta_keras2(total_steps: int):
    import keras

    # `optimizer="adadelta"` in the Keras 1-2 era of the blog meant a learning rate of 1.0;
    # Keras 3's default (0.001) would barely move the weights in 50 epochs.
    return keras.optimizers.Adadelta(learning_rate=1.0, rho=0.95, epsilon=1e-7)


def _build_dense_vae(arrays: tuple):
    """Recipe 06's dense VAE (its HIDDEN_UNITS around its LATENT_DIM-number code), as the recipe
    builds it."""
    recipe = recipe_definitions("06_vae")
    hidden_units = recipe_constant("06_vae", "HIDDEN_UNITS")
    latent_dim = recipe_constant("06_vae", "LATENT_DIM")
    vae, _, _ = recipe["build_vae"](
        recipe["dense_body"](hidden_units),
        recipe["dense_decoder"](hidden_units, latent_dim),
        latent_dim,
        "dense_vae",
    )
    return vae


def _build_l1_sparse(arrays: tuple):
    """Recipe 05's ReLU autoencoder with the blog's L1 activity penalty (the recipe's weight)."""
    import numpy as np

    recipe = recipe_definitions("05_sparse")
    # The recipe starts the output layer at the log-odds of the mean training pixel.
    mean_pixels = np.clip(arrays[1].mean(axis=0).reshape(-1), 1e-3, 1 - 1e-3)
    output_bias = np.log(mean_pixels / (1 - mean_pixels))
    penalty = recipe["L1Penalty"](recipe_constant("05_sparse", "L1_WEIGHT"), name="penalty")
    autoencoder, _ = recipe["build_autoencoder"]("relu_l1", output_bias, penalty=penalty)
    return autoencoder


def _build_deep_autoencoder_32(arrays: tuple):
    """Recipe 02's deep autoencoder with its largest code, 32 numbers (the seed's size)."""
    # The recipe itself now stops at 4 numbers; the seed's model codes 32. The builder returns
    # (autoencoder, encoder, decoder).
    builder = recipe_definitions("02_dimensionality_reduction")["build_deep_autoencoder"]
    return builder(32)[0]


def _vae_loss():
    return recipe_definitions("06_vae")["summed_binary_crossentropy"]


def _rmsprop_keras2(total_steps: int):
    import keras

    # `optimizer="rmsprop"` in the blog's Keras meant a learning rate of 1e-3, rho 0.9.
    return keras.optimizers.RMSprop(learning_rate=1e-3, rho=0.9, epsilon=1e-7)


def _build(recipe: str, builder: str, *constant_names: str):
    """A task's builder: the recipe's ``builder`` called with the recipe's own named constants
    (each from its declared configuration, else its UPPER_CASE constant)."""

    def build(arrays: tuple):
        make = recipe_definitions(recipe)[builder]
        model = make(*(recipe_constant(recipe, name) for name in constant_names))
        return model[0] if isinstance(model, tuple) else model

    return build


BLOG = "Chollet, Building Autoencoders in Keras (the Keras blog, 2016)"
BLOG_ADADELTA_100 = Config(
    _adadelta_keras2, "binary_crossentropy", 256, 100, "Adadelta, batch 256, 100 epochs"
)
# Recipes 01, 04, 05, 06 and 07 declare no learning_rate: each compiles Adam(1e-3), or a cosine
# decay from 1e-3, with the rate typed in its training code. Until a recipe declares it, the
# 1e-3 given to its task below is that typed rate.
TYPED_IN_RECIPE = 1e-3
TASKS = {
    "vanilla_dense": Task(
        "vanilla_dense",
        "01_vanilla",
        _build("01_vanilla", "build_dense_autoencoder", "LATENT_DIM"),
        _mnist_reconstruction,
        "PSNR (dB)",
        RecipeConfig("01_vanilla", ADAM, "binary_crossentropy", TYPED_IN_RECIPE),
        Config(_adadelta_keras2, "binary_crossentropy", 256, 50, "Adadelta, batch 256, 50 epochs"),
        BLOG,
    ),
    "dimensionality_reduction_deep": Task(
        "dimensionality_reduction_deep",
        "02_dimensionality_reduction",
        _build_deep_autoencoder_32,
        _mnist_reconstruction,
        "PSNR (dB)",
        RecipeConfig("02_dimensionality_reduction", ADAM_COSINE, "binary_crossentropy"),
        BLOG_ADADELTA_100,
        BLOG,
    ),
    "denoising_blog": Task(
        "denoising_blog",
        "03_denoising",
        _build("03_denoising", "build_denoiser"),
        _mnist_denoising,
        "PSNR (dB)",
        RecipeConfig("03_denoising", ADAM_COSINE, "binary_crossentropy"),
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
        RecipeConfig(
            "04_colorization",
            ADAM_COSINE,
            "mean_squared_error",
            TYPED_IN_RECIPE,
            note=" (no mirroring)",
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
        RecipeConfig("05_sparse", ADAM, "binary_crossentropy", TYPED_IN_RECIPE),
        BLOG_ADADELTA_100,
        BLOG,
    ),
    "vae_dense": Task(
        "vae_dense",
        "06_vae",
        _build_dense_vae,
        _mnist_reconstruction,
        "ELBO (nats)",
        RecipeConfig("06_vae", ADAM, _vae_loss, TYPED_IN_RECIPE),
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
        RecipeConfig("07_super_resolution", ADAM_COSINE, "mean_squared_error", TYPED_IN_RECIPE),
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
