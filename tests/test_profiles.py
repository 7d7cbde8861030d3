import numpy as np
import pytest

from aelib import profiles


def test_full_keeps_the_recipe_sizes():
    profile = profiles.get_profile("full", epochs=30, batch_size=256)
    assert (profile.epochs, profile.batch_size, profile.data_source) == (30, 256, "auto")
    assert profile.train_size is None
    array = np.arange(10)
    assert profile.take(array, "train") is array


def test_smoke_caps_sizes_and_uses_embedded_data():
    profile = profiles.get_profile("smoke", epochs=30, batch_size=256, train_size=500)
    assert profile.data_source == "embedded"
    assert profile.epochs == 5 and profile.batch_size == 64
    assert profile.train_size == 500 and profile.test_size == 500
    assert len(profile.take(np.arange(5000), "train")) == 500
    assert len(profile.take(np.arange(5000), "test")) == 500
    # A recipe asking for less than a cap keeps its own size.
    assert profiles.get_profile("smoke", epochs=3, batch_size=32).epochs == 3


def test_environment_variable_overrides_the_parameter(monkeypatch):
    monkeypatch.setenv("AELIB_PROFILE", "smoke")
    assert profiles.get_profile("full").name == "smoke"


@pytest.mark.parametrize(
    "arguments",
    [{"name": "fast"}, {"epochs": 0}, {"batch_size": 2.5}, {"train_size": -1}, {"epochs": True}],
)
def test_bad_arguments_raise_value_error(arguments):
    with pytest.raises(ValueError):
        profiles.get_profile(**arguments)


def test_bad_split_raises_value_error():
    with pytest.raises(ValueError, match="split"):
        profiles.get_profile("smoke").take(np.arange(3), "validation")
