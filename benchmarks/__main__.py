"""Time the recipes: ``python -m benchmarks smoke`` or ``full`` (every recipe, that profile).

``full`` needs the real data: set ``AELIB_DATA_DIR`` (or let ``keras.datasets`` download it).

Timings are measured here and recorded in ``benchmarks/results/``, never asserted by tests.
Each result is a JSON file plus a Markdown table generated from it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def time_recipes(profile: str, repeats: int) -> dict:
    """Execute each recipe notebook with papermill; return wall seconds per recipe and run."""
    import papermill

    from aelib import results

    timings = {}
    previous_results_dir = os.environ.get("AELIB_RESULTS_DIR")
    for notebook in sorted((ROOT / "recipes").glob("[0-9][0-9]_*.ipynb")):
        runs = []
        for _ in range(repeats):
            with tempfile.TemporaryDirectory() as scratch:
                os.environ["AELIB_RESULTS_DIR"] = scratch
                start = time.perf_counter()
                papermill.execute_notebook(
                    str(notebook),
                    str(Path(scratch) / notebook.name),
                    parameters={"PROFILE": profile},
                    cwd=str(notebook.parent),
                    kernel_name="python3",
                    progress_bar=False,
                )
                runs.append(round(time.perf_counter() - start, 2))
                record = results.load_record(next(Path(scratch).glob("*.json")))
        timings[notebook.stem] = {
            "wall_seconds": runs,
            "phase_seconds": record["seconds"],
            "data_source": record["data_source"],
        }
        print(f"{notebook.stem}: {runs} s", flush=True)
    # The scratch folders are gone: leave the environment as the caller had it.
    if previous_results_dir is None:
        os.environ.pop("AELIB_RESULTS_DIR", None)
    else:
        os.environ["AELIB_RESULTS_DIR"] = previous_results_dir
    return {
        "benchmark": f"recipes_{profile}",
        "profile": profile,
        "date": time.strftime("%Y-%m-%d"),
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform()},
        "hardware": results.describe_hardware(),
        "versions": results.describe_versions(),
        "recipes": timings,
    }


def write_report(report: dict) -> Path:
    """Write the JSON report and its Markdown table atomically; return the JSON path."""
    from aelib import results

    RESULTS.mkdir(parents=True, exist_ok=True)
    name = report["benchmark"]
    lines = [
        f"# {name} ({report['date']}, {report['hardware']['cpu']}, "
        f"{report['hardware']['cpu_count']} cores)",
        "",
        "| recipe | wall seconds (each run) | slowest phase |",
        "| --- | --- | --- |",
    ]
    for recipe, timing in report["recipes"].items():
        phase, seconds = max(timing["phase_seconds"].items(), key=lambda item: item[1])
        runs = ", ".join(f"{value:.1f}" for value in timing["wall_seconds"])
        lines.append(f"| {recipe} | {runs} | {phase} ({seconds:.1f} s) |")
    total = sum(min(timing["wall_seconds"]) for timing in report["recipes"].values())
    lines += ["", f"Sum over recipes (fastest run each): {total:.1f} s", ""]
    for path, text in (
        (RESULTS / f"{name}.json", json.dumps(report, indent=2) + "\n"),
        (RESULTS / f"{name}.md", "\n".join(lines)),
    ):
        results.write_text_atomically(path, text)
    print("\n".join(lines))
    return RESULTS / f"{name}.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("profile", choices=("smoke", "full"), help="the profile to time")
    parser.add_argument("--repeats", type=int, default=1, help="runs per recipe (default 1)")
    arguments = parser.parse_args(argv)
    if arguments.repeats < 1:
        parser.error("--repeats must be at least 1")
    write_report(time_recipes(arguments.profile, arguments.repeats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
