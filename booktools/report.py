"""The results page and the README's headline table, both generated from ``results/*.json``.

Each recipe has one headline: its best model's main metric, beside the classical baseline it is
measured against and, where the seed text reports one, the seed's own figure. The table also
says how each number was produced: profile, data source, hardware, wall time and versions.

``python -m booktools.report page OUT.md`` writes the book's results page (``make html`` does
this); ``python -m booktools.book sync`` writes the same table into the README, and ``check``
fails when the README's copy is stale. ``python -m booktools.report check-sources DIR`` fails
unless every recipe of the book (``recipes/NN_<name>.py`` under ``--root``, by default the
repository this module lives in) has a record ``<name>.json`` in ``DIR`` that names that recipe
and is a full-profile run on the real dataset; the book workflow runs it before it publishes.

>>> row = {"recipe": "vanilla", "profile": "full", "data_source": "dir",
...        "metrics": {"ae_32_psnr": 24.3, "pca_32_psnr": 18.56}, "seconds": {"train": 3600},
...        "versions": {"tensorflow": "2.21.0", "keras": "3.15.1"},
...        "hardware": {"cpu": "AMD EPYC", "cpu_count": 2, "gpus": []},
...        "headline": {"title": "Vanilla", "metric": "ae_32_psnr", "label": "AE-32, PSNR (dB)",
...                     "baseline_metric": "pca_32_psnr", "baseline_label": "PCA-32",
...                     "seed_figure": "", "percent": False}}
>>> print(headline_rows([row])[0]["ours"], headline_rows([row])[0]["wall time"])
24.30 60 min
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from aelib import data, results
from aelib.results import Headline

__all__ = [
    "ROOT",
    "headline_of",
    "headline_rows",
    "headline_table",
    "load_records",
    "missing_records",
    "offending_records",
    "page",
]


_COLUMNS = (
    "recipe",
    "headline",
    "ours",
    "baseline",
    "baseline value",
    "seed reports",
    "profile",
    "data",
    "hardware",
    "wall time",
    "versions",
)
ROOT = Path(__file__).resolve().parents[1]
"""The repository these tools belong to: its ``recipes/`` define the book's recipes."""


def recipe_names(root: str | os.PathLike = ROOT) -> list[str]:
    """The book's recipes in order: ``<name>`` of each ``recipes/NN_<name>.py`` under ``root``.

    ValueError when ``root`` holds no recipe: a check against no recipes would pass anything.
    """
    sources = sorted(Path(root, "recipes").glob("[0-9][0-9]_*.py"))
    if not sources:
        raise ValueError(f"{Path(root, 'recipes')} holds no recipe (recipes/NN_name.py).")
    return [source.stem[3:] for source in sources]


def load_records(directory: str | os.PathLike, root: str | os.PathLike = ROOT) -> list[dict]:
    """The result records in ``directory``, in book order (the recipes' numbers under ``root``).

    Each record declares its headline (``record["headline"]``, an ``aelib.results.Headline``);
    a record whose file name is not its recipe's is refused.
    """
    folder = Path(directory)
    if not folder.is_dir():
        raise ValueError(f"No results folder at {folder}.")
    records = []
    for path in sorted(folder.glob("*.json")):
        record = results.load_record(path)
        if record["recipe"] != path.stem:
            raise ValueError(
                f"{path} holds the record of recipe {record['recipe']!r}, not {path.stem!r}."
            )
        records.append(record)
    order = {name: position for position, name in enumerate(recipe_names(root))}
    return sorted(records, key=lambda record: (order.get(record["recipe"], 100), record["recipe"]))


def headline_rows(records: list[dict]) -> list[dict[str, str]]:
    """One row of formatted cells (keyed by column name) per record."""
    rows = []
    for record in records:
        headline = headline_of(record)
        if headline is None:
            raise ValueError(
                f"The {record['recipe']} record declares no headline: its recipe must pass one "
                "to run.finish."
            )
        metrics = record["metrics"]
        for key in (headline.metric, headline.baseline_metric):
            if key not in metrics:
                raise ValueError(f"The {record['recipe']} record has no metric {key!r}.")
        versions = record.get("versions", {})
        rows.append(
            {
                "recipe": headline.title,
                "headline": headline.label,
                "ours": _format(metrics[headline.metric], headline.percent, record, "metric")
                + _spread(metrics, headline.spread_metric, headline),
                "baseline": headline.baseline_label,
                "baseline value": _format(
                    metrics[headline.baseline_metric], headline.percent, record, "baseline_metric"
                )
                + _spread(metrics, headline.baseline_spread_metric, headline),
                "seed reports": headline.seed_figure or "-",
                "profile": record["profile"],
                "data": data.SOURCE_LABELS.get(record["data_source"], record["data_source"]),
                "hardware": _describe_hardware(record.get("hardware", {})),
                "wall time": f"{sum(record['seconds'].values()) / 60:.0f} min",
                "versions": "TF {}, Keras {}".format(
                    versions.get("tensorflow", "?"), versions.get("keras", "?")
                ),
            }
        )
    return rows


def headline_of(record: dict) -> Headline | None:
    """The headline the record declares, or None when it declares none."""
    declared = record.get("headline")
    return None if declared is None else Headline(**declared)


def headline_table(directory: str | os.PathLike, root: str | os.PathLike = ROOT) -> str:
    """The headline table of every record in ``directory``, as Markdown (ends with a newline)."""
    rows = headline_rows(load_records(directory, root))
    lines = ["| " + " | ".join(_COLUMNS) + " |", "|" + "---|" * len(_COLUMNS)]
    lines += ["| " + " | ".join(_cell(row[column]) for column in _COLUMNS) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """``text`` as one Markdown table cell: a '|' escaped, line breaks as spaces."""
    return " ".join(str(text).split()).replace("|", "\\|")


def page(directory: str | os.PathLike, root: str | os.PathLike = ROOT) -> str:
    """The book's results page as Markdown: the headline table and how to read it."""
    return (
        "# Results\n\n"
        "Every recipe's headline number beside the classical baseline it is measured against,\n"
        "and the figure its seed text reports where it reports one. The table is generated from\n"
        "the records written by the runs that produced these pages, each with the\n"
        "profile, data, hardware, wall time (sum of the recipe's timed phases) and versions of\n"
        "that run. The recipes' pages explain each number and show the rest.\n\n"
        + headline_table(directory, root)
    )


def offending_records(directory: str | os.PathLike) -> dict[Path, str]:
    """Each record file in ``directory`` that is not a full run on the real data, with why.

    A record offends when it cannot be read, when it names another recipe than its file name,
    when its profile is not ``full``, when its ``data_source`` is not one of
    ``aelib.data.REAL_SOURCES`` (``embedded`` is the sample that ships with a package, never the
    published numbers' data) or when it declares no headline.
    """
    folder = Path(directory)
    if not folder.is_dir():
        raise ValueError(f"No results folder at {folder}.")
    offending = {}
    for path in sorted(folder.glob("*.json")):
        try:
            record = results.load_record(path)
        except (OSError, ValueError) as error:
            offending[path] = f"unreadable record ({error})"
            continue
        problems = []
        if record["recipe"] != path.stem:
            problems.append(f"it is the record of recipe {record['recipe']!r}, not {path.stem!r}")
        if record["profile"] != "full":
            problems.append(f"profile is {record['profile']!r}, not 'full'")
        if record["data_source"] not in data.REAL_SOURCES:
            described = data.SOURCE_LABELS.get(record["data_source"], "unknown")
            problems.append(
                f"data_source is {record['data_source']!r} ({described}), not the real "
                f"dataset ({' or '.join(map(repr, data.REAL_SOURCES))})"
            )
        if headline_of(record) is None:
            problems.append("it declares no headline (its recipe passes none to run.finish)")
        if problems:
            offending[path] = "; ".join(problems)
    return offending


def missing_records(directory: str | os.PathLike, root: str | os.PathLike = ROOT) -> list[str]:
    """The book's recipes (under ``root``) with no ``<name>.json`` in ``directory``."""
    folder = Path(directory)
    return [name for name in recipe_names(root) if not (folder / f"{name}.json").is_file()]


def check_sources(directory: str | os.PathLike, root: str | os.PathLike = ROOT) -> list[str]:
    """Every reason not to publish the records in ``directory`` (empty when there is none)."""
    problems = [f"{path}: {why}" for path, why in offending_records(directory).items()]
    problems += [
        f"{Path(directory) / (recipe + '.json')}: missing (recipe {recipe!r} wrote no record)"
        for recipe in missing_records(directory, root)
    ]
    return problems


def _format(value: float, percent: bool, record: dict, key: str) -> str:
    if percent and not 0.0 <= value <= 1.0:
        raise ValueError(
            f"The {record['recipe']} record's headline shows {key} as a percentage, but it is "
            f"{value!r}, not a fraction in [0, 1]."
        )
    return f"{100 * value:.1f}%" if percent else f"{value:.2f}"


def _spread(metrics: dict, key: str, headline: Headline) -> str:
    """' ± std (n seeds)' when the headline is a mean over seeds and ``key`` names its spread."""
    if headline.seeds <= 1 or not key:
        return ""
    spread = 100 * metrics[key] if headline.percent else metrics[key]
    return f" ± {spread:.{1 if headline.percent else 2}f} ({headline.seeds} seeds)"


def _describe_hardware(hardware: dict) -> str:
    gpus = hardware.get("gpus") or []
    if gpus:
        return ", ".join(gpus)
    return f"{hardware.get('cpu_count', '?')}-core CPU ({hardware.get('cpu', 'unknown')})"


def main(argv: list[str] | None = None) -> int:
    """Command line: ``page OUT.md [--results DIR]`` or ``check-sources DIR`` (``--root``)."""
    parser = argparse.ArgumentParser(
        prog="python -m booktools.report",
        description="Write the results page, or check that a run's records may be published.",
    )
    parser.add_argument("--root", default=str(ROOT), help="the repository (default: this one)")
    commands = parser.add_subparsers(dest="command", required=True)
    page_command = commands.add_parser("page", help="write the book's results page")
    page_command.add_argument("output", help="where to write the Markdown page")
    page_command.add_argument("--results", default="results", help="the records' folder")
    check_command = commands.add_parser(
        "check-sources",
        help="fail unless every recipe has a full-profile record on the real dataset",
    )
    check_command.add_argument("results", help="the records' folder")
    arguments = parser.parse_args(argv)

    if arguments.command == "check-sources":
        try:
            problems = check_sources(arguments.results, arguments.root)
        except ValueError as error:
            print(f"check-sources: {error}", file=sys.stderr)
            return 1
        for problem in problems:
            print(f"check-sources: {problem}", file=sys.stderr)
        if problems:
            print(
                f"check-sources: {len(problems)} problem(s) in {arguments.results}; these "
                "records must not be published.",
                file=sys.stderr,
            )
            return 1
        count = len(list(Path(arguments.results).glob("*.json")))
        print(
            f"check-sources: {count} records in {arguments.results}, each a full-profile run "
            "on the real dataset."
        )
        return 0

    try:
        text = page(arguments.results, arguments.root)
    except ValueError as error:
        print(f"page: {error}", file=sys.stderr)
        return 1
    results.write_text_atomically(arguments.output, text)
    print(f"wrote {arguments.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
