"""benchmarks.k_sparse_search refuses bad settings before it loads anything."""

import pytest

from benchmarks import k_sparse_search


@pytest.mark.parametrize(
    "arguments",
    [["--epochs", "0"], ["--batch-size", "-1"], ["--learning-rate", "0"], ["--encoder", "deep"]],
)
def test_bad_settings_are_refused_with_a_usage_error(arguments, capsys):
    with pytest.raises(SystemExit) as raised:
        k_sparse_search.main(arguments)
    assert raised.value.code == 2
    assert "error:" in capsys.readouterr().err
