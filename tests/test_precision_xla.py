"""The accelerator benchmarks' plumbing: settings, the report, the recipe runner's options."""

import dataclasses
import json

import pytest

import benchmarks.__main__ as recipes_benchmark
from benchmarks import precision_xla


def test_smoke_run_measures_each_setting_and_restores_the_policy(tmp_path):
    import keras

    settings = ["float32, XLA", "mixed float16, XLA", "float32, no XLA"]
    arguments = ["--smoke", "--tasks", "vanilla_dense", "--results", str(tmp_path)]
    assert precision_xla.main([*arguments, "--settings", *settings, "--uncompiled-steps", "1"]) == 0
    # A mixed setting must not leak its policy into whatever the process builds next.
    assert keras.config.dtype_policy().name == "float32"
    report = json.loads((tmp_path / "precision_xla_smoke.json").read_text())
    rows = {row["setting"]: row for row in report["tasks"]["vanilla_dense"]["settings"]}
    assert list(rows) == settings
    assert all(row["examples_per_second"] > 0 for row in rows.values())
    # Quality is compared after the same updates: only the compiled settings train a full pass.
    assert rows["float32, XLA"]["timed_examples"] == 256
    assert rows["float32, no XLA"]["timed_examples"] == 128
    assert rows["float32, no XLA"]["metric"] is None
    assert 0 < rows["mixed float16, XLA"]["metric"] < 60
    table = (tmp_path / "precision_xla_smoke.md").read_text()
    # The settings this run skipped show as a dash, not as a number.
    assert "| vanilla_dense | PSNR (dB) |" in table and "| - |" in table


def test_a_mixed_model_computes_in_half_precision(tmp_path):
    import keras

    task = precision_xla.time_to_quality.TASKS["vanilla_dense"]
    setting = precision_xla.Setting("mixed float16, XLA", "mixed_float16", True)
    arrays = tuple(array[:128] for array in task.data("embedded"))
    captured = {}
    original_build = task.build

    def build(arrays):
        model = original_build(arrays)
        captured["dtypes"] = {layer.compute_dtype for layer in model.layers if layer.weights}
        return model

    patched = dataclasses.replace(task, build=build)
    precision_xla.measure(patched, setting, arrays, seed=0, warm_up_steps=1)
    assert captured["dtypes"] == {"float16"}
    assert keras.config.dtype_policy().name == "float32"


def test_recipe_runner_rejects_what_it_cannot_do(capsys):
    with pytest.raises(SystemExit):
        recipes_benchmark.main(["full", "--dtype-policy", "mixed_float16"])
    assert "--dtype-policy needs --runner python" in capsys.readouterr().err
    with pytest.raises(ValueError, match="No recipes named 99_nothing"):
        recipes_benchmark.time_recipes("smoke", 1, "python", ["99_nothing"])
    with pytest.raises(ValueError, match="needs --runner python"):
        recipes_benchmark.time_recipes("smoke", 1, "papermill", None, "mixed_float16")


def test_python_runner_hands_the_dtype_policy_to_the_recipe(tmp_path):
    recipe = tmp_path / "00_probe.py"
    recipe.write_text(
        "import os, keras\n"
        "open('policy.txt', 'w').write(keras.config.dtype_policy().name + ' '"
        " + os.environ['AELIB_PROFILE'] + ' ' + __name__)\n"
    )
    recipes_benchmark.run_script(recipe, "smoke", "mixed_bfloat16")
    assert (tmp_path / "policy.txt").read_text() == "mixed_bfloat16 smoke __main__"
    recipe.write_text("raise SystemExit('the probe failed on purpose')\n")
    with pytest.raises(RuntimeError, match=r"00_probe\.py failed"):
        recipes_benchmark.run_script(recipe, "smoke", "float32")


def test_labelled_reports_keep_recipes_from_earlier_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(recipes_benchmark, "RESULTS", tmp_path)

    def report(recipe, seconds, gpus):
        return {
            "benchmark": "recipes_full",
            "date": "2026-11-22",
            "runner": "python",
            "dtype_policy": "float32",
            "hardware": {"cpu": "CPU", "cpu_count": 16, "gpus": []},
            "recipes": {
                recipe: {
                    "wall_seconds": [seconds],
                    "phase_seconds": {"train": seconds - 1},
                    "hardware": {"gpus": gpus},
                    "versions": {"keras_backend": "jax"},
                }
            },
        }

    recipes_benchmark.write_report(report("05_sparse", 171.0, ["H100"]), "gpu")
    path = recipes_benchmark.write_report(report("01_vanilla", 107.0, ["H100"]), "gpu")
    assert path.name == "recipes_full_gpu.json"
    assert sorted(json.loads(path.read_text())["recipes"]) == ["01_vanilla", "05_sparse"]
    table = path.with_suffix(".md").read_text()
    assert "GPU H100" in table and "Sum over 2 recipes (fastest run each): 278.0 s" in table


def test_cpu_column_only_quotes_a_rate_measured_with_the_same_configuration(tmp_path):
    cpu_task = {
        "ours_config": "Adam 1e-3, batch 32, 6 epochs",
        "ours": [{"examples_per_second": 2000.0}, {"examples_per_second": 3000.0}],
        "hardware": {"cpu": "CPU", "cpu_count": 2},
    }
    (tmp_path / "time_to_quality.json").write_text(
        json.dumps({"tasks": {"vanilla_conv": cpu_task}})
    )
    row = {"setting": "float32, XLA", "examples_per_second": 50000.0, "metric": 20.0}
    report = {
        "date": "2026-11-23",
        "hardware": {"cpu": "CPU", "gpus": ["GPU"]},
        "versions": {"keras": "3"},
        "keras_backend": "jax",
        "warm_up_steps": 10,
        "tasks": {
            "vanilla_conv": {
                "metric": "PSNR (dB)",
                "ours_config": "Adam 1e-3, batch 32, 6 epochs",
                "settings": [{**row, "first_call_seconds": 1.0}],
            }
        },
    }
    report["cpu_reference"] = precision_xla.cpu_reference(tmp_path)
    assert precision_xla.markdown(report).splitlines()[6].endswith("| 2,500/s |")
    report["tasks"]["vanilla_conv"]["ours_config"] = "Adam 1e-3, batch 128, 10 epochs"
    assert "| - (other configuration) |" in precision_xla.markdown(report)
