"""The time-to-quality benchmark's plumbing: reading a recipe's declared configuration and
definitions, the comparison, the report."""

import dataclasses
import json
import types

import pytest

import benchmarks.__main__ as recipes_benchmark
from benchmarks import time_to_quality


def _curve(metrics, seconds_per_epoch):
    return [
        {"epoch": epoch + 1, "train_seconds": (epoch + 1) * seconds_per_epoch, "metric": metric}
        for epoch, metric in enumerate(metrics)
    ]


def _fake_recipe(tmp_path, source, name="98_fake"):
    (tmp_path / "recipes").mkdir(parents=True, exist_ok=True)
    (tmp_path / "recipes" / f"{name}.py").write_text(source)
    return tmp_path


# A converted recipe in miniature: its parameters cell, then the run that declares them.
GOOD_RECIPE = """
from aelib import runs

PROFILE = "full"
SEED = 7
EPOCHS = 3  # The parameters cell's value...
EPOCHS = 12  # ...the last assignment before the call counts.
BATCH_SIZE = 32
NOISE = -0.5

run = runs.start(
    "fake",
    PROFILE,
    seed=SEED,
    dataset="mnist",
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    noise=NOISE,
    mirror=False,
    label="a string",
)
EPOCHS = run.epochs  # After the call: not the declared value.
"""


def test_declared_config_reads_the_runs_start_keywords_as_literals(tmp_path):
    root = _fake_recipe(tmp_path, GOOD_RECIPE)
    assert time_to_quality.declared_config("98_fake", root) == {
        "seed": 7,
        "dataset": "mnist",
        "epochs": 12,
        "batch_size": 32,
        "noise": -0.5,
        "mirror": False,
        "label": "a string",
    }


def test_declared_config_of_the_recipe_converted_first():
    config = time_to_quality.declared_config("03_denoising")
    assert {"seed", "dataset", "epochs", "batch_size", "learning_rate"} <= set(config)
    assert config["dataset"] == "mnist"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("EPOCHS = 3\n", r"98_fake\.py has no runs\.start\(\.\.\.\) call"),
        (
            "from aelib import runs\nruns.start('a', 'full', seed=1)\n"
            "def again():\n    return runs.start('b', 'full', seed=2)\n",
            r"98_fake\.py has 2 runs\.start\(\.\.\.\) calls \(lines 2, 4\)",
        ),
        (
            "import random\nSEED = random.randint(0, 9)\nruns.start('a', 'full', seed=SEED)\n",
            r"98_fake\.py, line 3: runs\.start's seed=SEED, which line 2 assigns no literal",
        ),
        (
            "runs.start('a', 'full', seed=SEED)\n",
            r"98_fake\.py, line 1: runs\.start's seed=SEED, but no module-level assignment",
        ),
        (
            "SEEDS = (1, 2)\nruns.start('a', 'full', seed=SEEDS[0])\n",
            r"98_fake\.py, line 2: runs\.start's seed=SEEDS\[0\] is neither a literal",
        ),
        (
            "settings = {'seed': 1}\nruns.start('a', 'full', **settings)\n",
            r"98_fake\.py, line 2: runs\.start\(\*\*\.\.\.\) hides its keywords",
        ),
    ],
    ids=["no call", "two calls", "not a literal", "unassigned", "an expression", "double star"],
)
def test_declared_config_names_the_file_and_what_it_cannot_read(tmp_path, source, message):
    root = _fake_recipe(tmp_path, source)
    with pytest.raises(ValueError, match=message):
        time_to_quality.declared_config("98_fake", root)


def test_declared_config_and_definitions_need_the_recipe_source(tmp_path):
    with pytest.raises(ValueError, match="No recipe source"):
        time_to_quality.declared_config("99_missing", tmp_path)
    with pytest.raises(ValueError, match="No recipe source"):
        time_to_quality.recipe_definitions("99_missing", tmp_path)


def test_recipe_definitions_run_imports_definitions_and_constants_only(tmp_path):
    marker = tmp_path / "ran.txt"
    source = f"""
import math
import numpy as np
from pathlib import Path

SIZE = 3
SIZES = (1, SIZE)  # Constants of constants, and numpy of constants, are constants too.
MATRIX = np.array([[2.0, 0.0], [0.0, 4.0]])
INVERSE = np.linalg.inv(MATRIX).astype(np.float32)
Path({str(marker)!r}).write_text("top level")  # A call: never runs.
print("training")  # Nor this,
model = build()  # nor a lower-case assignment,
BROKEN = model.fit(SIZE)  # nor a constant made from something else,
DATA = Path({str(marker)!r}).write_text("constant")  # nor one made by a call outside numpy.
for _ in range(3):
    Path({str(marker)!r}).write_text("loop")


def build():
    return math.sqrt(SIZE * 3)


class Layer:
    units = SIZE


def uses_data():
    return model
"""
    root = _fake_recipe(tmp_path, source)
    definitions = time_to_quality.recipe_definitions("98_fake", root)
    assert not marker.exists()
    assert definitions["build"]() == 3.0 and definitions["Layer"].units == 3
    assert definitions["SIZES"] == (1, 3)
    assert definitions["INVERSE"].tolist() == [[0.5, 0.0], [0.0, 0.25]]
    for name in ("model", "BROKEN", "DATA"):
        assert name not in definitions
    with pytest.raises(ValueError, match=r"98_fake\.py defines no model at module level"):
        definitions["model"]
    # A function may use what only the full run defines; it fails when called, not read.
    with pytest.raises(NameError):
        definitions["uses_data"]()


def test_recipe_definitions_say_which_definition_failed(tmp_path):
    source = "def build(size=SIZE * 2):\n    return size\nSIZE = 2\n"
    definitions = time_to_quality.recipe_definitions("98_fake", _fake_recipe(tmp_path, source))
    assert definitions["SIZE"] == 2
    with pytest.raises(
        ValueError, match=r"98_fake\.py: build cannot be defined .*line 1: NameError"
    ):
        definitions["build"]


def test_ours_takes_its_numbers_from_the_recipes_declared_configuration(tmp_path):
    root = _fake_recipe(tmp_path, GOOD_RECIPE)
    ours = time_to_quality.RecipeConfig(
        "98_fake", time_to_quality.ADAM_COSINE, "mse", learning_rate_if_undeclared=1e-3, root=root
    )
    assert (ours.batch_size, ours.epochs, ours.learning_rate) == (32, 12, 1e-3)
    assert ours.optimizer.learning_rate == 1e-3
    assert ours.description == "Adam 1e-3 with cosine decay, batch 32, 12 epochs"
    # A rate the recipe declares wins over the one the task keeps for recipes without.
    declared = GOOD_RECIPE.replace("    label=", "    learning_rate=2.5e-4,\n    label=")
    root = _fake_recipe(tmp_path / "declared", declared)
    ours = dataclasses.replace(ours, root=root)
    assert ours.learning_rate == ours.optimizer.learning_rate == 2.5e-4
    assert ours.description.startswith("Adam 2.5e-4 with cosine decay")
    # Without a declared rate or one given here, it says what is missing.
    ours = dataclasses.replace(ours, root=tmp_path, learning_rate_if_undeclared=None)
    with pytest.raises(ValueError, match=r"98_fake\.py declares no learning_rate"):
        _ = ours.learning_rate


def test_a_tasks_constant_comes_from_the_declared_configuration_first(tmp_path):
    source = GOOD_RECIPE + "LATENT_DIM = 4\nWIDTHS = (8, 16)\n"
    source = source.replace("    label=", "    latent_dim=16,\n    label=")
    root = _fake_recipe(tmp_path, source)
    assert time_to_quality.recipe_constant("98_fake", "LATENT_DIM", root) == 16
    assert time_to_quality.recipe_constant("98_fake", "WIDTHS", root) == (8, 16)
    with pytest.raises(ValueError, match=r"98_fake\.py defines no DEPTH"):
        time_to_quality.recipe_constant("98_fake", "DEPTH", root)


def test_recipe_definitions_build_the_recipes_own_model():
    build = time_to_quality.recipe_definitions("01_vanilla")["build_dense_autoencoder"]
    autoencoder, encoder, _ = build(32)
    assert encoder.output.shape[1:] == (32,)
    assert autoencoder.count_params() == 784 * 32 + 32 + 32 * 784 + 784


def test_a_task_builds_its_model_with_the_recipes_own_constants():
    # vanilla_dense's code size is recipe 01's declared latent_dim, not a copy.
    latent_dim = time_to_quality.declared_config("01_vanilla")["latent_dim"]
    dense = time_to_quality.TASKS["vanilla_dense"].build(())
    assert dense.get_layer("code").units == latent_dim
    assert dense.count_params() == 784 * latent_dim + latent_dim + latent_dim * 784 + 784
    # denoising_blog trains recipe 03's model, the blog's 7x7x32 bottleneck.
    denoiser = time_to_quality.TASKS["denoising_blog"].build(())
    assert denoiser.output.shape[1:] == (28, 28, 1)
    assert min(layer.output.shape[1] for layer in denoiser.layers[1:]) == 7


def test_every_task_reads_its_recipes_declared_configuration():
    for task in time_to_quality.TASKS.values():
        config = time_to_quality.declared_config(task.recipe)
        assert (task.ours.batch_size, task.ours.epochs) == (config["batch_size"], config["epochs"])
        rate = config.get("learning_rate", task.ours.learning_rate_if_undeclared)
        assert task.ours.optimizer.learning_rate == rate


def test_compare_finds_the_first_epoch_that_reaches_the_seed():
    seed = _curve([10.0, 12.0, 14.0, 15.0], seconds_per_epoch=100)
    ours = _curve([13.0, 15.5, 16.0], seconds_per_epoch=20)
    summary = time_to_quality.compare(ours, seed)
    assert summary["seed_final_metric"] == 15.0
    assert summary["ours_epoch_reaching_seed"] == 2
    assert summary["ratio"] == pytest.approx(40 / 400)
    assert summary["meets_goal"]


def test_compare_says_never_when_ours_falls_short():
    summary = time_to_quality.compare(_curve([10.0, 11.0], 1), _curve([12.0], 10))
    assert summary["ours_epoch_reaching_seed"] is None
    assert summary["ratio"] is None
    assert not summary["meets_goal"]


def test_smoke_run_writes_json_and_markdown(tmp_path):
    assert (
        time_to_quality.main(["--smoke", "--tasks", "vanilla_dense", "--results", str(tmp_path)])
        == 0
    )
    report = json.loads((tmp_path / "time_to_quality_smoke.json").read_text())
    task = report["tasks"]["vanilla_dense"]
    assert [row["epoch"] for row in task["ours"]] == [1, 2]
    assert all(row["examples_per_second"] > 0 for row in task["ours"] + task["seed"])
    # The seed's 50 epochs were cut to the smoke run's 2, and the report says so.
    assert task["seed_capped"]
    table = (tmp_path / "time_to_quality_smoke.md").read_text()
    assert "| vanilla_dense | PSNR (dB) | Adadelta, batch 256, 50 epochs (2 (capped))" in table
    assert "- 09_compression: the seeds' cat-photo article gives no training" in table


def test_tasks_and_reasons_name_real_recipes_and_the_report_lists_the_rest(tmp_path):
    recipes = {notebook.stem for notebook in recipes_benchmark.recipe_notebooks()}
    with_task = {task.recipe for task in time_to_quality.TASKS.values()}
    assert with_task <= recipes and set(time_to_quality.WITHOUT_TASK) <= recipes
    assert not with_task & set(time_to_quality.WITHOUT_TASK)
    assert set(time_to_quality.recipes_without_task()) == recipes - with_task
    # A new recipe needs no entry here: it is listed, without a reason.
    (tmp_path / "recipes").mkdir()
    for name in ("01_vanilla", "08_pretext", "12_new"):
        (tmp_path / "recipes" / f"{name}.py").write_text("")
    listed = time_to_quality.recipes_without_task(tmp_path)
    assert listed == {
        "08_pretext": time_to_quality.WITHOUT_TASK["08_pretext"],
        "12_new": "no task (no seed configuration to compare with yet).",
    }


def test_book_wall_time_sums_the_full_profile_records_only(tmp_path):
    from aelib import results

    results.save_record(
        "vanilla", "full", "dir", {"psnr": 1.0}, {"train": 600, "data": 30}, tmp_path
    )
    results.save_record("vae", "full", "dir", {"psnr": 1.0}, {"train": 120}, tmp_path)
    results.save_record("sparse", "smoke", "embedded", {"psnr": 1.0}, {"train": 9}, tmp_path)
    book = time_to_quality.book_wall_time(tmp_path)
    assert book == {"minutes": {"vae": 2.0, "vanilla": 10.5}, "total_minutes": 12.5}


def _report(date, **curves):
    tasks = {
        name: {
            "metric": "PSNR (dB)",
            "seed_config": "seed",
            "ours_config": "ours",
            "seed_epochs_run": 1,
            "seed_capped": False,
            "summary": time_to_quality.compare(ours, seed),
        }
        for name, (ours, seed) in curves.items()
    }
    return {
        "benchmark": "time_to_quality",
        "date": date,
        "hardware": {"cpu": "CPU", "cpu_count": 2, "gpus": []},
        "versions": {},
        "ratio_goal": 0.2,
        "book_full_profile": {"minutes": {}, "total_minutes": 0},
        "tasks": tasks,
    }


def test_a_later_report_keeps_the_tasks_it_did_not_run(tmp_path, monkeypatch):
    task = types.SimpleNamespace(recipe="01_vanilla")  # Only the names matter here.
    monkeypatch.setattr(time_to_quality, "TASKS", {"dense": task, "conv": task})
    fast, slow = _curve([20.0], 1), _curve([19.0], 10)
    time_to_quality.write_report(_report("2026-01-01", dense=(fast, slow)), tmp_path)
    time_to_quality.write_report(_report("2026-01-02", conv=(fast, slow)), tmp_path)
    tasks = json.loads((tmp_path / "time_to_quality.json").read_text())["tasks"]
    assert sorted(tasks) == ["conv", "dense"]
    assert (tasks["dense"]["date"], tasks["conv"]["date"]) == ("2026-01-01", "2026-01-02")
    # Running a task again replaces its earlier result.
    time_to_quality.write_report(_report("2026-01-03", dense=(slow, fast)), tmp_path)
    tasks = json.loads((tmp_path / "time_to_quality.json").read_text())["tasks"]
    assert tasks["dense"]["date"] == "2026-01-03"
    assert tasks["dense"]["summary"]["ours_epoch_reaching_seed"] is None
    rows = {
        line.split(" | ")[0]: line
        for line in (tmp_path / "time_to_quality.md").read_text().splitlines()
        if line.startswith("| conv |") or line.startswith("| dense |")
    }
    # Each row names the date of its own run, not the latest report's.
    assert rows["| conv"].endswith("| 2026-01-02 |")
    assert rows["| dense"].endswith("| 2026-01-03 |")
    # A task that no longer exists (its recipe changed) leaves the report with the next run.
    monkeypatch.setattr(time_to_quality, "TASKS", {"dense": task})
    time_to_quality.write_report(_report("2026-01-04", dense=(fast, slow)), tmp_path)
    tasks = json.loads((tmp_path / "time_to_quality.json").read_text())["tasks"]
    assert sorted(tasks) == ["dense"]
    assert "| conv |" not in (tmp_path / "time_to_quality.md").read_text()


def test_vae_task_trains_the_recipes_dense_vae_and_scores_its_elbo():
    import numpy as np

    task = time_to_quality.TASKS["vae_dense"]
    vae = task.build(())
    # Recipe 06's (512, 256) encoder and mirrored decoder around a 2-d code.
    assert vae.get_layer("z_mean").output.shape[1:] == (2,)
    assert vae.count_params() == (
        (784 * 512 + 512)
        + (512 * 256 + 256)
        + 2 * (256 * 2 + 2)
        + (2 * 256 + 256)
        + (256 * 512 + 512)
        + (512 * 784 + 784)
    )
    vae.compile(optimizer="adam", loss=task.ours.loss())
    images = np.random.default_rng(0).uniform(size=(16, 28, 28, 1)).astype("float32")
    elbo = task.score(vae, images, images)
    # An untrained VAE's ELBO is the cross-entropy of guessing 0.5 per pixel, about 784 ln 2
    # nats, plus a small KL term, and negative.
    assert -800 < elbo < -400


def test_sparse_task_starts_the_recipes_model_at_the_mean_images_log_odds():
    import numpy as np

    images = np.random.default_rng(0).uniform(0.1, 0.9, size=(64, 28, 28, 1)).astype("float32")
    autoencoder = time_to_quality.TASKS["sparse_l1"].build((images, images))
    bias = autoencoder.get_layer("pixels").bias.numpy()
    mean = images.mean(axis=0).reshape(-1)
    np.testing.assert_allclose(bias, np.log(mean / (1 - mean)), rtol=1e-5)
    # The L1 penalty is in the model: it adds a loss whenever codes are nonzero.
    autoencoder(images)
    assert len(autoencoder.losses) == 1 and float(autoencoder.losses[0]) > 0


def test_a_long_task_trains_the_seed_first_and_stops_ours_at_its_metric(monkeypatch):
    import dataclasses

    calls = []

    def fake_curve(task, config, arrays, epochs, seed, stop_at=None):
        calls.append((config is task.seed, stop_at))
        rows = _curve([10.0, 12.0] if config is task.seed else [11.0, 12.5, 13.0], 10)
        reached = [row["epoch"] for row in rows if stop_at is not None and row["metric"] >= stop_at]
        return rows[: reached[0]] if reached else rows

    task = time_to_quality.TASKS["super_resolution_srcnn"]
    assert task.ours_stops_at_seed
    no_data = dataclasses.replace(task, data=lambda source: ([0.0] * 3,) * 4)
    monkeypatch.setitem(time_to_quality.TASKS, "super_resolution_srcnn", no_data)
    monkeypatch.setattr(time_to_quality, "train_curve", fake_curve)
    report = time_to_quality.run(["super_resolution_srcnn"], seed_epoch_cap=2, smoke=False)
    # The seed ran first and unbounded; ours then stopped at the seed's final 12.0.
    assert calls == [(True, None), (False, 12.0)]
    result = report["tasks"]["super_resolution_srcnn"]
    assert result["ours_stopped_at_seed"] and len(result["ours"]) == 2
    assert result["summary"]["ours_epoch_reaching_seed"] == 2
    assert "(stopped there)" in time_to_quality.markdown(report)


def test_colorization_task_scores_rgb_made_from_luma_and_predicted_chroma():
    import keras
    import numpy as np

    from aelib import metrics

    task = time_to_quality.TASKS["colorization_unet"]
    assert task.seed.train_size == 18_000 and task.ours_stops_at_seed
    unet = task.build(())
    assert unet.output.shape[1:] == (32, 32, 2)
    # A model that predicts no colour at all turns the luma into a gray photo.
    no_colour = keras.Sequential(
        [keras.Input((32, 32, 1)), keras.layers.Conv2D(2, 1, kernel_initializer="zeros")]
    )
    photos = np.random.default_rng(0).uniform(size=(8, 32, 32, 3)).astype("float32")
    luma = photos @ np.array([0.299, 0.587, 0.114], dtype="float32")[:, None]
    gray = np.repeat(luma, 3, axis=-1)
    score = task.score(no_colour, luma, photos)
    assert score == pytest.approx(metrics.pooled_psnr(photos, gray), abs=1e-4)


def test_interleaved_order_spreads_each_configurations_epochs_over_the_run():
    order = time_to_quality.interleaved_order(4, 30)
    assert (order.count("ours"), order.count("seed")) == (4, 30)
    # One of ours' four epochs in each quarter of the run, none bunched at either end.
    positions = [index for index, name in enumerate(order) if name == "ours"]
    assert [position * 4 // len(order) for position in positions] == [0, 1, 2, 3]
    assert order[0] == order[-1] == "seed"
    assert time_to_quality.interleaved_order(1, 1) == ["ours", "seed"]
    with pytest.raises(ValueError, match="an epoch at least"):
        time_to_quality.interleaved_order(0, 5)


def test_a_task_trains_ours_and_the_seed_in_alternation(monkeypatch):
    import dataclasses

    trained = []

    def fake_epochs(task, config, arrays, seed):
        name = "seed" if config is task.seed else "ours"
        speed = 10 if name == "seed" else 2
        for epoch in range(1, 100):
            trained.append(name)
            yield {"epoch": epoch, "train_seconds": epoch * speed, "metric": 10.0 + epoch}

    task = time_to_quality.TASKS["vanilla_dense"]
    no_data = dataclasses.replace(task, data=lambda source: ([0.0] * 3,) * 4)
    monkeypatch.setitem(time_to_quality.TASKS, "vanilla_dense", no_data)
    monkeypatch.setattr(time_to_quality, "_epochs", fake_epochs)
    report = time_to_quality.run(["vanilla_dense"], seed_epoch_cap=6, smoke=False)
    assert trained == time_to_quality.interleaved_order(task.ours.epochs, 6)
    result = report["tasks"]["vanilla_dense"]
    assert result["alternated"] and not result["ours_stopped_at_seed"]
    assert [row["epoch"] for row in result["seed"]] == [1, 2, 3, 4, 5, 6]
    assert len(result["ours"]) == task.ours.epochs
    # The seed ends at 16.0 in 60 s; ours first reaches it at its epoch 6, 12 s.
    assert result["summary"]["ratio"] == pytest.approx(12 / 60)
    assert "| 0.200 | alternated | " in time_to_quality.markdown(report)


def test_dimensionality_reduction_task_trains_the_recipes_32_number_autoencoder():
    task = time_to_quality.TASKS["dimensionality_reduction_deep"]
    autoencoder = task.build(())
    # The recipe's encoder and decoder are sub-models of the autoencoder: its code has 32 numbers.
    assert autoencoder.get_layer("deep_encoder_32").output.shape[-1] == 32


def test_psnr_metric_scores_clipped_predictions_as_the_recipes_show_them():
    import numpy as np

    class Overshooting:
        """A stand-in model whose linear output overshoots [0, 1] by a whole unit."""

        def predict(self, inputs, batch_size, verbose):
            return inputs * 3.0 - 1.0

    targets = np.full((4, 8, 8, 1), 0.5, dtype=np.float32)
    inputs = np.zeros_like(targets)
    inputs[:2] = 1.0  # Predicts 2.0 (clipped to 1.0) and -1.0 (clipped to 0.0): MSE 0.25.
    psnr = time_to_quality._psnr_metric(Overshooting(), inputs, targets)
    assert psnr == pytest.approx(10 * np.log10(1 / 0.25))
