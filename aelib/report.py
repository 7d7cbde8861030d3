"""The results page and the README's headline table, both generated from ``results/*.json``.

Each recipe has one headline: its best model's main metric, beside the classical baseline it is
measured against and, where the seed text reports one, the seed's own figure. The table also
says how each number was produced: profile, data source, hardware, wall time and versions.

``python -m aelib.report page OUT.md`` writes the book's results page (``make html`` does this);
``python -m aelib.book sync`` writes the same table into the README, and ``check`` fails when
the README's copy is stale. ``python -m aelib.report check-sources DIR`` fails unless every
recipe has a record in ``DIR`` and each one is a full-profile run on the real dataset; the
book workflow runs it before it publishes a run's records.

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
import dataclasses
import os
import sys
from pathlib import Path

__all__ = [
    "REAL_DATA_SOURCES",
    "Headline",
    "headline_of",
    "headline_rows",
    "headline_table",
    "load_records",
    "missing_records",
    "offending_records",
    "page",
]


@dataclasses.dataclass(frozen=True)
class Headline:
    """One recipe's headline row: metric keys in its record, labels, the seed's own figure."""

    title: str
    metric: str
    label: str
    baseline_metric: str
    baseline_label: str
    seed_figure: str = ""
    percent: bool = False


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
_DATA_SOURCES = {"dir": "data folder", "keras": "keras.datasets", "embedded": "embedded sample"}

REAL_DATA_SOURCES = ("dir", "keras")
"""The ``data_source`` values of records measured on the real MNIST or CIFAR-10."""


def load_records(directory: str | os.PathLike) -> list[dict]:
    """The result records in ``directory``, in book order.

    Each record declares its headline (``record["headline"]``, see ``results.HEADLINE_KEYS``).
    Book order is the recipes' notebook numbers
    (``recipes/NN_<recipe>.py`` under the current folder).
    """
    from aelib import results

    folder = Path(directory)
    if not folder.is_dir():
        raise ValueError(f"No results folder at {folder}.")
    records = [results.load_record(path) for path in sorted(folder.glob("*.json"))]
    return sorted(records, key=lambda record: (_book_position(record["recipe"]), record["recipe"]))


def headline_rows(records: list[dict]) -> list[dict[str, str]]:
    """One row of formatted cells (keyed by column name) per record."""
    rows = []
    for record in records:
        headline = headline_of(record)
        if headline is None:
            raise ValueError(
                f"The {record['recipe']} record declares no headline: its recipe must pass "
                "headline= to results.save_record."
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
                "ours": _format(metrics[headline.metric], headline.percent),
                "baseline": headline.baseline_label,
                "baseline value": _format(metrics[headline.baseline_metric], headline.percent),
                "seed reports": headline.seed_figure or "-",
                "profile": record["profile"],
                "data": _DATA_SOURCES.get(record["data_source"], record["data_source"]),
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


def _book_position(recipe: str) -> int:
    """The recipe's notebook number (``recipes/NN_<recipe>.py``), or 100 when there is none."""
    for source in Path("recipes").glob(f"[0-9][0-9]_{recipe}.py"):
        return int(source.name[:2])
    return 100


def headline_table(directory: str | os.PathLike) -> str:
    """The headline table of every record in ``directory``, as Markdown (ends with a newline)."""
    rows = headline_rows(load_records(directory))
    lines = ["| " + " | ".join(_COLUMNS) + " |", "|" + "---|" * len(_COLUMNS)]
    lines += ["| " + " | ".join(row[column] for column in _COLUMNS) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def page(directory: str | os.PathLike) -> str:
    """The book's results page as Markdown: the headline table and how to read it."""
    return (
        "# Results\n\n"
        "Every recipe's headline number beside the classical baseline it is measured against,\n"
        "and the figure its seed text reports where it reports one. The table is generated from\n"
        "the `results/*.json` records written by the runs that produced the pages, each with the\n"
        "profile, data, hardware, wall time (sum of the recipe's timed phases) and versions of\n"
        "that run. The recipes' pages explain each number and show the rest.\n\n"
        + headline_table(directory)
    )


def offending_records(directory: str | os.PathLike) -> dict[Path, str]:
    """Each record file in ``directory`` that is not a full run on the real data, with why.

    A record offends when it cannot be read, when its profile is not ``full`` or when its
    ``data_source`` is not one of :data:`REAL_DATA_SOURCES` (``embedded`` is the sample that
    ships with a package, never the published numbers' data).
    """
    from aelib import results

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
        if record["profile"] != "full":
            problems.append(f"profile is {record['profile']!r}, not 'full'")
        if record["data_source"] not in REAL_DATA_SOURCES:
            described = _DATA_SOURCES.get(record["data_source"], "unknown")
            problems.append(
                f"data_source is {record['data_source']!r} ({described}), not the real "
                f"dataset ({' or '.join(map(repr, REAL_DATA_SOURCES))})"
            )
        if headline_of(record) is None:
            problems.append("it declares no headline (its recipe passes none to save_record)")
        if problems:
            offending[path] = "; ".join(problems)
    return offending


def missing_records(directory: str | os.PathLike) -> list[str]:
    """The book's recipes (``recipes/NN_<name>.py``) with no ``<name>.json`` in ``directory``."""
    folder = Path(directory)
    recipes = [source.stem[3:] for source in sorted(Path("recipes").glob("[0-9][0-9]_*.py"))]
    return [recipe for recipe in recipes if not (folder / f"{recipe}.json").is_file()]


def check_sources(directory: str | os.PathLike) -> list[str]:
    """Every reason not to publish the records in ``directory`` (empty when there is none)."""
    problems = [f"{path}: {why}" for path, why in offending_records(directory).items()]
    problems += [
        f"{Path(directory) / (recipe + '.json')}: missing (recipe {recipe!r} wrote no record)"
        for recipe in missing_records(directory)
    ]
    return problems


def _format(value: float, percent: bool) -> str:
    return f"{100 * value:.1f}%" if percent else f"{value:.2f}"


def _describe_hardware(hardware: dict) -> str:
    gpus = hardware.get("gpus") or []
    if gpus:
        return ", ".join(gpus)
    return f"{hardware.get('cpu_count', '?')}-core CPU ({hardware.get('cpu', 'unknown')})"


def main(argv: list[str] | None = None) -> int:
    """Command line: ``page OUT.md [--results DIR]`` or ``check-sources DIR``."""
    parser = argparse.ArgumentParser(
        prog="python -m aelib.report",
        description="Write the results page, or check that a run's records may be published.",
    )
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
            problems = check_sources(arguments.results)
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

    from aelib import results

    results.write_text_atomically(arguments.output, page(arguments.results))
    print(f"wrote {arguments.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
