"""aelib.runs: one object gives a recipe its profile, seed, data, timer, banner and record."""

import json
import random

import IPython.display
import numpy as np
import pytest

from aelib import data, results, runs

HEADLINE = results.Headline(
    title="Demo", metric="ours", label="ours (dB)", baseline_metric="theirs", baseline_label="b"
)


@pytest.fixture
def shown(monkeypatch):
    pages = []
    monkeypatch.setattr(IPython.display, "display", lambda markdown: pages.append(markdown.data))
    return pages


def test_start_takes_the_profiles_share_and_says_what_ran(shown):
    run = runs.start(
        "demo", "smoke", seed=3, dataset="mnist", epochs=30, batch_size=128, learning_rate=1e-3
    )
    assert (run.epochs, run.batch_size) == (5, 64)
    assert run.x_train.shape == (2000, 28, 28, 1) and run.y_train.shape == (2000,)
    assert run.x_test.shape == (500, 28, 28, 1) and run.y_test.shape == (500,)
    assert run.dataset.source == "embedded" and "data" in run.seconds
    (banner,) = shown
    assert "Executed with the `smoke` profile" in banner and "seed 3" in banner
    assert "2,000 and 500 used" in banner and "learning rate 0.001" in banner


def test_start_seeds_every_generator_alike():
    draws = []
    for _ in range(2):
        runs.start("demo", "smoke", seed=7, show=False)
        draws.append((random.random(), np.random.rand()))
    assert draws[0] == draws[1]


def test_finish_writes_the_record_with_the_config_and_the_headline(tmp_path, capsys):
    run = runs.start("demo", "smoke", seed=1, dataset="mnist", show=False, noise=0.5, lr=2e-3)
    capsys.readouterr()
    with run.phase("train"):
        pass
    assert run.finish({"ours": 20.0, "theirs": 18.0}, HEADLINE, directory=tmp_path) is None
    path = run.record_path
    record = json.loads(path.read_text())
    assert path == tmp_path / "demo.json" and record["data_source"] == "embedded"
    assert record["config"] == {
        "seed": 1,
        "noise": 0.5,
        "lr": 2e-3,
        "epochs": 20,
        "batch_size": 128,
    }
    assert record["headline"]["title"] == "Demo" and set(record["seconds"]) == {"data", "train"}
    assert capsys.readouterr().out.startswith("wrote demo.json: 2 metrics and the headline row")


def test_an_override_of_the_profile_is_printed_never_silent(monkeypatch, shown):
    monkeypatch.setenv("AELIB_PROFILE", "smoke")
    run = runs.start("demo", "full", seed=0, dataset="mnist")
    assert run.profile.name == "smoke"
    assert "AELIB_PROFILE=smoke overrides the notebook's PROFILE parameter ('full')" in shown[0]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"recipe": "Demo"}, "recipe must be a lowercase identifier"),
        ({"recipe": "a-b"}, "recipe must be a lowercase identifier"),
        ({"seed": -1}, "seed must be an integer >= 0"),
        ({"seed": 1.5}, "seed must be an integer >= 0"),
        ({"dataset": "svhn"}, "dataset must be one of"),
        ({"profile": "fast"}, "Unknown profile 'fast'"),
        ({"code_sizes": (2, 4)}, r"code_sizes=\(2, 4\): a run's settings are numbers"),
    ],
)
def test_bad_arguments_are_named(arguments, message):
    arguments = {"recipe": "demo", "profile": "smoke", "seed": 0, "show": False, **arguments}
    with pytest.raises(ValueError, match=message):
        runs.start(arguments.pop("recipe"), arguments.pop("profile"), **arguments)


def test_finish_wants_a_headline_object(tmp_path):
    run = runs.start("demo", "smoke", seed=0, show=False)
    with pytest.raises(ValueError, match=r"headline must be an aelib\.results\.Headline"):
        run.finish({"ours": 1.0}, {"title": "Demo"}, directory=tmp_path)


def test_only_a_smoke_run_may_finish_without_a_headline(tmp_path, monkeypatch, capsys):
    run = runs.start("demo", "smoke", seed=0, show=False)
    run.finish({"ours": 1.0}, None, directory=tmp_path)
    assert "(no headline row)" in capsys.readouterr().out
    monkeypatch.setenv("AELIB_ALLOW_SAMPLE", "1")
    full = runs.start("demo", "full", seed=0, show=False)
    with pytest.raises(ValueError, match="full-profile run of demo must declare its headline"):
        full.finish({"ours": 1.0}, None, directory=tmp_path)


def test_the_datasets_a_run_accepts_are_the_ones_aelib_data_loads():
    assert runs.DATASETS is data.DATASETS
    assert set(data.DATASETS) == {"mnist", "cifar10"}
    with pytest.raises(ValueError, match="dataset must be one of"):
        runs.start("denoising", "smoke", seed=0, dataset="svhn", show=False)
