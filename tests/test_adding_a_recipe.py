"""Adding a recipe takes two hand-written files: its source and its test module.

A throwaway recipe, written into a copy of the repository, is picked up by everything that
lists recipes: the table of contents, the Colab badge and install cell, the README's table,
the publishing check, the benchmarks' reading of its configuration, and the smoke tests.
"""

import re
from pathlib import Path

from benchmarks import time_to_quality
from booktools import book, report

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests" / "recipes"


def _add_throwaway_recipe(root: Path) -> None:
    """The two files a person writes: recipes/99_throwaway.py and its test module."""
    source = (root / "recipes" / "03_denoising.py").read_text()
    source = source.replace("# # Denoising autoencoders", "# # A throwaway recipe", 1)
    source = source.replace('    "denoising",\n    PROFILE,', '    "throwaway",\n    PROFILE,', 1)
    (root / "recipes" / "99_throwaway.py").write_text(source)
    (root / "tests" / "recipes").mkdir(parents=True)
    (root / "tests" / "recipes" / "test_99_throwaway.py").write_text(
        "def test_it_ran(smoke_run):\n    assert smoke_run.metrics\n"
    )


def test_a_new_recipe_needs_no_third_file(synced_copy):
    root = synced_copy
    pin = re.search(r"aelib @ git\+\S+@(\w+)", (root / "recipes" / "01_vanilla.py").read_text())
    _add_throwaway_recipe(root)
    # The table of contents is generated from recipes/.
    assert "      - file: recipes/99_throwaway\n" in book.table_of_contents(root)
    # make sync writes its badge and install cell, and its row of the README's table.
    changed = book.sync_files(root, revision=pin.group(1))
    assert changed == [root / "recipes" / "99_throwaway.py", root / "README.md"]
    readme = (root / "README.md").read_text()
    assert "| A throwaway recipe | [`recipes/99_throwaway.ipynb`]" in readme
    assert (
        "blob/main/recipes/99_throwaway.ipynb" in (root / "recipes" / "99_throwaway.py").read_text()
    )
    # Publishing needs its record, and the benchmarks read the configuration it declares.
    assert report.missing_records(root / "results", root=root) == ["throwaway"]
    config = time_to_quality.declared_config("99_throwaway", root)
    assert config["dataset"] == "mnist" and config["learning_rate"] == 2e-3


def test_every_recipe_has_its_test_module_and_every_module_its_recipe():
    recipes = {path.stem for path in (ROOT / "recipes").glob("[0-9][0-9]_*.py")}
    modules = {path.stem.removeprefix("test_") for path in TESTS.glob("test_*.py")}
    assert recipes == modules, (
        f"recipes without tests/recipes/test_NN_name.py: {sorted(recipes - modules)}; "
        f"test modules without a recipe: {sorted(modules - recipes)}"
    )
