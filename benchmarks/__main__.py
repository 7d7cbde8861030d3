"""Time the recipes: ``python -m benchmarks smoke`` or ``full`` (every recipe, that profile).

``full`` needs the real data: set ``AELIB_DATA_DIR`` (or let ``keras.datasets`` download it).

By default each notebook is executed the one way the book runs a recipe,
``booktools.execute.execute`` (papermill with the ``PROFILE`` parameter, then sanitized, which
the wall time includes), into a scratch folder that also takes the run's record.
``--runner python`` runs each recipe's ``py:percent`` source as a plain script instead (the same
code, cell after cell), for machines without Jupyter: the profile then comes through
``AELIB_PROFILE``, the override for running a recipe as a script (the run prints it), and
``--dtype-policy`` sets Keras's global dtype policy before the recipe starts (``mixed_float16``
for mixed precision). Either way the wall time is read here and the phase times, data source
and hardware from the record the run writes. ``--recipes`` picks some recipes and
``--label`` names the report (``recipes_full_<label>``); a later run with the same name keeps
the recipes it did not run.

Timings are measured here and recorded in ``benchmarks/results/``, never asserted by tests.
Each result is a JSON file plus a Markdown table generated from it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aelib import settings

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


# Run a recipe's source as __main__ under a dtype policy: `python -c BOOTSTRAP recipe.py policy`.
BOOTSTRAP = (
    "import runpy, sys, keras; "
    "keras.config.set_dtype_policy(sys.argv[2]); "
    "runpy.run_path(sys.argv[1], run_name='__main__')"
)


def run_notebook(notebook: Path, profile: str, scratch: str) -> None:
    """Execute a recipe notebook as the book does (``booktools.execute``), into ``scratch``,
    which also takes the run's record."""
    from booktools import execute

    execute.execute(
        notebook,
        Path(scratch) / notebook.name,
        profile=profile,
        results_dir=scratch,
        kernel="python3",
        root=ROOT,
    )


def run_script(
    source: Path, profile: str, dtype_policy: str, results_dir: str | None = None
) -> None:
    """Run a recipe's py:percent source as a script, in a fresh Python, under ``dtype_policy``.

    A script has no notebook parameter: the profile comes through ``AELIB_PROFILE``, the named
    override for this (the run prints it), and the record goes to ``results_dir`` when given.
    """
    environment = {**os.environ, settings.PROFILE: profile, "MPLBACKEND": "Agg"}
    if results_dir is not None:
        environment[settings.RESULTS_DIR] = str(results_dir)
    completed = subprocess.run(
        [sys.executable, "-c", BOOTSTRAP, source.name, dtype_policy],
        cwd=source.parent,
        env=environment,
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{source.name} failed:\n{completed.stderr[-4000:]}")


def recipe_notebooks() -> list[Path]:
    """The recipe notebooks, in the book's order."""
    return sorted((ROOT / "recipes").glob("[0-9][0-9]_*.ipynb"))


def time_recipes(
    profile: str,
    repeats: int,
    runner: str = "papermill",
    recipes: list[str] | None = None,
    dtype_policy: str = "float32",
) -> dict:
    """Execute each recipe (or those named); return wall seconds per recipe and run."""
    from aelib import results

    if runner == "papermill" and dtype_policy != "float32":
        raise ValueError("A dtype policy other than float32 needs --runner python.")
    notebooks = recipe_notebooks()
    if recipes:
        unknown = sorted(set(recipes) - {notebook.stem for notebook in notebooks})
        if unknown:
            raise ValueError(f"No recipes named {', '.join(unknown)}.")
        notebooks = [notebook for notebook in notebooks if notebook.stem in recipes]
    timings = {}
    for notebook in notebooks:
        runs = []
        for _ in range(repeats):
            # Each run writes its record to its own scratch folder, never to results/.
            with tempfile.TemporaryDirectory() as scratch:
                start = time.perf_counter()
                if runner == "papermill":
                    run_notebook(notebook, profile, scratch)
                else:
                    run_script(notebook.with_suffix(".py"), profile, dtype_policy, scratch)
                runs.append(round(time.perf_counter() - start, 2))
                record = results.load_record(next(Path(scratch).glob("*.json")))
        timings[notebook.stem] = {
            "wall_seconds": runs,
            "phase_seconds": record["seconds"],
            "data_source": record["data_source"],
            # The recipe's own process says what it ran on (the GPUs its backend saw).
            "hardware": record["hardware"],
            "versions": record["versions"],
        }
        print(f"{notebook.stem}: {runs} s", flush=True)
    return {
        "benchmark": f"recipes_{profile}",
        "profile": profile,
        "runner": runner,
        "dtype_policy": dtype_policy,
        "date": time.strftime("%Y-%m-%d"),
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform()},
        "hardware": results.describe_hardware(),
        "versions": results.describe_versions(),
        "recipes": timings,
    }


def write_report(report: dict, label: str | None = None) -> Path:
    """Write the JSON report and its Markdown table atomically; return the JSON path.

    Recipes that an earlier report of the same name holds and this one did not run are kept.
    """
    from aelib import results

    RESULTS.mkdir(parents=True, exist_ok=True)
    name = report["benchmark"] + (f"_{label}" if label else "")
    path = RESULTS / f"{name}.json"
    if path.exists():
        earlier = json.loads(path.read_text())
        report = {**report, "recipes": {**earlier["recipes"], **report["recipes"]}}
    report = {**report, "benchmark": name}
    gpus = sorted(
        {
            gpu
            for timing in report["recipes"].values()
            for gpu in timing.get("hardware", {}).get("gpus", [])
        }
    )
    hardware = report["hardware"]
    lines = [
        f"# {name} ({report['date']}, {hardware['cpu']}, {hardware['cpu_count']} cores"
        + (f", GPU {', '.join(gpus)}" if gpus else "")
        + f"; runner {report.get('runner', 'papermill')}, dtype policy "
        + f"{report.get('dtype_policy', 'float32')})",
        "",
        "| recipe | wall seconds (each run) | slowest phase | Keras backend |",
        "| --- | --- | --- | --- |",
    ]
    for recipe, timing in sorted(report["recipes"].items()):
        phase, seconds = max(timing["phase_seconds"].items(), key=lambda item: item[1])
        runs = ", ".join(f"{value:.1f}" for value in timing["wall_seconds"])
        backend = timing.get("versions", {}).get("keras_backend", "tensorflow")
        lines.append(f"| {recipe} | {runs} | {phase} ({seconds:.1f} s) | {backend} |")
    total = sum(min(timing["wall_seconds"]) for timing in report["recipes"].values())
    lines += [
        "",
        f"Sum over {len(report['recipes'])} recipes (fastest run each): {total:.1f} s "
        f"({total / 60:.1f} min)",
        "",
    ]
    results.write_text_atomically(path, json.dumps(report, indent=2) + "\n")
    results.write_text_atomically(path.with_suffix(".md"), "\n".join(lines))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("profile", choices=("smoke", "full"), help="the profile to time")
    parser.add_argument("--repeats", type=int, default=1, help="runs per recipe (default 1)")
    parser.add_argument("--runner", choices=("papermill", "python"), default="papermill")
    parser.add_argument("--recipes", nargs="+", help="recipe names, e.g. 01_vanilla (default all)")
    parser.add_argument(
        "--dtype-policy", default="float32", help="Keras dtype policy (python runner)"
    )
    parser.add_argument("--label", help="names the report recipes_<profile>_<label>")
    arguments = parser.parse_args(argv)
    if arguments.repeats < 1:
        parser.error("--repeats must be at least 1")
    if arguments.label is not None and not arguments.label.replace("_", "").isalnum():
        parser.error("--label takes letters, digits and underscores")
    if arguments.runner == "papermill" and arguments.dtype_policy != "float32":
        parser.error("--dtype-policy needs --runner python")
    recipes = arguments.recipes or [notebook.stem for notebook in recipe_notebooks()]
    # One recipe at a time, each written as soon as it is timed: a run cut short keeps them.
    for recipe in recipes:
        report = time_recipes(
            arguments.profile, arguments.repeats, arguments.runner, [recipe], arguments.dtype_policy
        )
        path = write_report(report, arguments.label)
    print(path.with_suffix(".md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
