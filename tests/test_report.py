import json
import re
from pathlib import Path

import pytest

from aelib import results
from booktools import book, report

ROOT = Path(__file__).resolve().parents[1]


# Headlines as three recipes declare them (this test's copy; booktools.report knows none).
HEADLINES = {
    "vanilla": {
        "title": "Vanilla",
        "metric": "ae_32_psnr",
        "label": "dense autoencoder, 32-number code, PSNR (dB)",
        "baseline_metric": "pca_32_psnr",
        "baseline_label": "PCA, 32 components",
    },
    "dimensionality_reduction": {
        "title": "Dimensionality reduction",
        "metric": "ae_4_knn_accuracy",
        "label": "autoencoder, 4-number codes, 5-NN accuracy",
        "baseline_metric": "pca_4_knn_accuracy",
        "baseline_label": "PCA, 4 components, 5-NN",
        "seed_figure": "79% (a classifier on 32-number codes)",
        "percent": True,
    },
    "super_resolution": {
        "title": "Super-resolution",
        "metric": "subpixel_psnr",
        "label": "residual sub-pixel x2, PSNR (dB)",
        "baseline_metric": "bicubic_psnr",
        "baseline_label": "bicubic",
    },
}


def _headline(recipe):
    return {"seed_figure": "", "percent": False, **HEADLINES[recipe]}


def _write(folder, recipe, metrics, seconds=None, hardware=None):
    return (
        results.save_record(
            recipe,
            "full",
            "dir",
            metrics,
            seconds or {"train": 120.0, "evaluate": 60.0},
            folder,
            _headline(recipe),
        )
        if hardware is None
        else _write_with_hardware(folder, recipe, metrics, hardware)
    )


def _write_with_hardware(folder, recipe, metrics, hardware):
    path = results.save_record(
        recipe, "full", "dir", metrics, {"train": 60.0}, folder, _headline(recipe)
    )
    record = json.loads(path.read_text())
    record["hardware"] = hardware
    path.write_text(json.dumps(record))
    return path


def test_table_has_one_row_per_record_in_book_order(tmp_path):
    _write(tmp_path, "super_resolution", {"subpixel_psnr": 28.944, "bicubic_psnr": 26.19})
    _write(tmp_path, "vanilla", {"ae_32_psnr": 24.3, "pca_32_psnr": 18.561})
    _write(
        tmp_path,
        "dimensionality_reduction",
        {"ae_4_knn_accuracy": 0.9843, "pca_4_knn_accuracy": 0.98},
    )
    lines = report.headline_table(tmp_path).splitlines()
    assert len(lines) == 2 + 3
    assert [line.split(" | ")[0] for line in lines[2:]] == [
        "| Vanilla",
        "| Dimensionality reduction",
        "| Super-resolution",
    ]
    vanilla = lines[2].split(" | ")
    assert vanilla[2:5] == ["24.30", "PCA, 32 components", "18.56"]
    assert "98.4%" in lines[3] and "79%" in lines[3]  # Percent metrics, and the seed's figure.
    assert "3 min" in lines[2] and "data folder" in lines[2]


def test_hardware_names_the_gpu_when_there_is_one(tmp_path):
    hardware = {"cpu": "x", "cpu_count": 16, "gpus": ["NVIDIA H100 80GB HBM3"]}
    _write(tmp_path, "vanilla", {"ae_32_psnr": 30.0, "pca_32_psnr": 18.0}, hardware=hardware)
    assert "NVIDIA H100 80GB HBM3" in report.headline_table(tmp_path)


def test_missing_metric_and_missing_folder_raise_value_error(tmp_path):
    with pytest.raises(ValueError, match="pca_32_psnr"):
        _write(tmp_path, "vanilla", {"ae_32_psnr": 24.3})  # Refused when saved...
    path = results.save_record("vanilla", "full", "dir", {"ae_32_psnr": 24.3}, {}, tmp_path)
    record = json.loads(path.read_text())
    record["headline"] = _headline("vanilla")
    path.write_text(json.dumps(record))
    with pytest.raises(ValueError, match="pca_32_psnr"):
        report.headline_table(tmp_path)  # ...and when a record edited by hand is published.
    with pytest.raises(ValueError, match="No results folder"):
        report.headline_table(tmp_path / "absent")


def test_every_committed_record_has_its_headline_metrics():
    table = report.headline_table(ROOT / "results")
    assert len(table.splitlines()) == 2 + len(list((ROOT / "results").glob("*.json")))


def test_readme_table_goes_stale_when_a_result_changes(synced_copy):
    tmp_path = synced_copy
    # The copy has no git history: keep the aelib pin its recipes hold (only README is at stake).
    pin = re.search(r"aelib @ git\+\S+@(\w+)", (tmp_path / "recipes" / "01_vanilla.py").read_text())
    assert not book.find_stale_files(tmp_path, revision=pin.group(1))
    record_path = tmp_path / "results" / "vanilla.json"
    record = json.loads(record_path.read_text())
    headline = record["headline"]["metric"]
    record["metrics"][headline] += 1.0
    # The interval of the difference moves with the number it bounds.
    for key in ("difference_low_metric", "difference_high_metric"):
        if record["headline"].get(key):
            record["metrics"][record["headline"][key]] += 1.0
    record_path.write_text(json.dumps(record))
    assert book.find_stale_files(tmp_path, revision=pin.group(1)) == [tmp_path / "README.md"]
    book.sync_files(tmp_path, revision=pin.group(1))
    assert f"{record['metrics'][headline]:.2f}" in (tmp_path / "README.md").read_text()


def test_page_command_writes_the_table(tmp_path):
    _write(tmp_path, "vanilla", {"ae_32_psnr": 24.3, "pca_32_psnr": 18.56})
    output = tmp_path / "book" / "results.md"
    assert report.main(["page", str(output), "--results", str(tmp_path)]) == 0
    text = output.read_text()
    assert "\n# Results\n" in text and "| [Vanilla](recipes/01_vanilla.ipynb) |" in text
    assert not list(output.parent.glob(".results.md.*"))  # No temporary file is left behind.
    # The figure at a glance is drawn beside the page, which shows it with its alt text.
    figure = output.parent / "results_at_a_glance.svg"
    assert figure.read_text().lstrip().startswith("<?xml")
    assert "```{figure} results_at_a_glance.svg\n:alt: Dot plot of 1 recipes" in text


def _declared(title, metric, baseline, **extra):
    return {
        "title": title,
        "metric": metric,
        "label": f"{metric} label",
        "baseline_metric": baseline,
        "baseline_label": f"{baseline} label",
        **extra,
    }


def test_a_declared_headline_needs_no_entry_here_and_book_order_follows_the_notebooks(
    tmp_path, monkeypatch
):
    # A recipe this module knows nothing about: its record says what its headline is.
    (tmp_path / "recipes").mkdir()
    for source in ("01_zeta.py", "02_alpha.py"):
        (tmp_path / "recipes" / source).write_text("")
    monkeypatch.chdir(tmp_path)
    metrics = {"ours": 0.91, "theirs": 0.5}
    for recipe, title in (("alpha", "Alpha"), ("zeta", "Zeta")):
        headline = _declared(title, "ours", "theirs", seed_figure="80%", percent=True)
        results.save_record(recipe, "full", "dir", metrics, {"train": 60.0}, "out", headline)
    lines = report.headline_table("out", root=tmp_path).splitlines()
    assert [line.split(" | ")[0] for line in lines[2:]] == ["| Zeta", "| Alpha"]
    assert lines[2].split(" | ")[1:6] == ["ours label", "91.0%", "theirs label", "50.0%", "80%"]
    assert report.missing_records("out", root=tmp_path) == []
    (tmp_path / "recipes" / "03_beta.py").write_text("")
    assert report.missing_records("out", root=tmp_path) == ["beta"]


def test_a_record_without_a_headline_is_named_and_never_published(tmp_path):
    results.save_record("vanilla", "full", "dir", {"ae_32_psnr": 24.3}, {"train": 1.0}, tmp_path)
    with pytest.raises(ValueError, match="The vanilla record declares no headline"):
        report.headline_table(tmp_path)
    (why,) = report.offending_records(tmp_path).values()
    assert "declares no headline" in why


@pytest.mark.parametrize(
    ("headline", "message"),
    [
        (_declared("A", "absent", "theirs"), r"headline\['metric'\] is 'absent'"),
        (_declared("A", "ours", "theirs", percent="yes"), r"headline\['percent'\] must be bool"),
        (_declared("", "ours", "theirs"), r"headline\['title'\] is empty"),
        ({"title": "A", "metric": "ours"}, "headline lacks"),
        (_declared("A", "ours", "theirs", colour="red"), r"unknown keys \['colour'\]"),
        (["ours"], "headline must be a Headline"),
        (_declared("A|B", "ours", "theirs"), "one line and no '\\|'"),
        (_declared("A", "ours", "theirs", seed_figure="1\n2"), "one line"),
    ],
)
def test_a_malformed_headline_is_refused_when_saved(tmp_path, headline, message):
    with pytest.raises(ValueError, match=message):
        results.save_record(
            "alpha", "full", "dir", {"ours": 1.0, "theirs": 0.5}, {}, tmp_path, headline
        )


def test_a_percentage_must_be_a_fraction(tmp_path):
    headline = _declared("A", "ours", "theirs", percent=True)
    with pytest.raises(ValueError, match=r"ours is 24.3, not a fraction in \[0, 1\]"):
        results.save_record(
            "alpha", "full", "dir", {"ours": 24.3, "theirs": 0.5}, {}, tmp_path, headline
        )
    # A record edited by hand is refused when the table is made, not shown as "2430.0%".
    path = results.save_record("alpha", "full", "dir", {"ours": 24.3, "theirs": 0.5}, {}, tmp_path)
    record = json.loads(path.read_text())
    record["headline"] = {**headline, "seed_figure": ""}
    path.write_text(json.dumps(record))
    with pytest.raises(ValueError, match="not a fraction"):
        report.headline_rows([record])


def test_a_label_edited_by_hand_cannot_split_a_row(tmp_path):
    _write(tmp_path, "vanilla", {"ae_32_psnr": 24.3, "pca_32_psnr": 18.56})
    path = tmp_path / "vanilla.json"
    record = json.loads(path.read_text())
    record["headline"]["label"] = "a | b\nc"
    rows = report.headline_rows([record])
    assert rows[0]["headline"] == "a | b\nc"
    cells = [report._cell(value) for value in rows[0].values()]
    assert "a \\| b c" in cells
    assert all("\n" not in cell for cell in cells)


def test_headline_objects_and_mappings_make_the_same_record(tmp_path):
    metrics = {"ours": 0.9, "theirs": 0.5}
    declared = results.Headline(
        title="A", metric="ours", label="l", baseline_metric="theirs", baseline_label="b"
    )
    first = results.save_record("alpha", "full", "dir", metrics, {}, tmp_path / "a", declared)
    second = results.save_record(
        "alpha", "full", "dir", metrics, {}, tmp_path / "b", _declared("A", "ours", "theirs")
    )
    assert json.loads(first.read_text())["headline"]["label"] == "l"
    assert set(json.loads(first.read_text())["headline"]) == set(
        json.loads(second.read_text())["headline"]
    )


def _one(tmp_path, metrics, **headline):
    """The record of recipe 'vanilla' with ``headline`` (title, labels filled in)."""
    declared = {"title": "Vanilla", "label": "l", "baseline_label": "b", **headline}
    path = results.save_record(
        "vanilla", "full", "dir", metrics, {"train": 60.0}, tmp_path, declared
    )
    return json.loads(path.read_text())


@pytest.mark.parametrize(
    ("metric", "label", "expected"),
    [
        ("ae_32_psnr", "PSNR (dB)", 1),
        ("codec_at_jpeg_near_half_bpp_psnr", "PSNR at 0.5 bpp", 1),  # The last measure counts.
        ("ae_sum_auc_mean", "AUC", 1),
        ("cvae_frechet", "Fréchet distance", -1),
        ("seed_vae_negative_elbo", "negative ELBO", -1),
        ("vae_elbo", "ELBO", 1),
        ("ae_2_embed_seconds", "seconds", -1),
        ("relu_l1_mean_activation", "mean code activation", -1),
        ("some_score", "a score (lower is better)", -1),  # The label decides first.
        ("ae_psnr", "PSNR, odd (higher is better)", 1),
    ],
)
def test_direction_comes_from_the_label_then_from_the_metric_key(metric, label, expected):
    headline = results.Headline("t", metric, label, "baseline", "b")
    assert report.direction(headline) == expected


def test_a_headline_that_says_no_direction_is_refused():
    headline = results.Headline("Scores", "some_score", "a score", "baseline", "b")
    with pytest.raises(ValueError, match=r"'Scores' \(some_score\) does not say which way"):
        report.direction(headline)


def test_every_committed_headline_has_a_direction_its_label_does_not_contradict():
    for record in report.load_records(ROOT / "results"):
        headline = report.headline_of(record)
        sign = report.direction(headline)
        # Where the label states it, the metric key's words (when they decide) agree.
        unstated = results.Headline(
            headline.title, headline.metric, "-", headline.baseline_metric, "-"
        )
        try:
            assert report.direction(unstated) == sign, record["recipe"]
        except ValueError:
            assert "is better" in headline.label.lower(), record["recipe"]


@pytest.mark.parametrize(
    ("difference", "low", "high", "sign", "expected"),
    [
        (0.003, -0.002, 0.008, 1, "ties"),
        (0.003, 0.001, 0.005, 1, "wins"),
        (-0.003, -0.005, -0.001, 1, "loses"),
        (-45.0, -47.0, -43.0, -1, "wins"),  # Lower is better: a negative interval wins.
        (2.0, 1.0, 3.0, -1, "loses"),
        (0.0, 0.0, 0.0, 1, "ties"),
        (2.3, None, None, 1, "ahead"),
        (2.3, None, None, -1, "behind"),
        (0.0, None, None, 1, "level"),
    ],
)
def test_verdict(difference, low, high, sign, expected):
    assert report.verdict(difference, low, high, sign) == expected


@pytest.mark.parametrize(
    ("spread", "decimals"),
    [(0.004, 3), (0.0042, 3), (0.014, 3), (0.0196, 2), (0.0096, 3), (1.19, 1), (2.2, 0), (23.0, 0)],
)
def test_a_number_gets_the_decimals_of_its_spread(spread, decimals):
    assert report.decimals_for_spread(spread) == decimals


def test_a_spread_must_be_positive():
    with pytest.raises(ValueError, match="finite number > 0"):
        report.decimals_for_spread(0.0)


def test_single_runs_get_just_enough_decimals_to_show_their_difference():
    assert report.decimals_to_tell_apart(20.855, 18.559) == 1
    assert report.decimals_to_tell_apart(0.9816, 0.9842) == 4
    assert report.decimals_to_tell_apart(0.0733, 3.4066) == 3  # The smaller number keeps 2 digits.
    assert report.decimals_to_tell_apart(5.0, 5.0) == 1  # Equal: two digits of the value.
    assert report.decimals_to_tell_apart(1e-9, 2e-9) == 6  # Never more than six.


def test_a_mean_over_seeds_shows_its_spread_and_its_interval(tmp_path):
    # The style guide's example: 0.957 ± 0.004 (5 seeds), +0.003 [-0.002, +0.008]: a tie.
    metrics = {"ae_auc": 0.957, "pca_auc": 0.954, "std": 0.004, "low": -0.002, "high": 0.008}
    record = _one(
        tmp_path,
        metrics,
        metric="ae_auc",
        baseline_metric="pca_auc",
        seeds=5,
        spread_metric="std",
        difference_low_metric="low",
        difference_high_metric="high",
    )
    item = report.compare(record)
    assert item["ours_cell"] == "0.957 ± 0.004 (5 seeds)"
    assert item["baseline_cell"] == "0.954"
    assert item["difference_cell"] == "+0.003 [-0.002, +0.008]"
    assert item["verdict"] == "ties"


def test_percentages_lower_is_better_and_single_runs(tmp_path):
    metrics = {
        "probe_accuracy": 0.82052,
        "pca_accuracy": 0.68672,
        "std": 0.01328,
        "pca_std": 0.02055,
        "low": 0.1223,
        "high": 0.1453,
    }
    item = report.compare(
        _one(
            tmp_path / "a",
            metrics,
            metric="probe_accuracy",
            baseline_metric="pca_accuracy",
            percent=True,
            seeds=10,
            spread_metric="std",
            baseline_spread_metric="pca_std",
            difference_low_metric="low",
            difference_high_metric="high",
        )
    )
    assert (item["ours_cell"], item["baseline_cell"]) == ("82.1% ± 1.3 (10 seeds)", "68.7% ± 2.1")
    assert (item["difference_cell"], item["verdict"]) == ("+13.4 pp [+12.2, +14.5]", "wins")
    lower = report.compare(
        _one(
            tmp_path / "b",
            {"vq_frechet": 19.95, "vae_frechet": 64.92},
            metric="vq_frechet",
            baseline_metric="vae_frechet",
        )
    )
    assert lower["direction"] == -1 and lower["verdict"] == "ahead"
    assert (lower["ours_cell"], lower["baseline_cell"]) == ("20 (1 run)", "65")
    assert lower["relative"] > 0  # Right of zero in the figure: better for ours.


def test_the_page_shows_a_figure_a_table_and_the_run_details_once(tmp_path):
    output = tmp_path / "results.md"
    figure = tmp_path / "results_at_a_glance.svg"
    text = report.page(ROOT / "results", figure=figure)
    records = report.load_records(ROOT / "results")
    counts = report.verdict_counts([report.compare(record) for record in records])
    assert figure.stat().st_size > 0
    summary = ", ".join(f"{name} {counts[name]}" for name in report.VERDICTS if counts[name])
    assert f"Verdicts: {summary}." in text  # Above the table and in the figure's alt text.
    assert text.count(summary) == 2
    rows = [line for line in text.splitlines() if line.startswith("| [")]
    assert len(rows) == len(records)
    # Each record's versions and hardware are said once below the table, not per row.
    versions = records[0]["versions"]["tensorflow"]
    assert all(versions not in row for row in rows)
    assert "## How these numbers were run" in text
    assert text.index("## How these numbers were run") > text.index(rows[-1])
    # Recipes 04, 07 and 09 read the data folder's CIFAR-10, which went through a JPEG round trip.
    assert "Recipes 04, 07 and 09 use CIFAR-10" in text and "JPEG round trip" in text
    output.write_text(text)


def test_the_cifar10_note_follows_the_recipes_sources_and_records():
    records = report.load_records(ROOT / "results")
    datasets = report.recipe_datasets()
    assert {name for name, dataset in datasets.items() if dataset == "cifar10"} == {
        "colorization",
        "super_resolution",
        "compression",
    }
    downloaded = [
        {**record, "data_source": "keras"} if record["recipe"] == "compression" else record
        for record in records
    ]
    assert "Recipes 04 and 07 use CIFAR-10" in report.cifar10_note(downloaded)
    mnist_only = [record for record in records if datasets.get(record["recipe"]) != "cifar10"]
    assert report.cifar10_note(mnist_only) == ""


def test_the_readme_states_the_minutes_the_records_sum_to(synced_copy):
    records = report.load_records(synced_copy / "results")
    assert report.minutes_sentence(records) in (ROOT / "README.md").read_text()
    pin = re.search(
        r"aelib @ git\+\S+@(\w+)", (synced_copy / "recipes" / "01_vanilla.py").read_text()
    )
    path = synced_copy / "results" / "vanilla.json"
    record = json.loads(path.read_text())
    record["seconds"] = {"train": 6000.0}
    path.write_text(json.dumps(record))
    assert book.find_stale_files(synced_copy, revision=pin.group(1)) == [synced_copy / "README.md"]
    book.sync_files(synced_copy, revision=pin.group(1))
    total = sum(report.book_minutes(report.load_records(synced_copy / "results")).values())
    assert f"and {total:.0f} minutes" in (synced_copy / "README.md").read_text()
