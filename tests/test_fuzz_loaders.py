"""Property-based tests: the loaders and profiles on random arrays, files and sizes.

Every call either returns a correct result (checked against invariants) or raises a ValueError
or RuntimeError whose message names the file or the argument.
"""

import operator
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from aelib import data, profiles

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
DTYPES = st.sampled_from(
    [np.uint8, np.int8, np.uint16, np.int64, np.float32, np.float64, np.bool_, np.complex64]
)


@st.composite
def good_images(draw, count):
    """uint8 (count, 28, 28) or (count, 28, 28, 1) pixels in 0-255, as keras.datasets has them."""
    shape = draw(st.sampled_from([(count, 28, 28), (count, 28, 28, 1)]))
    images = draw(hnp.arrays(np.uint8, shape, elements=st.integers(0, 255)))
    images.reshape(count, -1)[:, 0] = 255  # Hypothesis likes zeros; real digits reach 255.
    return images


@st.composite
def good_labels(draw, count):
    """Class labels 0-9, as (count,) or (count, 1), integers or whole floats."""
    dtype = draw(st.sampled_from([np.uint8, np.int64, np.int32, np.float64]))
    shape = draw(st.sampled_from([(count,), (count, 1)]))
    return draw(hnp.arrays(np.int64, shape, elements=st.integers(0, 9))).astype(dtype)


@st.composite
def any_images(draw, count):
    """Image arrays with random dtypes, shapes and value ranges, most of them wrong."""
    count = draw(st.sampled_from([count, 0]))
    shape = draw(
        st.sampled_from(
            [(count, 28, 28), (count, 28, 28, 1), (count, 28, 28, 3), (count, 28), (count, 7, 7)]
        )
    )
    dtype = draw(st.sampled_from([np.uint8, np.uint8, np.int16, np.float32, np.bool_]))
    high = draw(st.sampled_from([1, 2, 255]))
    values = draw(hnp.arrays(np.uint8, shape, elements=st.integers(0, high)))
    return values.astype(dtype)


@st.composite
def any_labels(draw, count):
    """Labels for ``count`` images or not: random dtypes, NaN, infinities, wrong shapes."""
    length = draw(st.sampled_from([count, count + 1, max(count - 1, 0)]))
    shape = draw(st.sampled_from([(length,), (length, 1), (length, 2), ()]))
    dtype = draw(DTYPES)
    if np.dtype(dtype).kind in "fc":
        elements = st.one_of(
            st.floats(-3, 12, width=32), st.sampled_from([np.nan, np.inf, -np.inf])
        )
    elif np.dtype(dtype).kind == "b":
        elements = st.booleans()
    else:
        info = np.iinfo(dtype)
        elements = st.integers(max(info.min, -3), min(info.max, 12))
    return draw(hnp.arrays(dtype, shape, elements=elements))


def _check_dataset(dataset, arrays):
    """The invariants of a Dataset built from ``arrays``."""
    assert dataset.source == "dir"
    for split in ("train", "test"):
        images, labels = getattr(dataset, f"x_{split}"), getattr(dataset, f"y_{split}")
        assert images.dtype == np.float32 and images.shape[1:] == (28, 28, 1)
        assert images.min() >= 0.0 and images.max() <= 1.0
        assert labels.dtype == np.int64 and labels.shape == (len(images),)
        assert len(images) > 0 and labels.min() >= 0 and labels.max() <= 9
        original = arrays[f"x_{split}"].reshape(len(images), 28, 28, 1)
        np.testing.assert_allclose(images * 255.0, original, atol=1e-3)
        np.testing.assert_array_equal(labels, arrays[f"y_{split}"].reshape(-1))


@FUZZ
@given(draw_from=st.data())
def test_any_data_folder_file_gives_a_dataset_or_a_clear_error(tmp_path, monkeypatch, draw_from):
    # One file in five is good; the others have one array drawn from the wild strategies.
    broken = draw_from.draw(st.sampled_from([None, "x_train", "y_train", "x_test", "y_test"]))
    arrays = {}
    for split in ("train", "test"):
        count = draw_from.draw(st.integers(1, 4), label=f"{split} count")
        images = good_images(count) if broken != f"x_{split}" else any_images(count)
        labels = good_labels(count) if broken != f"y_{split}" else any_labels(count)
        arrays[f"x_{split}"] = draw_from.draw(images, label=f"x_{split}")
        arrays[f"y_{split}"] = draw_from.draw(labels, label=f"y_{split}")
    folder = Path(tempfile.mkdtemp(dir=tmp_path))  # One folder per example.
    np.savez(folder / "mnist.npz", **arrays)
    monkeypatch.setenv("AELIB_DATA_DIR", str(folder))
    try:
        dataset = _load_without_warnings()
    except ValueError as error:
        message = str(error)
        assert str(folder / "mnist.npz") in message, message
        # The good arrays always pass, so the error must name the one drawn from the wild.
        assert broken is not None and broken in message, message
        assert "expected" in message, message
        return
    _check_dataset(dataset, arrays)


@FUZZ
@given(flips=st.lists(st.tuples(st.floats(0, 1), st.integers(1, 255)), min_size=1, max_size=4))
def test_a_corrupted_archive_gives_a_dataset_or_a_clear_error(tmp_path, monkeypatch, flips):
    """Flip random bytes of a good archive: the zip CRCs, the headers or the checks catch it."""
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
        "y_train": np.array([0, 5, 9], np.uint8),
        "x_test": rng.integers(0, 256, (2, 28, 28), dtype=np.uint8),
        "y_test": np.array([1, 2], np.uint8),
    }
    path = tmp_path / "mnist.npz"
    np.savez(path, **arrays)
    content = bytearray(path.read_bytes())
    for position, mask in flips:
        content[min(int(position * len(content)), len(content) - 1)] ^= mask
    path.write_bytes(bytes(content))
    monkeypatch.setenv("AELIB_DATA_DIR", str(tmp_path))
    try:
        dataset = _load_without_warnings()
    except ValueError as error:
        assert str(path) in str(error) and "expected" in str(error), str(error)
        return
    # A flip the zip format does not check (a name's case, an unused field) may load.
    _check_dataset(dataset, arrays)


@FUZZ
@given(cut=st.floats(0, 1, exclude_max=True))
def test_a_truncated_archive_raises_value_error_naming_it(tmp_path, monkeypatch, cut):
    path = tmp_path / "mnist.npz"
    np.savez(
        path,
        x_train=np.full((2, 28, 28), 200, np.uint8),
        y_train=np.array([1, 2]),
        x_test=np.full((1, 28, 28), 100, np.uint8),
        y_test=np.array([3]),
    )
    content = path.read_bytes()
    path.write_bytes(content[: int(cut * len(content))])
    monkeypatch.setenv("AELIB_DATA_DIR", str(tmp_path))
    with pytest.raises(ValueError) as raised:
        data.load_mnist(verbose=False)
    assert str(path) in str(raised.value)


def _load_without_warnings():
    with np.errstate(all="raise"):
        return data.load_mnist(source="dir", verbose=False)


SIZES = st.one_of(
    st.none(),
    st.integers(-3, 10**12),
    st.booleans(),
    st.floats(-2, 5000),
    st.just(float("nan")),
    st.sampled_from([np.int64(7), np.int32(-1), np.uint8(0), np.float64(3.0), "8", np.bool_(1)]),
)


def _is_positive_integer(value):
    if isinstance(value, bool | np.bool_) or value is None:
        return False
    try:
        return operator.index(value) >= 1
    except TypeError:
        return False


@FUZZ
@given(
    name=st.sampled_from(["smoke", "full", "Full", "", None]),
    epochs=SIZES,
    batch_size=SIZES,
    train_size=SIZES,
    test_size=SIZES,
)
def test_get_profile_gives_a_valid_profile_or_names_the_argument(
    name, epochs, batch_size, train_size, test_size
):
    arguments = {
        "epochs": epochs,
        "batch_size": batch_size,
        "train_size": train_size,
        "test_size": test_size,
    }
    valid = all(_is_positive_integer(arguments[key]) for key in ("epochs", "batch_size")) and all(
        arguments[key] is None or _is_positive_integer(arguments[key])
        for key in ("train_size", "test_size")
    )
    try:
        profile = profiles.get_profile(name, **arguments)
    except ValueError as error:
        message = str(error)
        assert name in ("Full", "", None) or not valid, message
        assert "profile" in message or any(key in message for key in arguments), message
        return
    assert valid and name in ("smoke", "full")
    caps = {"epochs": 5, "batch_size": 64, "train_size": 2000, "test_size": 500}
    for key, value in arguments.items():
        result = getattr(profile, key)
        assert result is None or (type(result) is int and result >= 1)
        if profile.name == "full":
            assert result == (None if value is None else int(value))
        else:
            expected = caps[key] if value is None else min(int(value), caps[key])
            assert result == expected
    assert profile.data_source == ("auto" if profile.name == "full" else "embedded")
    array = np.arange(3000)
    taken = profile.take(array, "train")
    assert len(taken) == min(len(array), profile.train_size or len(array))


@FUZZ
@given(epochs=SIZES, train_size=SIZES)
def test_a_profile_built_directly_is_valid_or_names_the_field(epochs, train_size):
    try:
        profile = profiles.Profile("full", "auto", epochs, 32, train_size, None)
    except ValueError as error:
        assert not (
            _is_positive_integer(epochs)
            and (train_size is None or _is_positive_integer(train_size))
        ), str(error)
        assert "epochs" in str(error) or "train_size" in str(error), str(error)
        return
    assert type(profile.epochs) is int and profile.epochs >= 1
    assert profile.train_size is None or (type(profile.train_size) is int)
    if profile.train_size is not None:
        assert len(profile.take(np.arange(10), "train")) == min(10, profile.train_size)
