"""benchmarks.denoiser_search: its checks, its choice and report on tiny made-up images, and the
settings recipe 03 states against the committed report."""

import ast
import json
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from aelib import data
from benchmarks import denoiser_search

ROOT = Path(__file__).resolve().parents[1]


def _pairs(count=6, seed=0):
    """Clean squares on black (count, 28, 28, 1) in [0, 1], and a biased, noisy copy of them."""
    clean = np.zeros((count, 28, 28, 1), dtype=np.float32)
    for index in range(count):
        corner = 4 + 2 * index
        clean[index, corner : corner + 10, corner : corner + 8] = 1.0
    noise = np.random.default_rng(seed).normal(0.0, 0.3, size=clean.shape)
    return clean, np.clip(clean + noise, 0.0, 1.0).astype(np.float32)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--noise-factor", "0"], "noise factor must be > 0"),
        (["--noise-factor", "nan"], "noise factor must be a finite number"),
        (["--noise-mean", "inf"], "noise mean must be a finite number"),
        (["--seed", "-1"], "seed must be an integer >= 0"),
        (["--tuning-size", "0"], "tuning size must be an integer >= 1"),
    ],
)
def test_bad_settings_are_refused_before_anything_loads(arguments, message, monkeypatch):
    def no_loading(*_, **__):
        raise AssertionError("loaded data before checking the settings")

    monkeypatch.setattr(data, "load_mnist", no_loading)
    with pytest.raises(ValueError, match=message):
        denoiser_search.main(arguments)


def test_a_setting_that_is_not_a_number_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as raised:
        denoiser_search.main(["--tuning-size", "many"])
    assert raised.value.code == 2 and "error:" in capsys.readouterr().err


def test_the_search_keeps_the_best_de_biased_setting_of_each_grid():
    clean, noisy = _pairs()
    candidates = {
        "input": ("noisy input, de-biased", np.asarray, {}),
        "gaussian": ("Gaussian blur", ndimage.gaussian_filter, {"sigma": (0.0, 1.0)}),
        "pca": ("PCA projection", None, {"components": (1, 4)}),
    }
    found = denoiser_search.search(clean, noisy, clean, seed=0, candidates=candidates)
    assert list(found) == ["input", "gaussian", "pca"]
    gaussian = found["gaussian"]
    assert [trial["settings"] for trial in gaussian["trials"]] == [{"sigma": 0.0}, {"sigma": 1.0}]
    # The choice is the trial with the best PSNR after the de-bias; sigma 0 is the noisy input.
    best = max(gaussian["trials"], key=lambda trial: trial["tuning_psnr"])
    assert gaussian["settings"] == best["settings"] == {"sigma": 1.0}
    assert gaussian["trials"][0]["tuning_psnr"] == pytest.approx(found["input"]["tuning_psnr"])
    # PCA fitted on the clean images themselves rebuilds them best with more directions.
    assert found["pca"]["settings"] == {"components": 4}
    assert found["pca"]["tuning_psnr"] > found["gaussian"]["tuning_psnr"]


def test_the_de_bias_undoes_an_affine_change_and_a_tie_keeps_the_first_setting():
    clean, _ = _pairs()
    dimmed = 0.5 * clean + 0.2  # a = 2, b = -0.4 give the clean images back exactly.
    # A denoiser that ignores its setting scores the same at both: the first one is kept.
    best = denoiser_search.tune(lambda image, order: image, {"order": (1, 2)}, dimmed, clean)
    assert best["settings"] == {"order": 1} and len(best["trials"]) == 2
    assert best["debias_slope"] == pytest.approx(2.0, abs=1e-4)
    assert best["debias_intercept"] == pytest.approx(-0.4, abs=1e-4)
    assert best["tuning_psnr"] > 59.0  # Exact up to float32 rounding; PSNR is capped at 60 dB.


def test_the_report_is_written_as_json_and_markdown_with_the_choice_in_bold(tmp_path):
    clean, noisy = _pairs()
    candidates = {"median": ("median filter", ndimage.median_filter, {"size": (3, 5)})}
    methods = denoiser_search.search(clean, noisy, clean, seed=0, candidates=candidates)
    report = {
        "recipe": "03_denoising",
        "date": "2026-12-07",
        "data": "made-up squares",
        "noise_factor": 0.3,
        "noise_mean": 0.0,
        "seed": 0,
        "held_out": 6,
        "tuning_pairs": 6,
        "pca_images": 6,
        "seconds": 1.0,
        "hardware": "a test, 1 cores",
        "methods": methods,
    }
    json_path, markdown_path = denoiser_search.write_report(report, tmp_path / "search")
    saved = json.loads(json_path.read_text())["methods"]["median"]
    assert saved["settings"] == methods["median"]["settings"] and len(saved["trials"]) == 2
    text = markdown_path.read_text()
    assert text.startswith("# Classical denoisers: the settings tried for recipe 03 (2026-12-07)")
    chosen = methods["median"]["settings"]["size"]
    rows = [line for line in text.splitlines() if line.startswith("| ") and "size" in line]
    # One row in the table of choices, then each size tried, the chosen one in bold.
    assert len(rows) == 3 and f"size {chosen}" in rows[0]
    assert [("**" in row) for row in rows[1:]] == [chosen == 3, chosen == 5]
    assert not list(tmp_path.glob(".search*")), "a temporary file was left behind"


def test_recipe_03_states_the_settings_the_committed_search_chose():
    # The recipe's parameters cell states SETTINGS as a literal; the report holds the choice.
    source = (ROOT / "recipes" / "03_denoising.py").read_text()
    assignments = [
        node
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign)
        and any(isinstance(target, ast.Name) and target.id == "SETTINGS" for target in node.targets)
    ]
    assert len(assignments) == 1, "recipe 03 must assign SETTINGS once, at module level"
    stated = ast.literal_eval(assignments[0].value)
    report = json.loads((ROOT / "benchmarks" / "results" / "denoiser_search.json").read_text())
    methods = report["methods"]
    assert stated == {key: methods[key]["settings"] for key in methods if key != "input"}
    # Every chosen value came from its grid, and the search ran with the recipe's configuration.
    for method in report["methods"].values():
        for name, value in method["settings"].items():
            assert value in method["grid"][name], (method["label"], name, value)
    declared = denoiser_search.time_to_quality.declared_config("03_denoising")
    assert report["seed"] == declared["seed"]
    assert report["noise_factor"] == declared["noise_factor"]
    assert report["noise_mean"] == declared["noise_mean"]
    assert report["tuning_pairs"] == declared["tuning_size"]


def test_the_command_searches_the_embedded_sample_with_the_recipes_noise(tmp_path, capsys):
    output = tmp_path / "search"
    assert denoiser_search.main(["--sample", "--tuning-size", "4", "--output", str(output)]) == 0
    report = json.loads(output.with_suffix(".json").read_text())
    # The embedded sample's 4,000 training images: the last tenth is held out, 4 pairs of it used.
    assert (report["held_out"], report["tuning_pairs"], report["pca_images"]) == (400, 4, 3600)
    assert report["seed"] == 42 and report["noise_factor"] == 0.5
    assert list(report["methods"]) == list(denoiser_search.CANDIDATES)
    for key, (_, _, grid) in denoiser_search.CANDIDATES.items():
        trials = report["methods"][key]["trials"]
        assert len(trials) == int(np.prod([len(values) for values in grid.values()])), key
    assert "embedded sample" in output.with_suffix(".md").read_text()
    assert "wrote" in capsys.readouterr().out
