"""Numbers in a recipe's prose come from its run: text and outputs cannot drift apart.

Every decimal number and every percentage in a committed notebook's Markdown (outside math and
code spans) must be printed by one of its code cells' outputs or written in its code (a setting,
a seed figure in its HEADLINE), or be a figure the page quotes from elsewhere, listed below with
its source. The outputs in turn match ``results/*.json`` (tests/test_book.py).
"""

import json
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "recipes").glob("[0-9][0-9]_*.ipynb"))

# A decimal such as 20.89 or 0.1022 (1,234.5 too), or a number followed by a percent sign.
NUMBER = re.compile(r"(?<![\w.$\\{])(\d+(?:,\d{3})*\.\d+|\d+(?:\.\d+)?(?=\s?%))")

# The header's statement of the full profile's time: "the full profile took 5.7 minutes on a
# 2-core CPU". It must be the committed record's sum of timed phases, to a tenth of a minute.
HEADER_TIME = re.compile(r"the full profile took (\d+\.\d) minutes on a (\d+)-core CPU")

# Figures a page quotes from a paper, a seed or a version history, not from its own run.
QUOTED = {
    "05_sparse": {"3.14": "the Keras version that changed activity_regularizer"},
    "06_vae": {
        "150.3794": "seed 001's val_loss of its 784-256-2 VAE",
        "86.76": "Burda et al. 2016: a VAE with one stochastic layer, k = 1",
    },
    "07_super_resolution": {
        weight: "ITU-R BT.601 luma weights, as MATLAB's rgb2ycbcr applies them"
        for weight in ("65.481", "128.553", "24.966")
    },
    "08_pretext": {
        "9.6": "section 9.6 of seed 003",
        "1.06": "Rasmus et al. 2015: ladder network (MLP), MNIST test error with 100 labels",
    },
    "10_anomaly_detection": {
        "0.5": "the AUC of a coin toss",
        "1.0": "the AUC of a perfect ranking",
        "0.975": "Gong et al. (ICCV 2019), memory-augmented autoencoder",
        "0.962": "Gong et al. (ICCV 2019), plain autoencoder",
        "30": "Gong et al.'s share of anomalies in resampled test sets",
    },
    "09_compression": {
        "6.1": "the appendix section of Ballé et al. (2018) with the factorized density",
    },
    "19_thin_digits": {"0.5": "the AUC of a coin toss"},
    "20_vq_vae": {
        "4.67": "van den Oord et al. (2017): VQ-VAE on CIFAR-10, bits per dimension",
        "4.51": "van den Oord et al. (2017): continuous VAE on CIFAR-10, bits per dimension",
    },
    "21_masked_autoencoder": {
        "75": "He et al. (2022): the share of patches masked",
        "87.8": "He et al. (2022): fine-tuned ViT-Huge, ImageNet-1K top-1 accuracy",
    },
}


def prose_numbers(notebook) -> list[str]:
    """The decimal numbers and percentages of a notebook's Markdown, outside math and code, and
    outside the header's time of the full profile (checked against the record below)."""
    prose = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    prose = HEADER_TIME.sub(" ", prose)
    for span in (r"\$\$.*?\$\$", r"\$[^$\n]*\$", r"`[^`]*`"):
        prose = re.sub(span, " ", prose, flags=re.DOTALL)
    return NUMBER.findall(prose)


def run_text(notebook) -> str:
    """The code and the text outputs of a notebook's code cells, joined."""
    pieces = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        pieces.append(cell.source)
        for output in cell.outputs:
            pieces.append(output.get("text", ""))
            for kind, value in output.get("data", {}).items():
                if kind.startswith("text/"):
                    pieces.append(value if isinstance(value, str) else "".join(value))
    return "\n".join(pieces)


def test_the_pattern_finds_decimals_and_percentages_but_not_math_or_code():
    markdown = nbformat.v4.new_markdown_cell(
        "PSNR 20.89 dB, 84.2% and 85 % of digits; 1,234.5 s; $x = 0.5$ and `rate=0.25`; 12 runs."
    )
    notebook = nbformat.v4.new_notebook(cells=[markdown])
    assert prose_numbers(notebook) == ["20.89", "84.2", "85", "1,234.5"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_every_number_in_the_prose_comes_from_the_run_or_a_named_source(path):
    notebook = nbformat.read(path, as_version=4)
    text, quoted = run_text(notebook), QUOTED.get(path.stem, {})
    unexplained = [
        number for number in prose_numbers(notebook) if number not in text and number not in quoted
    ]
    assert not unexplained, (
        f"{path.name}: the prose states {unexplained}, which no output of the run prints; print "
        "them from the code, or name their source in QUOTED"
    )


def test_every_quoted_figure_is_still_on_its_page():
    for stem, figures in QUOTED.items():
        notebook = nbformat.read(ROOT / "recipes" / f"{stem}.ipynb", as_version=4)
        stale = sorted(set(figures) - set(prose_numbers(notebook)))
        assert not stale, f"{stem}.ipynb no longer quotes {stale}; remove them from QUOTED"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_the_header_states_the_full_profiles_time_from_the_record(path):
    notebook = nbformat.read(path, as_version=4)
    header = notebook.cells[0].source
    found = HEADER_TIME.search(" ".join(header.split()))
    assert found, (
        f"{path.name}: the header must say 'the full profile took M.M minutes on a C-core CPU'"
    )
    name = re.search(r'runs\.start\(\s*"(\w+)"', path.with_suffix(".py").read_text()).group(1)
    record = json.loads((ROOT / "results" / f"{name}.json").read_text())
    minutes = sum(record["seconds"].values()) / 60
    stated, cores = float(found.group(1)), int(found.group(2))
    assert abs(stated - minutes) <= 0.05 + 1e-9, (
        f"{path.name} says {stated} minutes; results/{name}.json's phases sum to {minutes:.1f}"
    )
    assert cores == record["hardware"]["cpu_count"], (path.name, record["hardware"])


def _metrics(name: str) -> dict[str, float]:
    return json.loads((ROOT / "results" / f"{name}.json").read_text())["metrics"]


def test_static_sentences_about_a_run_still_hold_for_its_record():
    # Sentences written in Markdown (not generated) that describe a committed run: each is
    # checked here against the record, so a re-run that changes the picture fails this test.
    anomaly = _metrics("anomaly_detection")
    # 10: "the two sums end within a few thousandths of each other" and "their plain errors
    # score alike, digit by digit".
    assert abs(anomaly["ae_sum_auc_mean"] - anomaly["pca_sum_auc_mean"]) < 0.01
    for digit in range(10):
        plain = anomaly[f"ae_auc_digit_{digit}"], anomaly[f"pca_auc_digit_{digit}"]
        assert abs(plain[0] - plain[1]) < 0.03, (digit, plain)
    # 10: "the code density lifts both models by about as much".
    lifts = [anomaly[f"{m}_sum_auc_mean"] - anomaly[f"{m}_auc_mean"] for m in ("ae", "pca")]
    assert min(lifts) > 0 and abs(lifts[0] - lifts[1]) < 0.01, lifts
    # 09: "ahead of all five classical codecs at its lowest rates, and each of them takes the
    # lead at a higher rate"; "fewer bits than JPEG, WebP, JPEG 2000 and JPEG XL, and more than
    # AVIF"; "whole files favour it far more".
    from aelib import compression

    codec = _metrics("compression")

    def curve(key):
        count = sum(1 for name in codec if re.fullmatch(rf"{key}_\d+_psnr", name))
        return [
            {"bpp": codec[f"{key}_{i}_bpp"], "PSNR": codec[f"{key}_{i}_psnr"]} for i in range(count)
        ]

    for key in ("jpeg", "webp", "jpeg_2000", "avif", "jpeg_xl"):
        ahead, _, _, changes = compression.lead_changes(curve("codec"), curve(key))
        assert ahead and len(changes) >= 1, key
        streams = codec[f"bd_rate_vs_{key}_percent"]
        assert (streams > 0) == (key == "avif"), (key, streams)
        assert codec[f"bd_rate_files_vs_{key}_percent"] < streams, key
    # 09: "At the two smallest rate weights a handful of latents fall outside the coder's
    # alphabet and are clipped" (a handful: under one in 10,000 of the 10,000 x 512 latents).
    points = [(codec[f"codec_{i}_lambda"], codec[f"codec_{i}_clipped_latents"]) for i in range(6)]
    clipped = [count for _, count in sorted(points)]
    assert not any(clipped[2:]) and 0 < max(clipped[:2]) < 512, clipped
    # 15: "the sparse autoencoder and dictionary learning are close" at the headline's k.
    sparse = _metrics("interpretability")
    assert abs(sparse["sae_16_fvu"] - sparse["dictionary_16_fvu"]) < 0.002
    # 24: "The held-out nats still fall at 200 components, the largest candidate".
    likelihood = _metrics("vae_likelihood")
    assert likelihood["mixture_components"] == 200
    # 04: the skips "add little" next to the chroma target; "what the seed's RGB target loses is
    # mostly brightness: its photos are blurred, which RGB PSNR and SSIM punish".
    colour = _metrics("colorization")
    target = colour["seed_chroma_chroma_psnr"] - colour["seed_rgb_chroma_psnr"]
    assert 0 < colour["unet_chroma_psnr"] - colour["seed_chroma_chroma_psnr"] < target
    assert colour["seed_rgb_rgb_psnr"] < colour["gray_rgb_psnr"] - 2
    assert colour["seed_rgb_ssim"] < colour["gray_ssim"] - 0.1
    # 17, of recipe 02's run: "t-SNE ... and UMAP ... keep the digit classes apart better than a
    # deep autoencoder's code", "recipe 02 finds that [PCA's] plane mixes the digit classes", and
    # UMAP is "the neighbour embedding that keeps the classes apart best in recipe 02".
    reduction = _metrics("dimensionality_reduction")
    for method in ("tsne", "umap"):
        assert reduction[f"ae_2_minus_{method}_2_knn_accuracy_high"] < 0, method
    assert reduction["pca_2_knn_accuracy"] < min(0.5, reduction["ae_2_knn_accuracy_low"])
    assert reduction["umap_2_knn_accuracy"] > reduction["tsne_2_knn_accuracy"]
