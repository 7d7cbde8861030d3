"""nbval's output check, applied to a notebook that has already been executed.

``pytest --nbval-lax`` executes a notebook again and compares, in the cells marked
``# NBVAL_CHECK_OUTPUT``, the new outputs with the committed ones after its sanitizing regexes.
The smoke tests execute every recipe once anyway; :func:`compare_checked_outputs` makes the
same comparison on that execution, with nbval's own helpers and the same rules (images and
metadata are not compared; each stream's pieces are merged, then compared by stream name;
outputs of one kind keep their order).
"""

from __future__ import annotations

import copy
import re
from collections import defaultdict
from pathlib import Path

import nbformat
from nbval.plugin import (
    coalesce_streams,
    find_comment_markers,
    get_sanitize_patterns,
    transform_streams_for_comparison,
)

# The output keys nbval skips by default (without --nbdime it skips images as well).
_SKIP = {
    "metadata",
    "traceback",
    "prompt_number",
    "output_type",
    "name",
    "execution_count",
    "application/vnd.jupyter.widget-view+json",
    "image/png",
    "image/jpeg",
}


def read_patterns(path: str | Path) -> list[tuple[str, str]]:
    """The (regex, replacement) pairs of an nbval sanitize file, in order."""
    return get_sanitize_patterns(Path(path).read_text())


def compare_checked_outputs(
    reference: str | Path, executed: str | Path, patterns: list[tuple[str, str]]
) -> list[str]:
    """One message per checked cell whose outputs differ; empty when they all agree."""
    reference_notebook = nbformat.read(str(reference), as_version=4)
    executed_cells = _code_cells_by_source(nbformat.read(str(executed), as_version=4))
    problems = []
    for index, cell in enumerate(reference_notebook.cells):
        if cell.cell_type != "code" or "check" not in dict(find_comment_markers(cell.source)):
            continue
        label = f"{Path(reference).name} cell {index} ({cell.source.splitlines()[0]!r}...)"
        matches = executed_cells.get(cell.source)
        if not matches:
            problems.append(f"{label}: not found in the executed notebook {executed}")
            continue
        expected = _flatten(cell.outputs, patterns)
        found = _flatten(matches.pop(0).outputs, patterns)
        if set(expected) != set(found):
            problems.append(
                f"{label}: output kinds {sorted(found)} where the committed notebook has "
                f"{sorted(expected)}"
            )
            continue
        for key, values in expected.items():
            if values != found[key]:
                problems.append(
                    f"{label}: {key} differs.\n--- committed\n{_show(values)}\n"
                    f"--- executed\n{_show(found[key])}"
                )
    return problems


def _code_cells_by_source(notebook) -> dict[str, list]:
    cells = defaultdict(list)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cells[cell.source].append(cell)
    return cells


def _flatten(outputs, patterns) -> dict[str, list]:
    """nbval's layout: one list of sanitized values per output field or MIME type."""
    flat = defaultdict(list)
    # As nbval does, merge each stream's pieces: how a kernel splits its prints does not matter.
    outputs = coalesce_streams(copy.deepcopy(list(outputs)))
    for output in transform_streams_for_comparison(outputs):
        for key, value in output.items():
            if key in _SKIP:
                continue
            if key == "data":
                for mime, content in value.items():
                    if mime not in _SKIP:
                        flat[mime].append(_sanitize(content, patterns))
            else:
                flat[key].append(_sanitize(value, patterns))
    return dict(flat)


def _sanitize(value, patterns):
    if isinstance(value, list):  # Multi-line text can be stored as a list of lines.
        value = "".join(value)
    if not isinstance(value, str):
        return value
    for regex, replacement in patterns:
        value = re.sub(regex, replacement, value)
    return value


def _show(values: list) -> str:
    return "\n".join(str(value)[:2000] for value in values)
