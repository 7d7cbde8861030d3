"""The output check that the smoke tests apply to each recipe, on small made-up notebooks."""

import nbformat
import notebook_outputs
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

PATTERNS = [(r"\d+(\.\d+)? ?(s|ms|seconds)\b", "TIME")]


def _write(path, printed, unchecked="anything", tags=()):
    checked = new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(x)", outputs=printed)
    other = new_code_cell("print(y)", outputs=[new_output("stream", name="stdout", text=unchecked)])
    cells = [new_code_cell("x = 1", metadata={"tags": list(tags)}), checked, other]
    nbformat.write(new_notebook(cells=cells), str(path))
    return path


def _stdout(text):
    return [new_output("stream", name="stdout", text=text)]


def test_agreeing_outputs_and_sanitized_differences_pass(tmp_path):
    reference = _write(tmp_path / "a.ipynb", _stdout("shape (n, 28) in 3.2 s\n"), "full")
    executed = _write(tmp_path / "b.ipynb", _stdout("shape (n, 28) in 0.4 s\n"), "smoke")
    assert notebook_outputs.compare_checked_outputs(reference, executed, PATTERNS) == []


def test_a_changed_checked_output_is_reported(tmp_path):
    reference = _write(tmp_path / "a.ipynb", _stdout("shape (n, 28)\n"))
    executed = _write(tmp_path / "b.ipynb", _stdout("shape (n, 32)\n"))
    [problem] = notebook_outputs.compare_checked_outputs(reference, executed, PATTERNS)
    assert "cell 1" in problem and "stdout differs" in problem and "(n, 32)" in problem


@pytest.mark.parametrize(
    ("printed", "message"),
    [
        ([], "output kinds []"),
        ([new_output("stream", name="stderr", text="oops\n")], "output kinds ['stderr']"),
        ([*_stdout("a\n"), new_output("display_data", data={"text/plain": "b"})], "output kinds"),
    ],
)
def test_missing_or_extra_outputs_are_reported(tmp_path, printed, message):
    reference = _write(tmp_path / "a.ipynb", _stdout("shape\n"))
    executed = _write(tmp_path / "b.ipynb", printed)
    [problem] = notebook_outputs.compare_checked_outputs(reference, executed, PATTERNS)
    assert message in problem


def test_images_are_not_compared_but_text_beside_them_is(tmp_path):
    def figure(text, png):
        return [new_output("display_data", data={"image/png": png, "text/plain": text})]

    reference = _write(tmp_path / "a.ipynb", figure("<Figure 1>", "AAAA"))
    assert (
        notebook_outputs.compare_checked_outputs(
            reference, _write(tmp_path / "b.ipynb", figure("<Figure 1>", "BBBB")), PATTERNS
        )
        == []
    )
    [problem] = notebook_outputs.compare_checked_outputs(
        reference, _write(tmp_path / "c.ipynb", figure("<Figure 2>", "AAAA")), PATTERNS
    )
    assert "text/plain differs" in problem


def test_a_checked_cell_missing_from_the_execution_is_reported(tmp_path):
    reference = _write(tmp_path / "a.ipynb", _stdout("shape\n"))
    executed = tmp_path / "b.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("print(x)")]), str(executed))
    [problem] = notebook_outputs.compare_checked_outputs(reference, executed, PATTERNS)
    assert "not found in the executed notebook" in problem


def test_the_project_patterns_are_read_in_order():
    patterns = notebook_outputs.read_patterns(
        notebook_outputs.Path(__file__).with_name("nbval_sanitize.cfg")
    )
    assert [replacement for _, replacement in patterns] == ["TIME", "ADDRESS"]


def test_a_stream_split_in_pieces_equals_the_same_text_in_one_piece(tmp_path):
    # A sanitized stderr line between two prints leaves two stdout pieces; a new run prints one.
    pieces = [*_stdout("shape\n"), *_stdout("exact: True\n")]
    reference = _write(tmp_path / "a.ipynb", pieces)
    executed = _write(tmp_path / "b.ipynb", _stdout("shape\nexact: True\n"))
    assert notebook_outputs.compare_checked_outputs(reference, executed, PATTERNS) == []
    changed = _write(tmp_path / "c.ipynb", _stdout("shape\nexact: False\n"))
    assert notebook_outputs.compare_checked_outputs(reference, changed, PATTERNS)
