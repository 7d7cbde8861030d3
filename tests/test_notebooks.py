"""The committed notebooks: clean outputs, and Colab's GPU where a recipe needs one.

The scan below is written independently of ``booktools.book.sanitize_notebook``: it looks for the
noise itself (TensorFlow's C++ log lines, this or any machine's absolute paths, papermill's
temporary paths), so a sanitizer that missed something cannot also hide it.
"""

import json
import re
from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "recipes").glob("[0-9][0-9]_*.py"))
NOTEBOOKS = [source.with_suffix(".ipynb") for source in SOURCES]

TENSORFLOW_NOISE = re.compile(
    r"^[IWEF]\d{4} [\d:.]+ +\d+ \S+:\d+\]"  # absl/glog: "E0000 00:00:17953.5 15339 x.cc:52]"
    r"|^\d{4}-\d\d-\d\d [\d:.]+: [IWEF] \S+:\d+\]"  # TensorFlow before 2.16
    r"|absl::InitializeLog|cuInit|cudart_stub|oneDNN|AVX-512|AVX2 FMA"
    r"|This TensorFlow binary is optimized|rebuild TensorFlow with the appropriate compiler",
    flags=re.MULTILINE,
)
# Absolute paths under the usual roots of Linux, macOS, Colab and Kaggle machines; a slash
# after a letter, a dot or another slash (URLs, "ms/step") does not start one.
ABSOLUTE_PATH = re.compile(
    r"(?<![\w.~$:/-])/(?:work|home|tmp|root|Users|private|var|mnt|content|kaggle|opt|usr|srv"
    r"|scratch|data)(?:/|\b)"
)
PAPERMILL_PATH_KEYS = {"input_path", "output_path", "cwd"}
# A recipe whose committed full-profile run took longer than this on a CPU asks Colab for a GPU.
GPU_MINUTES = 40


def noise_in(notebook) -> list[str]:
    """Every TensorFlow log line, absolute path and papermill path in outputs and metadata."""
    found = []
    texts = [("notebook metadata", json.dumps(notebook.metadata))]
    for index, cell in enumerate(notebook.cells):
        texts.append((f"cell {index} metadata", json.dumps(cell.metadata)))
        for output in cell.get("outputs", []):
            where = f"cell {index} {output.output_type} output"
            texts.append((where, output.get("text", "")))
            texts.append((where, output.get("evalue", "")))
            texts += [(where, line) for line in output.get("traceback", [])]
            # Text only: base64 images hold "/tmp" and "oneDNN"-like runs by chance.
            texts += [
                (f"{where} {mimetype}", value if isinstance(value, str) else json.dumps(value))
                for mimetype, value in output.get("data", {}).items()
                if mimetype.startswith("text/") or mimetype.endswith("json")
            ]
    for where, text in texts:
        for pattern, kind in ((TENSORFLOW_NOISE, "TensorFlow log"), (ABSOLUTE_PATH, "path")):
            for match in pattern.finditer(text):
                context = text[max(0, match.start() - 60) : match.end() + 60]
                found.append(f"{where}: {kind}: ...{context.splitlines()[0] if context else ''}...")
    papermill = notebook.metadata.get("papermill", {})
    found += [f"papermill metadata: {key}" for key in PAPERMILL_PATH_KEYS & set(papermill)]
    return found


@pytest.mark.parametrize("notebook_path", NOTEBOOKS, ids=lambda path: path.stem)
def test_committed_notebook_carries_no_noise(notebook_path):
    notebook = nbformat.read(notebook_path, as_version=4)
    noise = noise_in(notebook)
    assert not noise, (
        f"{notebook_path.name}: run `python -m booktools.book sanitize {notebook_path.name}` "
        "(make execute does it):\n" + "\n".join(noise)
    )


def test_the_scan_finds_what_it_is_looking_for():
    """The scan is not vacuous: each kind of noise it must catch, it catches."""
    noisy = [
        ("stream", "I0000 00:00:1795390280.649859   15339 port.cc:153] oneDNN custom ops\n"),
        ("stream", "E0000 00:00:1795390286.537606   15339 cuda_platform.cc:52] cuInit\n"),
        ("stream", "2024-05-01 10:00:00.123456: I tensorflow/core/x.cc:1] Hello\n"),
        ("stream", "Loaded mnist from the data folder (/work/shared/data/mnist.npz)\n"),
        ("stream", "saved to /tmp/tmpab12/model.keras\n"),
        ("markdown", "on /content/drive/x and /kaggle/input/y"),
    ]
    for kind, text in noisy:
        output = (
            nbformat.v4.new_output("stream", name="stderr", text=text)
            if kind == "stream"
            else nbformat.v4.new_output("display_data", data={"text/markdown": text})
        )
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[output])])
        assert noise_in(notebook), text
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["papermill"] = {"output_path": "recipes/01_vanilla.ipynb"}
    assert noise_in(notebook) == ["papermill metadata: output_path"]
    clean = nbformat.v4.new_output(
        "display_data",
        data={
            "text/plain": "https://example.org/tmp/x, 12 ms/step, $AELIB_DATA_DIR/mnist.npz",
            "image/png": "iVBORw0KGgo/tmp/oneDNNAAA",
        },
    )
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[clean])])
    assert noise_in(notebook) == []


def _record_minutes(source: Path) -> tuple[float, list]:
    """Minutes of the recipe's committed full-profile run, and the GPUs it ran on."""
    name = re.search(r'runs\.start\(\s*"(\w+)"', source.read_text()).group(1)
    record = json.loads((ROOT / "results" / f"{name}.json").read_text())
    return sum(record["seconds"].values()) / 60, record["hardware"].get("gpus", [])


@pytest.mark.parametrize("source", SOURCES, ids=lambda path: path.stem)
def test_slow_recipes_ask_colab_for_a_gpu(source):
    """A GPU recipe says so in its header and in both files' metadata, so Colab opens it on one."""
    from_source = jupytext.read(source).metadata
    committed = nbformat.read(source.with_suffix(".ipynb"), as_version=4).metadata
    header = re.search(r"^# \*\*Accelerator:\*\* (.+)$", source.read_text(), flags=re.MULTILINE)
    assert header, f"{source.name} has no **Accelerator:** line in its header"
    wants_gpu = header.group(1).startswith("GPU")
    for metadata, where in ((from_source, source.name), (committed, f"{source.stem}.ipynb")):
        gpu_metadata = metadata.get("accelerator") == "GPU" and bool(
            metadata.get("colab", {}).get("gpuType")
        )
        assert gpu_metadata == wants_gpu, (
            f"{where}: the header says {header.group(1)[:40]!r} but the notebook metadata "
            f"{'lacks' if wants_gpu else 'has'} Colab's GPU accelerator"
        )
    # The .py keeps the metadata through `make notebooks` only if jupytext is told to keep it.
    if wants_gpu:
        metadata_filter = from_source["jupytext"].get("notebook_metadata_filter", "")
        assert {"accelerator", "colab"} <= set(metadata_filter.split(",")), source.name
    minutes, gpus = _record_minutes(source)
    if not gpus and minutes > GPU_MINUTES:
        assert wants_gpu, f"{source.name} took {minutes:.0f} min on a CPU: ask Colab for a GPU"


@pytest.mark.parametrize("notebook_path", NOTEBOOKS, ids=lambda path: path.stem)
def test_every_figure_has_alt_text_or_a_caption(notebook_path):
    """Each figure a cell draws has alt text (mystnb metadata) or an italic caption right below."""
    cells = nbformat.read(notebook_path, as_version=4).cells
    for index, cell in enumerate(cells):
        outputs = cell.get("outputs", [])
        if not any("image/png" in output.get("data", {}) for output in outputs):
            continue
        alt = cell.metadata.get("mystnb", {}).get("image", {}).get("alt", "")
        below = cells[index + 1] if index + 1 < len(cells) else None
        caption = (
            below is not None
            and below.cell_type == "markdown"
            and below.source.lstrip().startswith("*")
        )
        assert alt.strip() or caption, (
            f"{notebook_path.name}: cell {index} draws a figure with no alt text and no caption"
        )
