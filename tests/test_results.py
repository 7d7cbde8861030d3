import os

import numpy as np
import pytest

from aelib import results


def test_record_has_the_documented_keys(tmp_path):
    path = results.save_record(
        "vanilla", "smoke", "embedded", {"dense_bce": np.float32(0.1)}, {"train": 1.5}, tmp_path
    )
    record = results.load_record(path)
    assert path == tmp_path / "vanilla.json"
    assert list(record) == [
        "recipe",
        "profile",
        "data_source",
        "metrics",
        "seconds",
        "versions",
        "hardware",
    ]
    assert record["metrics"] == {"dense_bce": pytest.approx(0.1)}
    assert record["versions"]["numpy"] == np.__version__
    assert record["hardware"]["cpu_count"] >= 1


def test_default_directory_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("AELIB_RESULTS_DIR", str(tmp_path / "elsewhere"))
    path = results.save_record("sparse", "smoke", "embedded", {}, {})
    assert path.parent == tmp_path / "elsewhere"


def test_write_is_atomic_and_leaves_no_temporary_files(tmp_path, monkeypatch):
    results.save_record("vanilla", "full", "dir", {"a": 1.0}, {}, tmp_path)

    def fail(*args, **kwargs):
        raise OSError("disk full (test)")

    # The failure strikes after the temporary file is written, before it replaces the record.
    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        results.save_record("vanilla", "full", "dir", {"a": 2.0}, {}, tmp_path)
    # The old record is intact and no half-written file is left behind.
    assert results.load_record(tmp_path / "vanilla.json")["metrics"] == {"a": 1.0}
    assert os.listdir(tmp_path) == ["vanilla.json"]


@pytest.mark.parametrize(
    ("recipe", "metrics", "message"),
    [
        ("Vanilla AE", {}, "lowercase"),
        ("vanilla", {"bce": float("nan")}, "not finite"),
        ("vanilla", {"bce": "low"}, "not a number"),
        ("vanilla", [("bce", 1.0)], "mapping"),
    ],
)
def test_bad_records_raise_value_error(tmp_path, recipe, metrics, message):
    with pytest.raises(ValueError, match=message):
        results.save_record(recipe, "smoke", "embedded", metrics, {}, tmp_path)


@pytest.mark.parametrize(
    ("profile", "data_source", "message"),
    [("medium", "dir", "profile"), ("full", "internet", "data_source")],
)
def test_unknown_profile_or_source_raises_value_error(tmp_path, profile, data_source, message):
    with pytest.raises(ValueError, match=message):
        results.save_record("vanilla", profile, data_source, {}, {}, tmp_path)


def test_load_record_rejects_incomplete_files(tmp_path):
    (tmp_path / "x.json").write_text('{"recipe": "x"}')
    with pytest.raises(ValueError, match="lacks the keys"):
        results.load_record(tmp_path / "x.json")
    (tmp_path / "y.json").write_text("{")
    with pytest.raises(ValueError, match="not valid JSON"):
        results.load_record(tmp_path / "y.json")


def test_phase_timer_accumulates():
    timer = results.PhaseTimer()
    for _ in range(2):
        with timer("train"):
            sum(range(1000))
    assert set(timer.seconds) == {"train"} and timer.seconds["train"] >= 0


def test_records_name_the_keras_backend_that_ran():
    import keras

    versions = results.describe_versions()
    assert versions["keras_backend"] == keras.backend.backend()
    assert versions["keras"] == keras.__version__
    # Only a backend the process imported is asked about its GPUs; none is a list either way.
    assert isinstance(results.describe_hardware()["gpus"], list)
