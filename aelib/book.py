"""The book around the recipes: run banners, and Colab links derived from ``_config.yml``.

The repository URL is written once, in ``_config.yml`` (``repository.url`` and
``repository.branch``). Each recipe's "Open in Colab" badge, its Colab install cell and the
README's badge table are generated from it: ``python -m aelib.book sync`` rewrites them and
``python -m aelib.book check`` (run by the tests) fails when one is stale.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

__all__ = [
    "colab_badge",
    "colab_url",
    "find_stale_files",
    "install_requirement",
    "read_repository",
    "recipe_titles",
    "show_run_banner",
    "sync_files",
]

_COLAB_BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
_BADGE_PATTERN = re.compile(
    r'<a href="https://colab\.research\.google\.com/github/[^"]*">'
    r'<img src="[^"]*" alt="Open In Colab"/></a>'
)
_INSTALL_PATTERN = re.compile(r'"aelib @ git\+[^"]*"')
_TABLE_START, _TABLE_END = "<!-- recipes:start -->", "<!-- recipes:end -->"
_RESULTS_START, _RESULTS_END = "<!-- results:start -->", "<!-- results:end -->"


def show_run_banner(profile, dataset) -> None:
    """Display which profile and which data source this page was executed with."""
    from IPython.display import Markdown, display

    note = (
        "the published numbers"
        if profile.name == "full"
        else "a quick check on a small embedded sample, not the published numbers"
    )
    display(
        Markdown(
            f"> **Executed with the `{profile.name}` profile** ({note}) on {dataset.description}: "
            f"{len(dataset.x_train):,} training and {len(dataset.x_test):,} test images available, "
            f"{profile.epochs} epochs, batch size {profile.batch_size}."
        )
    )


def read_repository(config_path: str | Path = "_config.yml") -> tuple[str, str]:
    """Return ``(url, branch)`` of the book's GitHub repository from ``_config.yml``."""
    import yaml

    config = yaml.safe_load(Path(config_path).read_text())
    repository = (config or {}).get("repository") or {}
    url = str(repository.get("url", "")).rstrip("/")
    if not re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url):
        raise ValueError(
            f"{config_path}: repository.url must be https://github.com/OWNER/NAME, not {url!r}."
        )
    return url, str(repository.get("branch") or "main")


def colab_url(repository_url: str, branch: str, notebook_path: str) -> str:
    """The Colab address that opens ``notebook_path`` (relative to the repository root)."""
    owner_and_name = repository_url.removeprefix("https://github.com/")
    return (
        f"https://colab.research.google.com/github/{owner_and_name}/blob/{branch}/{notebook_path}"
    )


def colab_badge(repository_url: str, branch: str, notebook_path: str) -> str:
    """An HTML "Open in Colab" badge linking to ``notebook_path``."""
    link = colab_url(repository_url, branch, notebook_path)
    return f'<a href="{link}"><img src="{_COLAB_BADGE_IMAGE}" alt="Open In Colab"/></a>'


def install_requirement(repository_url: str, branch: str) -> str:
    """The pip requirement that installs aelib from the repository, quoted as in a recipe."""
    return f'"aelib @ git+{repository_url}@{branch}"'


def recipe_titles(root: str | Path = ".") -> dict[str, str]:
    """Map each ``recipes/NN_name.py`` (relative path) to the title in its first heading."""
    titles = {}
    for source in sorted(Path(root, "recipes").glob("[0-9][0-9]_*.py")):
        match = re.search(r"^# # (.+)$", source.read_text(), flags=re.MULTILINE)
        if not match:
            raise ValueError(f"{source} has no '# # Title' heading in its first markdown cell.")
        titles[source.relative_to(root).as_posix()] = match.group(1).strip()
    return titles


def sync_files(root: str | Path = ".", write: bool = True) -> list[Path]:
    """Rewrite the badges, install cells and README tables from ``_config.yml`` and ``results/``.

    Returns the files whose text differs from the generated one (rewritten when ``write``).
    """
    root = Path(root)
    url, branch = read_repository(root / "_config.yml")
    changed = []
    for source, title in recipe_titles(root).items():
        notebook = source.removesuffix(".py") + ".ipynb"
        path = root / source
        text = path.read_text()
        new_text = _BADGE_PATTERN.sub(colab_badge(url, branch, notebook), text)
        new_text = _INSTALL_PATTERN.sub(install_requirement(url, branch), new_text)
        if not _BADGE_PATTERN.search(text) or not _INSTALL_PATTERN.search(text):
            raise ValueError(f"{source} ({title}) needs a Colab badge and a Colab install cell.")
        if new_text != text:
            changed.append(path)
            if write:
                path.write_text(new_text)
    readme = root / "README.md"
    text = readme.read_text()
    from aelib import report

    recipes_table = _readme_table(root, url, branch)
    new_text = _replace_between(readme, text, _TABLE_START, _TABLE_END, recipes_table)
    # The headline results table, from the committed full-profile records.
    table = report.headline_table(root / "results")
    new_text = _replace_between(readme, new_text, _RESULTS_START, _RESULTS_END, table)
    if new_text != text:
        changed.append(readme)
        if write:
            readme.write_text(new_text)
    return changed


def find_stale_files(root: str | Path = ".") -> list[Path]:
    """The files that ``sync_files`` would change; empty when everything is in sync."""
    return sync_files(root, write=False)


def _replace_between(path: Path, text: str, start: str, end: str, body: str) -> str:
    """``text`` (of ``path``) with ``body`` between its ``start`` and ``end`` markers."""
    if start not in text or end not in text:
        raise ValueError(f"{path} lacks the {start} ... {end} markers.")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return head + start + "\n" + body + end + tail


def _readme_table(root: Path, url: str, branch: str) -> str:
    lines = ["| Recipe | Notebook | Colab |", "| --- | --- | --- |"]
    for source, title in recipe_titles(root).items():
        notebook = source.removesuffix(".py") + ".ipynb"
        lines.append(
            f"| {title} | [`{notebook}`]({notebook}) | {colab_badge(url, branch, notebook)} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m aelib.book sync`` or ``python -m aelib.book check``."""
    parser = argparse.ArgumentParser(prog="python -m aelib.book", description=__doc__)
    parser.add_argument("command", choices=("sync", "check"))
    parser.add_argument("--root", default=".", help="the repository root (default: .)")
    arguments = parser.parse_args(argv)
    changed = sync_files(arguments.root, write=arguments.command == "sync")
    verb = "rewrote" if arguments.command == "sync" else "stale"
    for path in changed:
        print(f"{verb}: {path}")
    return 1 if changed and arguments.command == "check" else 0


if __name__ == "__main__":
    sys.exit(main())
