"""The appendix page that collects the benchmark reports (benchmarks/appendix.py)."""

import json
import shutil

import pytest

from benchmarks import appendix
from booktools import report as book_report


def test_the_page_holds_every_report_one_level_down_under_its_command():
    text = appendix.page()
    headings = [line for line in text.splitlines() if line.startswith("#")]
    # One title for the page; each report's own title becomes a section.
    assert [line for line in headings if line.startswith("# ")] == [
        "# How the configurations were chosen"
    ]
    for name, command in appendix.SECTIONS:
        report = (appendix.RESULTS / name).read_text()
        title = report.splitlines()[0]
        assert "#" + title in headings, title
        assert f"Reproduce with `{command}`." in text
        # The tables come through unchanged (but the book's minutes, computed anew, below).
        report = report.split(appendix._BOOK_MINUTES)[0]
        table_rows = [line for line in report.splitlines() if line.startswith("| ")]
        assert table_rows and all(row in text for row in table_rows), name


def test_a_missing_or_untitled_report_is_named(tmp_path):
    with pytest.raises(ValueError, match=r"time_to_quality\.md is missing: run `make bench"):
        appendix.page(tmp_path)
    for name, _ in appendix.SECTIONS:
        (tmp_path / name).write_text("no title\n")
    with pytest.raises(ValueError, match="must start with a '# ' heading"):
        appendix.page(tmp_path)


def test_the_command_writes_the_page(tmp_path):
    out = tmp_path / "appendix.md"
    assert appendix.main([str(out)]) == 0
    assert out.read_text() == appendix.page()


def test_the_book_minutes_are_summed_from_the_records_not_copied_from_the_report(tmp_path):
    records = book_report.load_records(appendix.RECORDS)
    minutes = book_report.book_minutes(records)
    text = appendix.page()
    (statement,) = [line for line in text.splitlines() if line.startswith(appendix._BOOK_MINUTES)]
    assert f"{sum(minutes.values()):.0f} minutes" in statement
    assert f"all {len(minutes)} recipes" in statement
    for record in records:
        title = book_report.headline_of(record).title
        assert f"| {title} | {minutes[record['recipe']]:.1f} |" in text
    # A record that changes changes the page: nothing about the total is typed.
    shutil.copytree(appendix.RECORDS, tmp_path / "records")
    path = tmp_path / "records" / "vanilla.json"
    record = json.loads(path.read_text())
    record["seconds"] = {"train": 6000.0}
    path.write_text(json.dumps(record))
    changed = appendix.page(records=tmp_path / "records")
    total = sum(minutes.values()) - minutes["vanilla"] + 100.0
    assert f"{total:.0f} minutes" in changed and "| Vanilla | 100.0 |" in changed
