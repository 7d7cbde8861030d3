"""Execute a recipe notebook in a profile, then sanitize it: the one way the book runs a recipe.

``python -m booktools.execute --profile smoke|full [--results DIR] NOTEBOOK [OUTPUT]`` runs
``NOTEBOOK`` with papermill, its ``PROFILE`` parameter set (the notebook's one profile
channel), in the recipes' folder, writing the executed copy to ``OUTPUT`` (default: in place)
and the run's record to ``DIR`` (``AELIB_RESULTS_DIR`` for the kernel; default: ``results/``
beside ``recipes/``), then removes TensorFlow's start-up lines and this machine's paths
(``booktools.book.sanitize_notebook_file``). The Makefile, the book workflow, the tests and the
benchmarks all call :func:`execute`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

from aelib import profiles, settings
from booktools import book

__all__ = ["execute"]


def execute(
    notebook: str | os.PathLike,
    output: str | os.PathLike | None = None,
    *,
    profile: str,
    results_dir: str | os.PathLike | None = None,
    kernel: str | None = None,
    root: str | os.PathLike = ".",
) -> Path:
    """Execute ``notebook`` with ``PROFILE=profile`` into ``output``, sanitized; return its path."""
    import papermill

    notebook = Path(notebook)
    if not notebook.is_file():
        raise ValueError(f"{notebook}: no such notebook.")
    if profile not in profiles.PROFILE_NAMES:
        raise ValueError(f"profile must be one of {profiles.PROFILE_NAMES}, not {profile!r}.")
    output = Path(output) if output is not None else notebook
    output.parent.mkdir(parents=True, exist_ok=True)
    results_dir = Path(results_dir or notebook.resolve().parent.parent / "results").resolve()
    # The kernel inherits this process's environment: the record goes to results_dir, and no
    # AELIB_PROFILE left in the shell overrides the parameter behind the caller's back.
    with _environment({settings.RESULTS_DIR: str(results_dir), settings.PROFILE: None}):
        papermill.execute_notebook(
            str(notebook),
            str(output),
            parameters={"PROFILE": profile},
            cwd=str(notebook.resolve().parent),
            kernel_name=kernel,
            progress_bar=False,
            log_output=False,
        )
    book.sanitize_notebook_file(output, root)
    return output


@contextlib.contextmanager
def _environment(changes: dict[str, str | None]):
    """Set (or, for None, remove) environment variables for the block, then restore them."""
    saved = {name: os.environ.get(name) for name in changes}
    try:
        _set_environment(changes)
        yield
    finally:
        _set_environment(saved)


def _set_environment(values: dict[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def main(argv: list[str] | None = None) -> int:
    """Command line: see the module's docstring."""
    parser = argparse.ArgumentParser(prog="python -m booktools.execute", description=__doc__)
    parser.add_argument("--profile", required=True, choices=profiles.PROFILE_NAMES)
    parser.add_argument("--results", help="the folder for the run's record")
    parser.add_argument("--kernel", help="the Jupyter kernel (default: the notebook's)")
    parser.add_argument("notebook", type=Path)
    parser.add_argument("output", type=Path, nargs="?")
    arguments = parser.parse_args(argv)
    try:
        path = execute(
            arguments.notebook,
            arguments.output,
            profile=arguments.profile,
            results_dir=arguments.results,
            kernel=arguments.kernel,
        )
    except ValueError as error:
        parser.exit(2, f"python -m booktools.execute: {error}\n")
    print(f"executed {arguments.notebook} ({arguments.profile} profile) -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
