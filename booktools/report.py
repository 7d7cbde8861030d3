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
import math
import os
import sys
from pathlib import Path

from aelib import data, results
from aelib.results import Headline

__all__ = [
    "ROOT",
    "VERDICTS",
    "book_minutes",
    "cifar10_note",
    "compare",
    "decimals_for_spread",
    "decimals_to_tell_apart",
    "direction",
    "glance_figure",
    "headline_of",
    "headline_rows",
    "headline_table",
    "load_records",
    "minutes_sentence",
    "missing_records",
    "offending_records",
    "page",
    "recipe_datasets",
    "results_table",
    "run_details",
    "verdict",
    "verdict_counts",
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
_FIGURE_NAME = "results_at_a_glance.svg"
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


def _checked_headline(record: dict):
    """The record's headline and metrics, or ValueError: no headline, or a metric it lacks."""
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
    return headline, metrics


def headline_rows(records: list[dict]) -> list[dict[str, str]]:
    """One row of formatted cells (keyed by column name) per record."""
    rows = []
    for record in records:
        headline, metrics = _checked_headline(record)
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


def page(
    directory: str | os.PathLike,
    root: str | os.PathLike = ROOT,
    figure: str | os.PathLike | None = None,
) -> str:
    """The book's results page as Markdown: the figure at a glance (drawn to ``figure``, a path
    beside the page, when given), the compact table, how to read it, and how the runs were made.
    """
    records = load_records(directory, root)
    comparisons = [compare(record) for record in records]
    counts = verdict_counts(comparisons)
    parts = [
        # The table needs the width the page's contents sidebar would take (pydata-sphinx-theme
        # reads this page-wide setting).
        "---\nhtml_theme.sidebar_secondary.remove: true\n---\n\n"
        "# Results\n\n"
        "Each recipe's headline number beside the strongest classical baseline it is measured\n"
        "against, generated from the records written by the runs that produced these pages.\n"
        "The recipes' pages explain each number and show the rest.\n"
    ]
    if figure is not None:
        alt = glance_figure(comparisons, figure)
        parts.append(
            f"```{{figure}} {Path(figure).name}\n:alt: {alt}\n:width: 100%\n\n"
            "Every headline against its baseline: the difference as a percentage of the "
            "baseline, right meaning better for the recipe; bars are 95% intervals over seeds, "
            "open circles single runs.\n```\n"
        )
    summary = ", ".join(f"{name} {counts[name]}" for name in VERDICTS if counts[name])
    parts.append(
        "## The numbers\n\n"
        f"Verdicts: {summary}.\n\n" + results_table(records, root) + "\n"
        "How to read it: *ours* is the recipe's headline, the mean over its seeds with their\n"
        "standard deviation where it ran several, else one run. The difference is ours minus\n"
        "the baseline (percentage points for percentages) with the 95% interval of the paired\n"
        "difference over seeds (a single run may carry one over its test images instead, as\n"
        "recipe 04's does). With an interval, the verdict is **wins** or **loses** when the\n"
        "interval lies wholly on one side of zero and *ties* when it covers zero; without one,\n"
        "the verdict says only which side the run fell on: *ahead* or *behind*.\n"
        "Numbers carry the decimals of their spread (one significant digit, two when it starts\n"
        "with a 1); single runs carry just enough to show the difference.\n"
    )
    parts.append("## How these numbers were run\n\n" + run_details(records, root))
    return "\n".join(parts)


# What a headline's direction is, when its label does not say "(lower is better)" or "(higher is
# better)": the words of its metric key ("nelbo" stands for "negative_elbo"). A key with no word
# of either list is refused, so a new recipe states its direction in its label instead of getting
# a guessed verdict.
_HIGHER_IS_BETTER = ("psnr", "ssim", "accuracy", "auc", "selectivity", "ratio", "elbo")
_LOWER_IS_BETTER = (
    "nelbo",
    "mse",
    "bce",
    "loss",
    "fvu",
    "frechet",
    "seconds",
    "activation",
    "bits",
    "bpp",
    "error",
    "change",
    "distance",
)
_CIFAR10_NOTE = (
    "The book's copy of CIFAR-10 (the data folder's) went through one JPEG round trip, so its "
    "photos carry slight compression artefacts; keras.datasets' copy did not."
)
VERDICTS = ("wins", "ties", "loses", "ahead", "behind", "level")
"""The verdicts of the results table: the first three from a 95% interval, the rest without one."""


def direction(headline: Headline) -> int:
    """+1 when a higher headline number is better, -1 when a lower one is.

    The label's "(lower is better)" or "(higher is better)" decides; without either, the last
    word of the metric key that names a measure does (``psnr``, ``accuracy``, ``auc``: higher;
    ``mse``, ``frechet``, ``negative_elbo``, ``seconds``: lower). ValueError when neither does.

    >>> direction(Headline("t", "cvae_frechet", "Fréchet distance", "vae_frechet", "b"))
    -1
    """
    label = headline.label.lower()
    if "lower is better" in label:
        return -1
    if "higher is better" in label:
        return 1
    # The last word of the key that names a measure decides: the key ends with what it measures
    # ("codec_at_jpeg_near_half_bpp_psnr" is a PSNR, "ae_sum_auc_mean" an AUC).
    words = headline.metric.lower().replace("negative_elbo", "nelbo").split("_")
    for word in reversed(words):
        if word in _LOWER_IS_BETTER:
            return -1
        if word in _HIGHER_IS_BETTER:
            return 1
    raise ValueError(
        f"The headline {headline.title!r} ({headline.metric}) does not say which way is better: "
        "end its label with '(lower is better)' or '(higher is better)'."
    )


def verdict(difference: float, low: float | None, high: float | None, sign: int) -> str:
    """``wins``, ``ties`` or ``loses`` from the 95% interval [low, high] of headline minus
    baseline (``sign`` from :func:`direction`); ``ahead``, ``behind`` or ``level`` from the sign
    of ``difference`` alone when there is no interval (a single run).

    >>> verdict(0.003, -0.002, 0.008, 1), verdict(-2.0, -3.0, -1.0, -1)
    ('ties', 'wins')
    >>> verdict(0.5, None, None, -1)
    'behind'
    """
    if low is not None and high is not None:
        gain_low, gain_high = sorted((sign * low, sign * high))
        if gain_low > 0:
            return "wins"
        if gain_high < 0:
            return "loses"
        return "ties"
    gain = sign * difference
    return "ahead" if gain > 0 else "behind" if gain < 0 else "level"


def decimals_for_spread(spread: float) -> int:
    """Decimals that show ``spread`` (a standard deviation or an interval's half-width) to one
    significant digit, two when that digit would be a 1 (0.014, not 0.01); at most 6.

    A number shown beside its spread gets as many decimals as the spread, no more.

    >>> decimals_for_spread(0.0042), decimals_for_spread(0.014), decimals_for_spread(1.19)
    (3, 3, 1)
    >>> decimals_for_spread(23.0)
    0
    """
    if not math.isfinite(spread) or spread <= 0:
        raise ValueError(f"A spread must be a finite number > 0, not {spread!r}.")
    exponent = math.floor(math.log10(spread))
    # The first digit after rounding to one significant digit (0.0196 rounds to 0.02, a 2).
    first = round(spread / 10**exponent)
    if first >= 10:
        exponent, first = exponent + 1, 1
    digits = 2 if first == 1 else 1
    return min(6, max(0, digits - 1 - exponent))


def decimals_to_tell_apart(first: float, second: float) -> int:
    """Decimals that show two single-run numbers and their difference to two significant digits
    each (the smaller number and the difference decide); at most 6.

    Used where no spread is known: enough digits to show the difference, none to spare.

    >>> decimals_to_tell_apart(20.855, 18.559), decimals_to_tell_apart(0.03375, 0.03434)
    (1, 5)
    >>> decimals_to_tell_apart(0.0733, 3.4066)
    3
    """
    candidates = [abs(first - second), min(abs(first), abs(second))]
    decimals = [max(0, 1 - math.floor(math.log10(value))) for value in candidates if value > 0]
    return min(6, max(decimals, default=2))


def _number(value: float, decimals: int, sign: bool = False) -> str:
    text = f"{value:+.{decimals}f}" if sign else f"{value:.{decimals}f}"
    # "-0.0" and "+0.0" say nothing a plain 0 does not.
    return text.lstrip("+-") if float(text) == 0 else text


def compare(record: dict) -> dict:
    """The headline of ``record`` against its baseline, as numbers and as formatted cells.

    Keys: ``title``, ``label``, ``baseline_label``, ``direction`` (+1 higher is better),
    ``ours``, ``baseline``, ``difference``, ``low``/``high`` (the 95% interval, or None),
    ``relative``/``relative_low``/``relative_high`` (the difference as a percentage of the
    baseline, signed so that positive is better for ours; None when the baseline is 0),
    ``verdict`` and the cells ``ours_cell``, ``baseline_cell``, ``difference_cell``.
    Percentages are shown times 100, their differences in percentage points.
    """
    headline, metrics = _checked_headline(record)
    for key in ("metric", "baseline_metric"):
        _format(metrics[getattr(headline, key)], headline.percent, record, key)
    sign = direction(headline)
    scale = 100.0 if headline.percent else 1.0
    ours, baseline = metrics[headline.metric], metrics[headline.baseline_metric]
    difference = ours - baseline
    low = metrics.get(headline.difference_low_metric) if headline.difference_low_metric else None
    high = metrics.get(headline.difference_high_metric) if headline.difference_high_metric else None
    if low is None or high is None:
        low = high = None
    spread = metrics.get(headline.spread_metric) if headline.spread_metric else None
    baseline_spread = (
        metrics.get(headline.baseline_spread_metric) if headline.baseline_spread_metric else None
    )
    unit = "%" if headline.percent else ""
    if spread:
        decimals = decimals_for_spread(scale * spread)
    elif low is not None and high > low:
        decimals = decimals_for_spread(scale * (high - low) / 2)
    else:
        decimals = decimals_to_tell_apart(scale * ours, scale * baseline)
    runs = f"{headline.seeds} seeds" if headline.seeds > 1 else "1 run"
    ours_cell = f"{_number(scale * ours, decimals)}{unit}"
    if spread is not None and headline.seeds > 1:
        ours_cell += f" ± {_number(scale * spread, decimals)}"
    ours_cell += f" ({runs})"
    baseline_cell = f"{_number(scale * baseline, decimals)}{unit}"
    if baseline_spread is not None and headline.seeds > 1:
        baseline_cell += f" ± {_number(scale * baseline_spread, decimals)}"
    points = " pp" if headline.percent else ""
    if low is not None and high > low:
        width = decimals_for_spread(scale * (high - low) / 2)
        difference_cell = (
            f"{_number(scale * difference, width, sign=True)}{points} "
            f"[{_number(scale * low, width, sign=True)}, {_number(scale * high, width, sign=True)}]"
        )
    else:
        difference_cell = f"{_number(scale * difference, decimals, sign=True)}{points}"
    relative = relative_low = relative_high = None
    if baseline != 0:
        relative = 100 * sign * difference / abs(baseline)
        if low is not None:
            relative_low, relative_high = sorted(
                (100 * sign * low / abs(baseline), 100 * sign * high / abs(baseline))
            )
    return {
        "recipe": record["recipe"],
        "title": headline.title,
        "label": headline.label,
        "baseline_label": headline.baseline_label,
        "seed_figure": headline.seed_figure,
        "direction": sign,
        "ours": ours,
        "baseline": baseline,
        "difference": difference,
        "low": low,
        "high": high,
        "relative": relative,
        "relative_low": relative_low,
        "relative_high": relative_high,
        "verdict": verdict(difference, low, high, sign),
        "ours_cell": ours_cell,
        "baseline_cell": baseline_cell,
        "difference_cell": difference_cell,
    }


def recipe_sources(root: str | os.PathLike = ROOT) -> dict[str, Path]:
    """Each recipe's ``recipes/NN_<name>.py`` under ``root``, keyed by ``<name>``."""
    sources = sorted(Path(root, "recipes").glob("[0-9][0-9]_*.py"))
    return {source.stem[3:]: source for source in sources}


def recipe_datasets(root: str | os.PathLike = ROOT) -> dict[str, str]:
    """The dataset each recipe names in its ``runs.start(..., dataset="...")`` call.

    Records do not store it; the recipe's source does. Recipes that pass none are left out.
    """
    import ast

    datasets = {}
    for name, source in recipe_sources(root).items():
        try:
            tree = ast.parse(source.read_text(encoding="utf-8"))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "start"
            ):
                for keyword in node.keywords:
                    if keyword.arg == "dataset" and isinstance(keyword.value, ast.Constant):
                        datasets[name] = str(keyword.value.value)
    return datasets


def cifar10_note(records: list[dict], root: str | os.PathLike = ROOT) -> str:
    """A sentence naming the recipes whose records read the book's CIFAR-10 copy from the data
    folder (one JPEG round trip), or '' when none did."""
    datasets = recipe_datasets(root)
    numbers = {name: source.stem[:2] for name, source in recipe_sources(root).items()}
    readers = [
        numbers[record["recipe"]]
        for record in records
        if datasets.get(record["recipe"]) == "cifar10" and record["data_source"] == "dir"
    ]
    if not readers:
        return ""
    named = readers[0] if len(readers) == 1 else ", ".join(readers[:-1]) + " and " + readers[-1]
    recipes = "Recipe" if len(readers) == 1 else "Recipes"
    return f"{recipes} {named} use CIFAR-10. {_CIFAR10_NOTE}"


def book_minutes(records: list[dict]) -> dict[str, float]:
    """Minutes of each full-profile record (the sum of its timed phases), keyed by recipe."""
    return {
        record["recipe"]: sum(record["seconds"].values()) / 60
        for record in records
        if record["profile"] == "full"
    }


def minutes_sentence(records: list[dict]) -> str:
    """One sentence: the full profile's minutes per recipe (range) and in all, from ``records``."""
    minutes = book_minutes(records)
    if not minutes:
        raise ValueError("No full-profile record: no minutes to state.")
    hardware = sorted(
        {_describe_hardware(record.get("hardware", {})) for record in records},
        key=str.lower,
    )
    # "a 2-core CPU (AMD EPYC)"; a GPU's name stands alone.
    hardware = [f"a {name}" if name[:1].isdigit() else name for name in hardware]
    total = sum(minutes.values())
    hours = f" (about {total / 60:.1f} hours)" if total >= 90 else ""
    return (
        f"On {' and '.join(hardware)}, the full-profile runs took {min(minutes.values()):.1f} to "
        f"{max(minutes.values()):.0f} minutes per recipe and {total:.0f} minutes{hours} for all "
        f"{len(minutes)} recipes (each the sum of its timed phases)."
    )


def glance_figure(comparisons: list[dict], path: str | os.PathLike) -> str:
    """Draw every recipe's headline against its baseline into ``path`` (SVG or PNG); return the
    figure's alt text.

    One row per recipe: the difference as a percentage of the baseline, signed so that right is
    better for ours, on a symmetric log scale (linear within 1%), with its 95% interval where the
    record carries one; filled markers for verdicts from an interval, open ones for single runs.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    colours = {
        "wins": "#1a7a3a",
        "ahead": "#1a7a3a",
        "ties": "#6b6b6b",
        "level": "#6b6b6b",
        "loses": "#b3261e",
        "behind": "#b3261e",
    }
    drawn = [item for item in comparisons if item["relative"] is not None]
    with pyplot.rc_context({"svg.hashsalt": "aebook", "font.size": 9}):
        figure, axes = pyplot.subplots(figsize=(7.0, 1.2 + 0.28 * max(len(drawn), 1)))
        for row, item in enumerate(drawn):
            colour = colours[item["verdict"]]
            if item["relative_low"] is not None:
                axes.plot(
                    [item["relative_low"], item["relative_high"]], [row, row], color=colour, lw=2
                )
            interval = item["verdict"] in ("wins", "ties", "loses")
            axes.plot(
                item["relative"],
                row,
                "o",
                color=colour,
                markerfacecolor=colour if interval else "white",
                markersize=6,
            )
        axes.axvline(0, color="black", lw=0.8)
        axes.set_xscale("symlog", linthresh=1.0)
        largest = max([abs(item["relative"]) for item in drawn] + [1.0])
        for item in drawn:
            for key in ("relative_low", "relative_high"):
                if item[key] is not None:
                    largest = max(largest, abs(item[key]))
        axes.set_xlim(-largest * 1.6, largest * 1.6)
        axes.xaxis.set_major_formatter(
            matplotlib.ticker.FuncFormatter(lambda value, _: f"{value:+g}%" if value else "0")
        )
        axes.set_yticks(range(len(drawn)), [item["title"] for item in drawn])
        axes.set_ylim(len(drawn) - 0.5, -0.5)
        axes.grid(axis="x", color="#dddddd", lw=0.6)
        axes.set_axisbelow(True)
        axes.set_xlabel(
            "headline minus baseline, % of the baseline (right: ours better; log scale past 1%)"
        )
        handles = [
            matplotlib.lines.Line2D([], [], marker="o", ls="-", color=colours[name], label=name)
            for name in ("wins", "ties", "loses")
        ] + [
            matplotlib.lines.Line2D(
                [],
                [],
                marker="o",
                ls="",
                color=colours[name],
                markerfacecolor="white",
                label=f"{name} (1 run)",
            )
            for name in ("ahead", "behind")
        ]
        axes.legend(
            handles=handles,
            loc="lower center",
            bbox_to_anchor=(0.5, 1.0),
            ncol=5,
            frameon=False,
            fontsize=8,
        )
        figure.tight_layout()
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, metadata={"Date": None} if str(path).endswith(".svg") else None)
        pyplot.close(figure)
    counts = verdict_counts(comparisons)
    described = ", ".join(f"{name} {counts[name]}" for name in VERDICTS if counts[name])
    return (
        f"Dot plot of {len(drawn)} recipes, one row each: the headline's difference from its "
        f"baseline as a percentage of the baseline, right meaning better for the recipe, with the "
        f"95% interval as a bar where the record has one. Verdicts: {described}."
    )


def verdict_counts(comparisons: list[dict]) -> dict[str, int]:
    """How many comparisons have each verdict (every name of :data:`VERDICTS`, 0 included)."""
    return {name: sum(item["verdict"] == name for item in comparisons) for name in VERDICTS}


_TABLE_COLUMNS = (
    "recipe",
    "what is measured",
    "ours",
    "strongest baseline",
    "difference [95% interval]",
    "verdict",
)


def results_table(records: list[dict], root: str | os.PathLike = ROOT) -> str:
    """The results page's table as Markdown: one compact row per record (ends with a newline)."""
    sources = recipe_sources(root)
    lines = ["| " + " | ".join(_TABLE_COLUMNS) + " |", "|" + "---|" * len(_TABLE_COLUMNS)]
    for record in records:
        item = compare(record)
        title = _cell(item["title"])
        source = sources.get(record["recipe"])
        recipe = f"[{title}](recipes/{source.stem}.ipynb)" if source else title
        measured = item["label"]
        if item["direction"] < 0 and "lower is better" not in measured.lower():
            measured += " (lower is better)"
        cells = (
            recipe,
            _cell(measured),
            item["ours_cell"],
            _cell(f"{item['baseline_label']}: {item['baseline_cell']}"),
            item["difference_cell"],
            f"**{item['verdict']}**" if item["verdict"] in ("wins", "loses") else item["verdict"],
        )
        lines.append("| " + " | ".join(cells) + " |")
    seeds = [
        f"{_cell(item['title'])}, {item['seed_figure']}"
        for item in map(compare, records)
        if item["seed_figure"]
    ]
    if seeds:
        lines += ["", "The seed texts' own figures, where they give one: " + "; ".join(seeds) + "."]
    return "\n".join(lines) + "\n"


def _grouped(pairs: list[tuple[str, str]], total: int) -> str:
    """``value`` when every record shares it, else each value with the recipes that have it."""
    values: dict[str, list[str]] = {}
    for title, value in pairs:
        values.setdefault(value, []).append(title)
    if len(values) == 1:
        return f"{next(iter(values))} (all {total} records)"
    return "; ".join(f"{value} ({', '.join(titles)})" for value, titles in values.items())


def run_details(records: list[dict], root: str | os.PathLike = ROOT) -> str:
    """The block under the table: profile, data, hardware, minutes and versions, said once."""
    titles = [headline_of(record).title for record in records]
    pairs = list(zip(titles, records, strict=True))
    total = len(records)

    def versions(record):
        found = record.get("versions", {})
        return "Python {}, TensorFlow {}, Keras {}".format(
            found.get("python", "?"), found.get("tensorflow", "?"), found.get("keras", "?")
        )

    columns = (
        ("Profile", lambda record: record["profile"]),
        (
            "Data",
            lambda record: data.SOURCE_LABELS.get(record["data_source"], record["data_source"]),
        ),
        ("Hardware", lambda record: _describe_hardware(record.get("hardware", {}))),
        ("Versions", versions),
    )
    lines = [
        f"- {name}: {_grouped([(title, describe(record)) for title, record in pairs], total)}."
        for name, describe in columns
    ]
    minutes = book_minutes(records)
    if minutes:
        by_title = {record["recipe"]: title for title, record in pairs}
        each = ", ".join(f"{by_title[name]} {value:.1f}" for name, value in minutes.items())
        lines.append(f"- Minutes: {minutes_sentence(records)} Per recipe: {each}.")
    note = cifar10_note(records, root)
    if note:
        lines.append(f"- {note}")
    return "\n".join(lines) + "\n"


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
        figure = Path(arguments.output).with_name(_FIGURE_NAME)
        text = page(arguments.results, arguments.root, figure)
    except ValueError as error:
        print(f"page: {error}", file=sys.stderr)
        return 1
    results.write_text_atomically(arguments.output, text)
    print(f"wrote {arguments.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
