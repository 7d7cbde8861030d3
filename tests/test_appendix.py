"""The appendix page that collects the benchmark reports (benchmarks/appendix.py)."""

import pytest

from benchmarks import appendix


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
        # The tables come through unchanged.
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
