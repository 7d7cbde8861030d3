"""The book's appendix page, "How the configurations were chosen", from the benchmark reports.

The recipes state their training configurations in a sentence or two; the measurements behind
them are the reports that ``make bench-quality`` and ``make bench-precision`` write to
``benchmarks/results/``. ``python -m benchmarks.appendix OUT.md`` (run by ``make html``) puts
those reports on one page, each under the command that reproduces it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
RECORDS = Path(__file__).resolve().parents[1] / "results"
"""The committed full-profile records, whose phase timers give the book's total minutes."""
_BOOK_MINUTES = "The whole book's full profile:"

# Each report, with the command that measures it again.
SECTIONS = (
    ("time_to_quality.md", "make bench-quality"),
    ("precision_xla.md", "make bench-precision"),
    (
        "k_sparse_search.md",
        "AELIB_DATA_DIR=... python -m benchmarks.k_sparse_search --epochs 30 --batch-size 64 "
        "--learning-rate 0.01 (one row per call; --help lists the settings)",
    ),
    ("dictionary_search.md", "AELIB_DATA_DIR=... python -m benchmarks.dictionary_search"),
    ("anomaly_search.md", "AELIB_DATA_DIR=... python -m benchmarks.anomaly_search"),
    ("denoiser_search.md", "AELIB_DATA_DIR=... python -m benchmarks.denoiser_search"),
)

_INTRODUCTION = """# How the configurations were chosen

Each recipe trains with a configuration it states in a sentence or two. This appendix holds the
measurements behind those choices: how long each recipe's configuration takes to reach the
final quality of the seed text's own training recipe on the same model and data, and how
mixed precision and XLA change the speed of each model on a GPU, and the trials behind recipe
12's k-sparse autoencoder. Recipe 12's baseline, dictionary learning, has its settings chosen
on held-out training images in a section of its own, and so do the detectors of recipe 10's
anomaly detection. The classical denoisers that recipe 03 measures its denoising autoencoder
against have their settings chosen the same way. Each section is a report that
a script in `benchmarks/` wrote, and names the command that measures it again.
"""


def page(results: str | Path = RESULTS, records: str | Path = RECORDS) -> str:
    """The appendix as Markdown: the introduction, then each report one heading level down.

    A report's statement of the whole book's full-profile minutes (written when the report was)
    is replaced by one computed now from the full-profile records in ``records``.
    """
    parts = [_INTRODUCTION]
    for name, command in SECTIONS:
        path = Path(results) / name
        if not path.is_file():
            raise ValueError(f"{path} is missing: run `{command}` to write it.")
        lines = path.read_text(encoding="utf-8").splitlines()
        if not lines or not lines[0].startswith("# "):
            raise ValueError(f"{path} must start with a '# ' heading, not {lines[:1]}.")
        # One page has one title: every heading of a report moves one level down.
        lines = ["#" + line if line.startswith("#") else line for line in lines]
        lines = _current_book_minutes(lines, records)
        lines.insert(1, f"\nReproduce with `{command}`.")
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def _current_book_minutes(lines: list[str], records: str | Path) -> list[str]:
    """``lines`` with the paragraph that starts with :data:`_BOOK_MINUTES` and the table under
    it replaced by the same statement computed from the records in ``records``."""
    starts = [number for number, line in enumerate(lines) if line.startswith(_BOOK_MINUTES)]
    if not starts:
        return lines
    start = end = starts[0]
    # The paragraph, then the table under it (a blank line between them).
    while end + 1 < len(lines) and lines[end + 1].strip():
        end += 1
    if end + 2 < len(lines) and lines[end + 2].startswith("|"):
        end += 2
        while end + 1 < len(lines) and lines[end + 1].startswith("|"):
            end += 1
    from booktools import report

    loaded = report.load_records(records)
    minutes = report.book_minutes(loaded)
    if not minutes:
        raise ValueError(f"{records} holds no full-profile record: no minutes to state.")
    titles = {record["recipe"]: report.headline_of(record).title for record in loaded}
    sentence = report.minutes_sentence(loaded).removesuffix(".")
    generated = [
        f"{_BOOK_MINUTES} {sentence[:1].lower()}{sentence[1:]}, from the full-profile records "
        "(`results/*.json`) as this page was built:",
        "",
        "| recipe | minutes |",
        "| --- | ---: |",
        *(f"| {titles[name]} | {value:.1f} |" for name, value in minutes.items()),
    ]
    return lines[:start] + generated + lines[end + 1 :]


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m benchmarks.appendix OUT.md [--results DIR]``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.appendix", description=__doc__)
    parser.add_argument("output", help="where to write the Markdown page")
    parser.add_argument("--results", default=str(RESULTS), help="the benchmark reports' folder")
    parser.add_argument("--records", default=str(RECORDS), help="the recipes' records' folder")
    arguments = parser.parse_args(argv)
    from aelib import results

    results.write_text_atomically(arguments.output, page(arguments.results, arguments.records))
    print(f"wrote {arguments.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
