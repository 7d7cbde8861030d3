import dataclasses
import re

import numpy as np
import pytest

from aelib import profiles


def test_full_keeps_the_recipe_sizes():
    profile = profiles.get_profile("full", epochs=30, batch_size=256)
    # "auto" loads the real dataset only (aelib.data refuses to fall back to the sample).
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


def test_the_parameter_is_the_one_channel_and_an_override_is_named(monkeypatch):
    # get_profile reads no environment: a profile comes from the notebook's parameter...
    monkeypatch.setenv("AELIB_PROFILE", "smoke")
    assert profiles.get_profile("full").name == "full"
    # ...and the named override is resolved apart, with the sentence the page prints.
    name, sentence = profiles.resolve_name("full")
    assert name == "smoke" and "AELIB_PROFILE=smoke overrides" in sentence and "'full'" in sentence
    assert profiles.resolve_name("smoke") == ("smoke", None)
    monkeypatch.delenv("AELIB_PROFILE")
    assert profiles.resolve_name("full") == ("full", None)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"name": "fast"}, "Unknown profile 'fast'"),
        ({"name": 3}, "Unknown profile 3"),
        ({"epochs": 0}, "epochs must be a positive integer, not 0"),
        ({"batch_size": 2.5}, "batch_size must be a positive integer, not 2.5"),
        ({"train_size": -1}, "train_size must be a positive integer, not -1"),
        ({"test_size": np.int64(-3)}, "test_size must be a positive integer, not -3"),
        ({"epochs": True}, "epochs must be a positive integer, not True"),
        ({"epochs": np.bool_(True)}, "epochs must be a positive integer"),
        ({"batch_size": "64"}, "batch_size must be a positive integer, not '64'"),
        ({"batch_size": None}, "batch_size must be a positive integer, not None"),
        ({"train_size": np.float64(100.0)}, "train_size must be a positive integer"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(arguments, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        profiles.get_profile(**{"name": "full", **arguments})


def test_numpy_integer_sizes_are_accepted_as_ints():
    profile = profiles.get_profile(
        "full", epochs=np.int64(3), batch_size=np.int32(32), train_size=np.uint16(100)
    )
    assert (profile.epochs, profile.batch_size, profile.train_size) == (3, 32, 100)
    assert all(type(value) is int for value in (profile.epochs, profile.batch_size))
    assert profiles.get_profile("smoke", train_size=np.int64(10**9)).train_size == 2000


def test_a_bad_environment_profile_is_named(monkeypatch):
    monkeypatch.setenv("AELIB_PROFILE", "Full")
    with pytest.raises(ValueError, match="AELIB_PROFILE is 'Full'"):
        profiles.resolve_name("smoke")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("train_size", -5, "train_size must be a positive integer, not -5"),
        ("test_size", 0, "test_size must be a positive integer, not 0"),
        ("epochs", -1, "epochs must be a positive integer, not -1"),
        ("batch_size", 0, "batch_size must be a positive integer, not 0"),
        ("epochs", False, "epochs must be a positive integer, not False"),
        ("name", "medium", "Profile name must be one of"),
        ("data_source", "internet", "data_source must be one of"),
    ],
)
def test_a_profile_built_directly_is_checked_too(field, value, message):
    """A negative size used to drop items silently: array[:-5] is all but the last five."""
    fields = {
        "name": "full",
        "data_source": "auto",
        "epochs": 3,
        "batch_size": 32,
        "train_size": None,
        "test_size": None,
    }
    fields[field] = value
    with pytest.raises(ValueError, match=re.escape(message)):
        profiles.Profile(**fields)
    good = profiles.Profile(**{**fields, field: profiles.get_profile("full").__dict__[field]})
    with pytest.raises(ValueError, match=re.escape(message)):
        dataclasses.replace(good, **{field: value})


def test_a_profile_built_directly_takes_numpy_sizes():
    profile = profiles.Profile("smoke", "embedded", np.int64(2), 8, np.int64(4), None)
    assert profile.epochs == 2 and type(profile.train_size) is int
    assert len(profile.take(np.arange(10), "train")) == 4


def test_bad_split_raises_value_error():
    with pytest.raises(ValueError, match="split"):
        profiles.get_profile("smoke").take(np.arange(3), "validation")
