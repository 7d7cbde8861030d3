import json
import os
import re
import stat
from pathlib import Path

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


def test_records_are_public_and_flushed_before_the_rename(tmp_path, monkeypatch):
    calls = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda *a: (calls.append("replace"), real_replace(*a))[1])
    path = results.save_record("vanilla", "full", "dir", {"a": 1.0}, {}, tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    # The file's data reaches the disk before the rename, the folder entry after it.
    assert calls == ["fsync", "replace", "fsync"]


@pytest.mark.parametrize(
    ("recipe", "metrics", "seconds", "message"),
    [
        ("Vanilla AE", {}, {}, "lowercase"),
        ("vanilla", {"bce": float("nan")}, {}, "metrics['bce'] is not finite"),
        ("vanilla", {"bce": float("inf")}, {}, "metrics['bce'] is not finite"),
        ("vanilla", {"bce": np.float32("-inf")}, {}, "metrics['bce'] is not finite"),
        ("vanilla", {"bce": "low"}, {}, "metrics['bce'] is not a number: 'low'"),
        ("vanilla", {"bce": "1.5"}, {}, "metrics['bce'] is not a number: '1.5'"),
        ("vanilla", {"bce": True}, {}, "metrics['bce'] is not a number: True"),
        ("vanilla", {"bce": np.bool_(False)}, {}, "metrics['bce'] is not a number"),
        ("vanilla", {"bce": None}, {}, "metrics['bce'] is not a number: None"),
        ("vanilla", {"bce": [0.1]}, {}, "metrics['bce'] is not a number: [0.1]"),
        ("vanilla", {"bce": np.array([0.1, 0.2])}, {}, "metrics['bce'] is not a number"),
        ("vanilla", {"bce": 1 + 2j}, {}, "metrics['bce'] is not a number"),
        ("vanilla", {"bce": 10**400}, {}, "metrics['bce'] is not finite"),
        ("vanilla", {"": 1.0}, {}, "metrics keys must be non-empty strings"),
        ("vanilla", {3: 1.0}, {}, "metrics keys must be non-empty strings"),
        ("vanilla", [("bce", 1.0)], {}, "metrics must be a mapping"),
        ("vanilla", {}, {"train": -1.0}, "seconds['train'] is -1.0; expected >= 0"),
        ("vanilla", {}, {"train": "60"}, "seconds['train'] is not a number"),
        ("vanilla", {}, None, "seconds must be a mapping"),
    ],
)
def test_bad_records_raise_value_error_naming_the_key(tmp_path, recipe, metrics, seconds, message):
    with pytest.raises(ValueError, match=re.escape(message) if recipe == "vanilla" else message):
        results.save_record(recipe, "smoke", "embedded", metrics, seconds, tmp_path)
    assert not list(tmp_path.iterdir())  # Nothing is written half.


def test_numbers_of_every_numeric_kind_are_stored_as_floats(tmp_path):
    metrics = {"a": 1, "b": np.float32(0.5), "c": np.int64(7), "d": np.array(0.25), "e": -3.0}
    path = results.save_record("vanilla", "smoke", "embedded", metrics, {"train": 0}, tmp_path)
    stored = results.load_record(path)["metrics"]
    assert stored == {"a": 1.0, "b": 0.5, "c": 7.0, "d": 0.25, "e": -3.0}


@pytest.mark.parametrize(
    ("profile", "data_source", "message"),
    [
        ("medium", "dir", "profile"),
        ("full", "internet", "data_source"),
        ("full", "auto", "data_source"),
        (None, "dir", "profile"),
        ("full", ["dir"], "data_source"),
    ],
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


def _good_record():
    return {
        "recipe": "vanilla",
        "profile": "full",
        "data_source": "dir",
        "metrics": {"bce": 0.1},
        "seconds": {"train": 1.0},
        "versions": {"numpy": "2.0"},
        "hardware": {"cpu": "x", "cpu_count": 2, "gpus": []},
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("null", "holds null; expected a JSON object"),
        ("3", "holds 3; expected a JSON object"),
        ("[1, 2]", "holds [1, 2]; expected a JSON object"),
        ('"vanilla"', 'holds "vanilla"; expected a JSON object'),
        ("", "not valid JSON"),
        ("\udcff", "not valid JSON"),
        ("[" * 100_000, "not valid JSON"),
    ],
)
def test_load_record_rejects_json_that_is_not_an_object(tmp_path, text, message):
    path = tmp_path / "record.json"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(ValueError, match=re.escape(message)) as raised:
        results.load_record(path)
    assert str(path) in str(raised.value)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("recipe", 3, "recipe must be a lowercase identifier"),
        ("recipe", "Vanilla", "recipe must be a lowercase identifier"),
        ("profile", "medium", "profile must be one of"),
        ("profile", None, "profile must be one of"),
        ("data_source", "auto", "data_source must be one of"),
        ("data_source", ["dir"], "data_source must be one of"),
        ("metrics", {"bce": "0.1"}, "metrics['bce'] is not a number"),
        ("metrics", {"bce": float("nan")}, "metrics['bce'] is not finite"),
        ("metrics", {"bce": True}, "metrics['bce'] is not a number"),
        ("metrics", {"bce": None}, "metrics['bce'] is not a number"),
        ("metrics", [0.1], "metrics must be a mapping"),
        ("metrics", None, "metrics must be a mapping"),
        ("seconds", {"train": -2.0}, "seconds['train'] is -2.0; expected >= 0"),
        ("seconds", {"train": float("inf")}, "seconds['train'] is not finite"),
        ("seconds", 60, "seconds must be a mapping"),
        ("versions", {"numpy": 2}, "versions must map package names to version strings"),
        ("versions", "2.0", "versions must map package names to version strings"),
        ("hardware", "a laptop", "hardware must be a mapping"),
    ],
)
def test_load_record_checks_every_key(tmp_path, key, value, message):
    record = _good_record()
    record[key] = value
    path = tmp_path / "vanilla.json"
    path.write_text(json.dumps(record))
    with pytest.raises(ValueError, match=re.escape(message)) as raised:
        results.load_record(path)
    assert str(raised.value).startswith(f"{path}: ")


def test_load_record_accepts_a_good_record_and_every_committed_one(tmp_path):
    path = tmp_path / "vanilla.json"
    path.write_text(json.dumps(_good_record()))
    assert results.load_record(path) == _good_record()
    committed = sorted((Path(__file__).resolve().parents[1] / "results").glob("*.json"))
    assert committed
    for path in committed:
        assert results.load_record(path)["profile"] == "full"


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


def test_write_text_atomically_sets_or_keeps_the_mode(tmp_path):
    script = tmp_path / "run.sh"
    script.write_text("old\n")
    script.chmod(0o755)
    results.write_text_atomically(script, "new\n", mode=None)
    assert script.read_text() == "new\n" and script.stat().st_mode & 0o777 == 0o755
    results.write_text_atomically(script, "public\n")
    assert script.stat().st_mode & 0o777 == 0o644
    fresh = tmp_path / "sub" / "page.md"
    results.write_text_atomically(fresh, "page\n", mode=None)
    assert fresh.stat().st_mode & 0o777 == 0o644
    assert sorted(path.name for path in tmp_path.rglob("*")) == ["page.md", "run.sh", "sub"]


def test_an_empty_directory_argument_is_refused_not_read_as_the_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="directory is empty"):
        results.save_record("vanilla", "full", "dir", {"a": 1.0}, {}, directory="")
    assert not (tmp_path / "results").exists()


def test_a_results_setting_that_names_a_file_is_named(tmp_path, monkeypatch):
    afile = tmp_path / "taken"
    afile.write_text("")
    monkeypatch.setenv("AELIB_RESULTS_DIR", str(afile))
    with pytest.raises(ValueError, match=r"AELIB_RESULTS_DIR is '.*taken', which is a file"):
        results.save_record("vanilla", "full", "dir", {"a": 1.0}, {})
    with pytest.raises(ValueError, match=r"directory is '.*taken', which is a file"):
        results.save_record("vanilla", "full", "dir", {"a": 1.0}, {}, directory=afile)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"rates": (1, 2)}, r"config\['rates'\] is \(1, 2\)"),
        ({"": 1}, "config keys must be non-empty strings"),
        ([1], "config must be a mapping"),
    ],
)
def test_a_bad_config_is_refused(tmp_path, config, message):
    with pytest.raises(ValueError, match=message):
        results.save_record("vanilla", "full", "dir", {"a": 1.0}, {}, tmp_path, config=config)


def _seeded_headline(**changes):
    fields = dict(
        title="Vanilla",
        metric="deep_psnr",
        label="deep autoencoder, PSNR (dB)",
        baseline_metric="pca_psnr",
        baseline_label="PCA",
        seeds=5,
        spread_metric="deep_psnr_std",
        difference_low_metric="gain_low",
        difference_high_metric="gain_high",
    )
    return results.Headline(**(fields | changes))


SEEDED_METRICS = {
    "deep_psnr": 14.5,
    "deep_psnr_std": 0.1,
    "pca_psnr": 12.8,
    "gain_low": 1.6,
    "gain_high": 1.8,
}


def test_a_headline_over_seeds_is_stored_with_its_spread_and_interval(tmp_path):
    path = results.save_record(
        "vanilla", "full", "dir", SEEDED_METRICS, {}, tmp_path, headline=_seeded_headline()
    )
    headline = results.load_record(path)["headline"]
    assert headline["seeds"] == 5 and headline["spread_metric"] == "deep_psnr_std"
    assert list(headline) == list(results.HEADLINE_KEYS)


@pytest.mark.parametrize(
    ("changes", "metrics", "message"),
    [
        ({"spread_metric": ""}, SEEDED_METRICS, r"\['spread_metric'\] are empty"),
        ({"difference_low_metric": "nowhere"}, SEEDED_METRICS, "'nowhere', which is not in"),
        ({"seeds": 0}, SEEDED_METRICS, r"'seeds'\] is 0; it must be >= 1"),
        ({"seeds": True}, SEEDED_METRICS, r"'seeds'\] must be int"),
        # The interval must hold the difference it claims to bound.
        ({}, SEEDED_METRICS | {"gain_low": 2.0, "gain_high": 2.2}, "outside its 95% interval"),
    ],
)
def test_a_headline_over_seeds_without_its_spread_is_refused(tmp_path, changes, metrics, message):
    with pytest.raises(ValueError, match=message):
        results.save_record(
            "vanilla", "full", "dir", metrics, {}, tmp_path, headline=_seeded_headline(**changes)
        )


def test_a_record_written_before_the_seed_fields_still_loads(tmp_path):
    path = results.save_record(
        "vanilla", "full", "dir", SEEDED_METRICS, {}, tmp_path, headline=_seeded_headline()
    )
    record = json.loads(path.read_text())
    for key in ("seeds", "spread_metric", "baseline_spread_metric"):
        del record["headline"][key]
    for key in ("difference_low_metric", "difference_high_metric"):
        del record["headline"][key]
    path.write_text(json.dumps(record))
    assert results.load_record(path)["headline"]["title"] == "Vanilla"
