"""The book around the recipes: Colab links, pinned installs, the table of contents, clean outputs.

The repository URL is written once, in ``_config.yml`` (``repository.url`` and
``repository.branch``). Each recipe's "Open in Colab" badge, its install cell and the README's
badge table are generated from it: ``python -m booktools.book sync`` rewrites them and
``python -m booktools.book check`` (run by the tests) fails when one is stale. The install cell pins
aelib to the last commit that changed ``aelib/`` or ``pyproject.toml``, so a notebook installs
the library it was run with, not whatever the branch holds today; syncing rewrites only the
recipes, so that commit stays the right one.

``python -m booktools.book sanitize NOTEBOOK...`` cleans executed notebooks before they are
committed: it drops TensorFlow's C++ start-up lines from stderr, writes the machine's absolute
paths in a neutral form (``$AELIB_DATA_DIR/mnist.npz``) and strips papermill's temporary paths.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from aelib import settings

__all__ = [
    "aelib_revision",
    "colab_badge",
    "colab_url",
    "find_stale_files",
    "install_requirement",
    "neutral_paths",
    "read_repository",
    "recipe_titles",
    "sanitize_notebook",
    "sanitize_notebook_file",
    "sync_files",
    "use_site_badges",
]

_COLAB_BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
# The built site shows the badge from its own files (it must render without network); the
# notebooks keep Colab's image, which GitHub and Colab show and a relative path would break.
_SITE_BADGE_IMAGE = "_static/colab-badge.svg"
_BADGE_PATTERN = re.compile(
    r'<a href="https://colab\.research\.google\.com/github/[^"]*">'
    r'<img src="[^"]*" alt="Open In Colab"/></a>'
)
_INSTALL_PATTERN = re.compile(r'"aelib @ git\+[^"]*"')
_TABLE_START, _TABLE_END = "<!-- recipes:start -->", "<!-- recipes:end -->"
_RESULTS_START, _RESULTS_END = "<!-- results:start -->", "<!-- results:end -->"
_MINUTES_START, _MINUTES_END = "<!-- minutes:start -->", "<!-- minutes:end -->"
# The files whose changes make a new aelib: the install cells pin the last commit touching them.
_LIBRARY_PATHS = ("aelib", "pyproject.toml")

# TensorFlow's C++ runtime writes these to the process's stderr, which Jupyter captures: the
# absl/glog lines ("I0000 00:00:1795390280.649859   15339 port.cc:153] oneDNN custom ..."),
# the older dated form, absl's preamble and the continuation of the CPU-instructions notice.
_TENSORFLOW_LOG_LINE = re.compile(
    r"(?:[IWEF]\d{4} \d+:\d+:\d+\.\d+ +\d+ [\w./-]+:\d+\] .*"
    r"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] [\w./-]+:\d+\] .*"
    r"|WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|To enable the following instructions: .*rebuild TensorFlow with the appropriate compiler"
    r" flags\.)\s*"
)
# TensorFlow's Python logger notes, on stdout or stderr, that a tf.function was traced again: a
# hint about speed, not a result (several recipes call predict() on many small models).
_RETRACING_NOTICE = re.compile(
    r"WARNING:tensorflow:\d+ out of the last \d+ calls to .* "
    r"triggered tf\.function retracing\..*\s*"
)
# An absolute POSIX path: a slash not preceded by a word, a dot, "~", "$", ":" or another slash
# (so URLs, "km/h", "$AELIB_DATA_DIR/x" and "~/.keras" do not count), then path characters.
_ABSOLUTE_PATH = re.compile(r"(?<![\w.~$:/\\-])/[\w.+@-]+(?:/[\w.+@-]+)*/?")
_DATASET_FILE = re.compile(r"(?:mnist|cifar10)\.npz")
# Papermill's record of where it read and wrote the notebook: temporary paths on some machine.
_PAPERMILL_PATH_KEYS = ("input_path", "output_path", "cwd")


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


def use_site_badges(book: str | Path) -> list[Path]:
    """Point the Colab badges of the book copy's notebooks (``book/recipes/*.ipynb``, the copies
    ``make html`` builds from) at the site's own badge image, ``book/_static/colab-badge.svg``,
    by a path relative to each page; the links still open Colab. Returns the notebooks changed.
    """
    import nbformat

    book = Path(book)
    if not (book / _SITE_BADGE_IMAGE).is_file():
        raise ValueError(f"{book / _SITE_BADGE_IMAGE} is missing: copy _static/ into {book}.")
    changed = []
    for path in sorted(book.glob("recipes/*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        image = Path(os.path.relpath(book / _SITE_BADGE_IMAGE, path.parent)).as_posix()
        found = False
        for cell in notebook.cells:
            if cell.cell_type == "markdown" and f'src="{_COLAB_BADGE_IMAGE}"' in cell.source:
                cell.source = cell.source.replace(f'src="{_COLAB_BADGE_IMAGE}"', f'src="{image}"')
                found = True
        if found:
            _write_notebook(path, notebook)
            changed.append(path)
    return changed


def install_requirement(repository_url: str, revision: str) -> str:
    """The pip requirement that installs aelib at ``revision``, quoted as in a recipe."""
    return f'"aelib @ git+{repository_url}@{revision}"'


def aelib_revision(root: str | Path = ".") -> str:
    """The full hash of the last commit that changed ``aelib/`` or ``pyproject.toml`` in ``root``.

    Raises ``RuntimeError`` when ``root`` is not the top of a git checkout with that history
    (a ZIP download, or a shallow clone that stops before the commit).
    """
    root = Path(root).resolve()
    top = Path(_git(root, "rev-parse", "--show-toplevel")).resolve()
    if top != root:
        raise RuntimeError(
            f"{root} is not the top of a git checkout (the checkout is {top}): pinning aelib "
            "needs the repository's own history."
        )
    revision = _git(root, "log", "-1", "--format=%H", "--", *_LIBRARY_PATHS)
    if not revision:
        raise RuntimeError(f"No commit in {root} touches {' or '.join(_LIBRARY_PATHS)}.")
    # In a shallow clone the oldest commit fetched looks as if it added every file: if that is
    # the commit found, the real one is older and missing.
    shallow = Path(_git(root, "rev-parse", "--git-path", "shallow"))
    shallow = shallow if shallow.is_absolute() else root / shallow
    if shallow.exists() and revision in shallow.read_text().split():
        raise RuntimeError(
            f"{root} is a shallow clone whose history stops before the last change to aelib: "
            "run `git fetch --unshallow` (in CI, check out with fetch-depth: 0), then try again."
        )
    return revision


def _git(root: Path, *arguments: str) -> str:
    """Run ``git -C root arguments`` and return its output, or raise a ``RuntimeError``."""
    try:
        completed = subprocess.run(
            ["git", "-C", str(root), *arguments], capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise RuntimeError(
            "git is not installed: `make sync` and `make check` need it to pin aelib to a commit."
        ) from None
    if completed.returncode != 0:
        raise RuntimeError(
            f"{root} has no git history (git {' '.join(arguments)}: {completed.stderr.strip()}). "
            "The install cells pin aelib to a commit: work in a clone of the repository, not a "
            "copy of its files."
        )
    return completed.stdout.strip()


def recipe_titles(root: str | Path = ".") -> dict[str, str]:
    """Map each ``recipes/NN_name.py`` (relative path) to the title in its first heading."""
    titles = {}
    for source in sorted(Path(root, "recipes").glob("[0-9][0-9]_*.py")):
        match = re.search(r"^# # (.+)$", source.read_text(), flags=re.MULTILINE)
        if not match:
            raise ValueError(f"{source} has no '# # Title' heading in its first markdown cell.")
        titles[source.relative_to(root).as_posix()] = match.group(1).strip()
    return titles


def sync_files(
    root: str | Path = ".", write: bool = True, revision: str | None = None
) -> list[Path]:
    """Rewrite the badges, install cells and README tables from ``_config.yml`` and ``results/``.

    The install cells pin ``revision`` (by default ``aelib_revision(root)``); each recipe's
    paired ``.ipynb``, where there is one, gets the same badge and pin. Returns the files whose
    text differs from the generated one (rewritten when ``write``).
    """
    root = Path(root)
    url, branch = read_repository(root / "_config.yml")
    revision = revision or aelib_revision(root)
    changed = []
    for source, title in recipe_titles(root).items():
        notebook = source.removesuffix(".py") + ".ipynb"

        def regenerate(text, notebook=notebook):
            text = _BADGE_PATTERN.sub(colab_badge(url, branch, notebook), text)
            return _INSTALL_PATTERN.sub(install_requirement(url, revision), text)

        path = root / source
        text = path.read_text()
        if not _BADGE_PATTERN.search(text) or not _INSTALL_PATTERN.search(text):
            raise ValueError(f"{source} ({title}) needs a Colab badge and an aelib install cell.")
        new_text = regenerate(text)
        if new_text != text:
            changed.append(path)
            if write:
                _write_atomically(path, new_text)
        if (root / notebook).exists() and _sync_notebook(root / notebook, regenerate, write):
            changed.append(root / notebook)
    readme = root / "README.md"
    text = readme.read_text()
    from booktools import report

    recipes_table = _readme_table(root, url, branch)
    new_text = _replace_between(readme, text, _TABLE_START, _TABLE_END, recipes_table)
    # The headline results table, from the committed full-profile records.
    table = report.headline_table(root / "results", root)
    new_text = _replace_between(readme, new_text, _RESULTS_START, _RESULTS_END, table)
    # The full profile's minutes, per recipe and in all, from the same records.
    minutes = report.minutes_sentence(report.load_records(root / "results", root)) + "\n"
    new_text = _replace_between(readme, new_text, _MINUTES_START, _MINUTES_END, minutes)
    if new_text != text:
        changed.append(readme)
        if write:
            _write_atomically(readme, new_text)
    return changed


def _sync_notebook(path: Path, regenerate, write: bool) -> bool:
    """Apply ``regenerate`` to every cell's source of the notebook ``path``; True if it changed."""
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    changed = False
    for cell in notebook.cells:
        new_source = regenerate(cell.source)
        if new_source != cell.source:
            cell.source, changed = new_source, True
    if changed and write:
        _write_notebook(path, notebook)
    return changed


def find_stale_files(root: str | Path = ".", revision: str | None = None) -> list[Path]:
    """The files that ``sync_files`` would change; empty when everything is in sync."""
    return sync_files(root, write=False, revision=revision)


def neutral_paths(text: str, root: str | Path = ".") -> str:
    """``text`` with this machine's absolute paths written so that they hold on any machine.

    A file under ``$AELIB_DATA_DIR``, or a dataset archive (``mnist.npz``, ``cifar10.npz``) in any
    folder, becomes ``$AELIB_DATA_DIR/name``; Keras's cache ``~/.keras/...``; a path inside
    ``root`` (the repository) becomes relative to it; the home folder ``~``; the temporary folder
    ``$TMPDIR``; an installed package ``site-packages/...``. Other paths stay as they are.
    """
    root = Path(root).resolve()
    data_dir = settings.value(settings.DATA_DIR)
    data_dir = Path(data_dir).expanduser().resolve() if data_dir else None
    prefixes = [(Path.home(), "~"), (Path(tempfile.gettempdir()).resolve(), "$TMPDIR")]
    prefixes += [(Path("/tmp"), "$TMPDIR")]

    def neutral(match: re.Match) -> str:
        path = match.group()
        pure = Path(path)
        if data_dir and pure.is_relative_to(data_dir):
            return "/".join(("$AELIB_DATA_DIR", *pure.relative_to(data_dir).parts))
        if "/.keras/" in path:
            return "~/.keras/" + path.split("/.keras/", 1)[1]
        if _DATASET_FILE.fullmatch(pure.name):
            return f"$AELIB_DATA_DIR/{pure.name}"
        if "/site-packages/" in path:
            return "site-packages/" + path.split("/site-packages/", 1)[1]
        if pure.is_relative_to(root):
            return pure.relative_to(root).as_posix() + ("/" if path.endswith("/") else "")
        for prefix, name in prefixes:
            if pure.is_relative_to(prefix) and prefix != Path("/"):
                return "/".join((name, *pure.relative_to(prefix).parts))
        return path

    return _ABSOLUTE_PATH.sub(neutral, text)


def sanitize_notebook(notebook, root: str | Path = ".") -> bool:
    """Clean an executed notebook (an ``nbformat`` node) in place; True if anything changed.

    Drops papermill's injected-parameters cell when it only repeats the parameters cell (so a
    notebook executed in place stays paired with its source), TensorFlow's C++ log lines and
    retracing notices from stream outputs (and outputs left empty), writes absolute paths in
    outputs and metadata with ``neutral_paths`` and removes papermill's ``input_path``,
    ``output_path`` and ``cwd``. Code and markdown are left alone.
    """
    before = repr(notebook)
    notebook.cells = [
        cell for cell in notebook.cells if not _repeats_the_parameters(cell, notebook)
    ]
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                noise = (_RETRACING_NOTICE,)
                if output.name == "stderr":
                    noise += (_TENSORFLOW_LOG_LINE,)
                lines = output.text.splitlines(keepends=True)
                kept = [line for line in lines if not any(rule.fullmatch(line) for rule in noise)]
                if not "".join(kept).strip():
                    continue
                output.text = "".join(kept)
            _neutral_output(output, root)
            outputs.append(output)
        cell.outputs = outputs
        cell.metadata = _neutral_tree(cell.metadata, root)
    papermill = notebook.metadata.get("papermill", {})
    for key in _PAPERMILL_PATH_KEYS:
        papermill.pop(key, None)
    notebook.metadata = _neutral_tree(notebook.metadata, root)
    return repr(notebook) != before


def _repeats_the_parameters(cell, notebook) -> bool:
    """True for papermill's injected-parameters cell when it only repeats the parameters cell's
    values (``-p PROFILE full`` on a notebook whose parameter is already "full")."""
    if "injected-parameters" not in cell.get("metadata", {}).get("tags", []):
        return False
    parameters = [
        other
        for other in notebook.cells
        if "parameters" in other.get("metadata", {}).get("tags", [])
    ]
    if len(parameters) != 1:
        return False
    injected = _literal_assignments(cell.source)
    declared = _literal_assignments(parameters[0].source)
    return injected is not None and declared is not None and injected.items() <= declared.items()


def _literal_assignments(source: str) -> dict | None:
    """``NAME = literal`` lines of ``source`` as a dict; None when it holds anything else."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    values = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
            return None
        if not isinstance(node.targets[0], ast.Name):
            return None
        try:
            values[node.targets[0].id] = ast.literal_eval(node.value)
        except ValueError:
            return None
    return values


def sanitize_notebook_file(path: str | Path, root: str | Path = ".", write: bool = True) -> bool:
    """Sanitize the notebook file ``path`` (atomically, when ``write``); True if it changed."""
    import nbformat

    path = Path(path)
    try:
        notebook = nbformat.read(path, as_version=4)
    except FileNotFoundError:
        raise ValueError(f"{path}: no such notebook.") from None
    # Bad JSON raises ValueError; JSON of another shape, whatever nbformat stumbles on first.
    except Exception as error:
        raise ValueError(f"{path} is not a readable Jupyter notebook: {error!r}") from None
    _check_notebook(notebook, path)
    changed = sanitize_notebook(notebook, root)
    if changed and write:
        _write_notebook(path, notebook)
    return changed


def _check_notebook(notebook, path: Path) -> None:
    """ValueError naming ``path`` and the first problem when the notebook breaks nbformat's schema
    or holds papermill metadata that is not a mapping."""
    import nbformat

    try:
        nbformat.validate(notebook)
    except nbformat.ValidationError as error:
        where = "/".join(str(part) for part in error.absolute_path) or "the top level"
        raise ValueError(f"{path} is not a valid notebook: at {where}: {error.message}") from None
    papermill = notebook.metadata.get("papermill", {})
    if not isinstance(papermill, dict):
        raise ValueError(
            f"{path}: metadata.papermill is a {type(papermill).__name__}, not a mapping."
        )


def table_of_contents(root: str | Path = ".") -> str:
    """The book's ``_toc.yml``: the introduction, every ``recipes/NN_*.py`` in order, results
    and appendix (both generated by ``make html``), and the references (``references.md``, the
    papers of ``references.bib`` that the pages cite)."""
    sources = sorted(Path(root, "recipes").glob("[0-9][0-9]_*.py"))
    if not sources:
        raise ValueError(f"{Path(root, 'recipes')} holds no recipe (recipes/NN_name.py).")
    lines = [
        "# Generated by `python -m booktools.book toc` from recipes/NN_*.py: do not edit.",
        "format: jb-book",
        "root: intro",
        "parts:",
        "  - caption: Recipes",
        "    chapters:",
        *(f"      - file: recipes/{source.stem}" for source in sources),
        "  - caption: Results",
        "    chapters:",
        "      - file: results",
        "  - caption: Appendix",
        "    chapters:",
        "      - file: appendix",
        "      - file: references",
    ]
    return "\n".join(lines) + "\n"


def _neutral_output(output, root) -> None:
    """Apply ``neutral_paths`` to an output's text (streams, text/* data, tracebacks)."""
    if "text" in output:
        output.text = neutral_paths(output.text, root)
    for mimetype, value in output.get("data", {}).items():
        # Images are base64, where "/tmp" can occur by chance; only text is rewritten.
        if mimetype.startswith("text/") and isinstance(value, str):
            output.data[mimetype] = neutral_paths(value, root)
    if "traceback" in output:
        output.traceback = [neutral_paths(line, root) for line in output.traceback]
    if "evalue" in output:
        output.evalue = neutral_paths(output.evalue, root)


def _neutral_tree(value, root):
    """``value`` (nested dicts, lists, strings) with ``neutral_paths`` applied to every string."""
    if isinstance(value, str):
        return neutral_paths(value, root)
    if isinstance(value, dict):
        return type(value)({key: _neutral_tree(item, root) for key, item in value.items()})
    if isinstance(value, list):
        return [_neutral_tree(item, root) for item in value]
    return value


def _write_notebook(path: Path, notebook) -> None:
    """Write ``notebook`` to ``path`` as nbformat (and papermill, and jupytext) write it."""
    import nbformat

    text = nbformat.writes(notebook)
    _write_atomically(path, text if text.endswith("\n") else text + "\n")


def _write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically, keeping the file's mode (a script stays one)."""
    from aelib import results

    results.write_text_atomically(path, text, mode=None)


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
    """Command line: ``sync``, ``check``, ``toc OUT``, ``site-badges BOOK`` or
    ``sanitize [--check] NOTEBOOK...``."""
    parser = argparse.ArgumentParser(prog="python -m booktools.book", description=__doc__)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--root", default=".", help="the repository root (default: .)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("sync", parents=[common], help="rewrite badges, install cells, README")
    commands.add_parser("check", parents=[common], help="list what `sync` would rewrite")
    toc = commands.add_parser("toc", parents=[common], help="write the table of contents")
    toc.add_argument("output", type=Path)
    badges = commands.add_parser(
        "site-badges", help="point a book copy's Colab badges at its own badge image"
    )
    badges.add_argument("book", type=Path, help="the folder jupyter-book builds (_build/book)")
    sanitize = commands.add_parser("sanitize", parents=[common], help="clean executed notebooks")
    sanitize.add_argument("notebooks", nargs="+", type=Path)
    sanitize.add_argument("--check", action="store_true", help="only list what needs it")
    arguments = parser.parse_args(argv)
    try:
        if arguments.command == "toc":
            _write_atomically(arguments.output, table_of_contents(arguments.root))
            print(f"wrote {arguments.output}")
            return 0
        if arguments.command == "site-badges":
            changed = use_site_badges(arguments.book)
            print(f"site badge image in {len(changed)} notebooks of {arguments.book}")
            return 0
        if arguments.command == "sanitize":
            write = not arguments.check
            changed = [
                path
                for path in arguments.notebooks
                if sanitize_notebook_file(path, arguments.root, write=write)
            ]
            verb = "sanitized" if write else "needs sanitizing"
        else:
            write = arguments.command == "sync"
            changed = sync_files(arguments.root, write=write)
            verb = "rewrote" if write else "stale"
    except (RuntimeError, ValueError) as error:
        parser.exit(2, f"python -m booktools.book {arguments.command}: {error}\n")
    for path in changed:
        print(f"{verb}: {path}")
    return 1 if changed and not write else 0


if __name__ == "__main__":
    sys.exit(main())
