import numpy as np
import pytest

from aelib import tables


def test_numbers_are_formatted_and_right_aligned():
    rows = [
        {"model": "dense", "code size": 32, "PSNR (dB)": 18.5612, "accuracy": 0.9812},
        {"model": "conv", "code size": np.int64(128), "PSNR (dB)": np.float32(24.9), "accuracy": 1},
    ]
    text = tables.markdown_table(rows, formats={"PSNR (dB)": ".2f", "accuracy": ".1%"})
    assert text.splitlines() == [
        "| model | code size | PSNR (dB) | accuracy |",
        "|---|---:|---:|---:|",
        "| dense | 32 | 18.56 | 98.1% |",
        "| conv | 128 | 24.90 | 100.0% |",
    ]


def test_mixed_columns_are_left_aligned_and_missing_values_are_dashes():
    rows = [
        {"name": "a", "value": 1.0},
        {"name": "b", "value": "n/a"},
        {"name": "c", "value": None},
    ]
    lines = tables.markdown_table(rows).splitlines()
    assert lines[1] == "|---|---|"
    assert lines[3:] == ["| b | n/a |", "| c | - |"]
    assert tables.format_value(float("nan")) == "-"


def test_pipes_inside_cells_are_escaped():
    text = tables.markdown_table([{"a|b": "x|y"}])
    assert text.splitlines()[0] == "| a\\|b |" and text.splitlines()[2] == "| x\\|y |"


@pytest.mark.parametrize(
    ("rows", "formats", "message"),
    [
        ([], None, "non-empty list"),
        ({"a": 1}, None, "non-empty list"),
        ([{"a": 1}, {"b": 2}], None, r"rows\[1\] has the columns \['b'\]"),
        ([{"a": 1}, ["a", 1]], None, r"rows\[1\] must be a dict"),
        ([{}], None, "no columns"),
        ([{1: 2}], None, "not text"),
        ([{"a": 1}], {"b": ".2f"}, r"no row has: \['b'\]"),
        ([{"a": 1.5}], {"a": "d"}, "does not apply"),
    ],
)
def test_bad_tables_are_rejected_with_the_reason(rows, formats, message):
    with pytest.raises(ValueError, match=message):
        tables.markdown_table(rows, formats=formats)
