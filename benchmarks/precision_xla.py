"""Mixed precision and XLA, on and off: training speed and quality of the recipes' models.

``python -m benchmarks.precision_xla [--tasks ...] [--smoke]`` trains, for each task of the
time-to-quality benchmark, the recipe's model with the recipe's own configuration ("ours")
under each of five settings: float32, mixed float16 and mixed bfloat16 with the training step
compiled by XLA (``jit_compile=True``), and float32 and mixed float16 without it. Per setting it
records:

- ``first_call_seconds``: a short first ``fit`` that traces and compiles the training step;
- ``examples_per_second``: one timed pass over the training images (with XLA), or over
  ``--uncompiled-steps`` batches (without: that path is too slow for a whole epoch);
- ``metric``: the task's test metric after that one epoch (with XLA only, so that the three
  precisions are compared after the same updates on the same batches).

What "XLA off" means depends on Keras's backend: on TensorFlow the step still runs as a graph
(``tf.function``), on JAX it runs op by op, uncompiled. The report names the backend.

Results: ``benchmarks/results/precision_xla.json`` and ``.md`` (``precision_xla_smoke`` with
``--smoke``); a later run keeps the tasks it did not run. Never asserted by tests.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

from benchmarks import time_to_quality

RESULTS = time_to_quality.RESULTS


@dataclasses.dataclass(frozen=True)
class Setting:
    """A dtype policy and whether ``fit`` compiles the training step with XLA."""

    name: str
    dtype_policy: str
    jit_compile: bool


SETTINGS = (
    Setting("float32, XLA", "float32", True),
    Setting("mixed float16, XLA", "mixed_float16", True),
    Setting("mixed bfloat16, XLA", "mixed_bfloat16", True),
    Setting("float32, no XLA", "float32", False),
    Setting("mixed float16, no XLA", "mixed_float16", False),
)


def measure(
    task: time_to_quality.Task,
    setting: Setting,
    arrays: tuple,
    seed: int,
    warm_up_steps: int = 10,
    uncompiled_steps: int = 50,
) -> dict:
    """Train ``task``'s model under ``setting``; return its first-call time, speed and metric."""
    import keras

    _, _, test_inputs, test_targets = arrays
    batch = task.ours.batch_size
    previous_policy = keras.config.dtype_policy()
    keras.config.set_dtype_policy(setting.dtype_policy)
    try:
        model, inputs, targets = time_to_quality.compiled_model(
            task, task.ours, arrays, seed, jit_compile=setting.jit_compile
        )
        # The first call traces and compiles; it also meets the epoch's last, smaller batch
        # (a new shape, so a second compilation) to keep both out of the timed pass.
        warm_up = warm_up_steps * batch + len(inputs) % batch
        start = time.perf_counter()
        model.fit(inputs[:warm_up], targets[:warm_up], batch_size=batch, epochs=1, verbose=0)
        first_call_seconds = time.perf_counter() - start
        timed = len(inputs) if setting.jit_compile else min(len(inputs), uncompiled_steps * batch)
        start = time.perf_counter()
        history = model.fit(
            inputs[:timed], targets[:timed], batch_size=batch, epochs=1, shuffle=True, verbose=0
        )
        seconds = time.perf_counter() - start
        row = {
            "setting": setting.name,
            "dtype_policy": setting.dtype_policy,
            "jit_compile": setting.jit_compile,
            "first_call_seconds": round(first_call_seconds, 2),
            "timed_examples": timed,
            "timed_seconds": round(seconds, 3),
            "examples_per_second": round(timed / seconds, 1),
            "loss": float(history.history["loss"][-1]),
            "metric": None,
        }
        if setting.jit_compile:
            score = task.score or time_to_quality._psnr_metric
            row["metric"] = round(float(score(model, test_inputs, test_targets)), 4)
    finally:
        keras.config.set_dtype_policy(previous_policy)
    return row


def run(task_names, settings, smoke: bool, uncompiled_steps: int, seed: int = 42) -> dict:
    """Measure every setting on every task; return the report."""
    import keras

    from aelib import results

    report = {
        "benchmark": "precision_xla" + ("_smoke" if smoke else ""),
        "date": time.strftime("%Y-%m-%d"),
        "hardware": results.describe_hardware(),
        "versions": results.describe_versions(),
        "keras_backend": keras.backend.backend(),
        "warm_up_steps": 1 if smoke else 10,
        "tasks": {},
    }
    for name in task_names:
        task = time_to_quality.TASKS[name]
        arrays = time_to_quality.task_arrays(task, smoke)
        rows = []
        for setting in settings:
            rows.append(
                measure(
                    task,
                    setting,
                    arrays,
                    seed,
                    warm_up_steps=report["warm_up_steps"],
                    uncompiled_steps=uncompiled_steps,
                )
            )
            print(f"{name}: {rows[-1]}", flush=True)
        report["tasks"][name] = {
            "recipe": task.recipe,
            "metric": task.metric,
            "ours_config": task.ours.description,
            "train_images": len(arrays[0][: task.ours.train_size]),
            "settings": rows,
        }
    return report


def cpu_reference(directory: Path = RESULTS) -> dict:
    """Ours' median examples/s per task in the time-to-quality report (this repo's CPU runs)."""
    import statistics

    path = directory / "time_to_quality.json"
    if not path.exists():
        return {}
    reference = {}
    for name, task in json.loads(path.read_text())["tasks"].items():
        hardware = task.get("hardware", {})
        reference[name] = {
            "examples_per_second": statistics.median(
                row["examples_per_second"] for row in task["ours"]
            ),
            "device": f"{hardware.get('cpu', '?')}, {hardware.get('cpu_count', '?')} cores",
            "keras_backend": task.get("versions", {}).get("keras_backend", "tensorflow"),
            "ours_config": task.get("ours_config"),
        }
    return reference


def markdown(report: dict) -> str:
    """The report as Markdown: one row per task, examples/s and metric per setting."""
    hardware = report["hardware"]
    device = ", ".join(hardware["gpus"]) if hardware["gpus"] else f"{hardware['cpu']} (CPU)"
    names = [setting.name for setting in SETTINGS]
    reference = report.get("cpu_reference", {})
    lines = [
        f"# Mixed precision and XLA ({report['date']}, {device}, Keras "
        f"{report['versions'].get('keras', '?')} on {report['keras_backend']})",
        "",
        "Training speed of each recipe's model with the recipe's own configuration, in examples "
        "per second (one timed pass after a first, compiling call), and the test metric after "
        "that one epoch (XLA settings only). Relative speed: against float32 with XLA. "
        f"Without XLA, Keras on {report['keras_backend']} "
        + (
            "runs the step op by op, uncompiled."
            if report["keras_backend"] == "jax"
            else "still runs the step as a graph."
        )
        + " Last column: ours' median epoch in the time-to-quality report, for scale"
        + (
            f" ({next(iter(reference.values()))['device']}, Keras on "
            f"{next(iter(reference.values()))['keras_backend']})."
            if reference
            else "."
        ),
        "",
        "| task | metric | " + " | ".join(names) + " | CPU, float32 (time to quality) |",
        "| --- | --- | " + " | ".join("---:" for _ in names) + " | ---: |",
    ]
    for name, task in report["tasks"].items():
        rows = {row["setting"]: row for row in task["settings"]}
        base = rows.get("float32, XLA", {}).get("examples_per_second")
        cells = []
        cpu = reference.get(name)
        for setting in names:
            row = rows.get(setting)
            if row is None:
                cells.append("-")
                continue
            cell = f"{row['examples_per_second']:,.0f}/s"
            if base:
                cell += f" (x{row['examples_per_second'] / base:.2g})"
            if row["metric"] is not None:
                cell += f", {row['metric']:.2f}"
            cells.append(cell)
        if cpu and cpu.get("ours_config") not in (None, task.get("ours_config")):
            # A rate measured with another batch size or schedule is no reference for this row.
            cells.append("- (other configuration)")
        elif cpu:
            cells.append(f"{cpu['examples_per_second']:,.0f}/s")
        else:
            cells.append("-")
        lines.append(f"| {name} | {task['metric']} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"First call (tracing and compiling the training step, {report['warm_up_steps']} "
        "batches and the epoch's last one), seconds:",
        "",
        "| task | " + " | ".join(names) + " |",
        "| --- | " + " | ".join("---:" for _ in names) + " |",
    ]
    for name, task in report["tasks"].items():
        rows = {row["setting"]: row for row in task["settings"]}
        cells = [f"{rows[s]['first_call_seconds']:.1f}" if s in rows else "-" for s in names]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    notes = [
        f"- {name}: {task['note']}" for name, task in report["tasks"].items() if "note" in task
    ]
    if notes:
        lines += ["", *notes]
    return "\n".join(lines) + "\n"


def write_report(report: dict, directory: Path = RESULTS) -> Path:
    """Write ``<benchmark>.json`` and ``.md`` atomically, keeping earlier tasks; return the path."""
    report = {**report, "cpu_reference": cpu_reference(directory)}
    return time_to_quality.write_report(report, directory, markdown=markdown)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.precision_xla", description=__doc__.split("\n\n")[0]
    )
    tasks = sorted(time_to_quality.TASKS)
    parser.add_argument("--tasks", nargs="+", choices=tasks, default=tasks)
    parser.add_argument(
        "--settings",
        nargs="+",
        choices=[setting.name for setting in SETTINGS],
        default=[setting.name for setting in SETTINGS],
    )
    parser.add_argument(
        "--uncompiled-steps",
        type=int,
        default=50,
        help="batches timed without XLA (default 50)",
    )
    parser.add_argument(
        "--smoke", action="store_true", help="256 embedded images: checks the plumbing"
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="where to write the report")
    arguments = parser.parse_args(argv)
    if arguments.uncompiled_steps < 1:
        parser.error("--uncompiled-steps must be at least 1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    settings = [setting for setting in SETTINGS if setting.name in arguments.settings]
    # One task at a time, each written as soon as it is measured: a run cut short (a lent
    # machine's time limit) keeps what it measured.
    for task in arguments.tasks:
        report = run([task], settings, arguments.smoke, arguments.uncompiled_steps)
        path = write_report(report, arguments.results)
    print(path.with_suffix(".md").read_text())
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
