"""Open the built book in a real browser (headless Chromium) and check what a reader sees.

Run after `make html` with `make browser`: the site is served on loopback, every page reached
from the front page's navigation is opened, and each recipe page must show no error output,
show all its figures (loaded, non-zero size) and link its Colab button to its own notebook.
Screenshots of two pages are kept in _build/browser/ as build artifacts.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import shutil
import socket
import threading
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "browser"
EXECUTED = ROOT / "_build" / "executed" / "recipes"
# Debian's chromium package here; CI runners without it name their own Chrome in CHROMIUM.
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# Without these, Chromium on an offline machine keeps trying to reach Google's services.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not (HTML / "index.html").exists(), reason="no built book: run make html"),
]


def _toc_pages() -> list[str]:
    from booktools import book

    toc = yaml.safe_load(book.table_of_contents(ROOT))
    return [chapter["file"] for part in toc["parts"] for chapter in part["chapters"]]


def _recipe_pages() -> list[str]:
    return [page for page in _toc_pages() if page.startswith("recipes/")]


def _figure_count(page: str) -> int:
    """PNG figures the executed notebook behind ``page`` displayed."""
    notebook = json.loads((EXECUTED / f"{Path(page).name}.ipynb").read_text())
    return sum(
        "image/png" in output.get("data", {})
        for cell in notebook["cells"]
        for output in cell.get("outputs", [])
    )


@pytest.fixture(scope="module")
def site_url():
    """Serve _build/html on a free loopback port for the module's tests."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(HTML))

    class QuietHandler(handler.func):
        def log_message(self, *args):
            pass

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", port), functools.partial(QuietHandler, directory=str(HTML))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}/"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# Jupyter Book 1.x writes sphinx-thebe's one-line settings script into each page twice; the
# second copy fails on its `const` and changes nothing (the book does not use Thebe). Every
# other script error fails the check.
_KNOWN_ERRORS = ("Identifier 'THEBE_JS_URL' has already been declared",)


def _record(errors: list[str], error: str) -> None:
    if error not in _KNOWN_ERRORS:
        errors.append(error)


@contextlib.contextmanager
def _open(browser, url):
    """A page at ``url``, loaded, with the JavaScript errors it raised in ``page.errors``."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.errors = []
    page.on("pageerror", lambda error: _record(page.errors, str(error)))
    # Only loopback is served here; anything else (web fonts, CDNs) is dropped at once.
    page.route(
        "**/*",
        lambda route: (
            route.continue_()
            if urlparse(route.request.url).hostname == "127.0.0.1"
            else route.abort()
        ),
    )
    response = page.goto(url, wait_until="load")
    assert response is not None and response.ok, f"{url}: HTTP {response and response.status}"
    try:
        yield page
    finally:
        page.close()


def test_navigation_reaches_every_page(browser, site_url):
    """From the front page, the sidebar links lead to every page in the table of contents."""
    root = urljoin(site_url, "intro.html")
    reached, queue = {root}, [root]
    while queue:
        url = queue.pop()
        with _open(browser, url) as page:
            links = page.eval_on_selector_all(
                "nav.bd-docs-nav a[href]", "links => links.map(link => link.href)"
            )
        for link in links:
            target = urljoin(url, link).split("#")[0]
            if target.startswith(site_url) and target not in reached:
                reached.add(target)
                queue.append(target)
    reached_pages = {urlparse(url).path.strip("/").removesuffix(".html") for url in reached}
    missing = set(_toc_pages()) - reached_pages
    assert not missing, f"not reachable from the navigation: {sorted(missing)}"


@pytest.mark.parametrize("recipe", _recipe_pages())
def test_recipe_page_shows_its_figures_and_no_errors(browser, site_url, recipe):
    with _open(browser, urljoin(site_url, f"{recipe}.html")) as page:
        assert not page.errors, f"JavaScript errors on {recipe}: {page.errors}"
        # No error output: myst-nb renders tracebacks with the "traceback" class.
        assert page.locator(".cell_output .traceback, .cell_output .output.error").count() == 0
        assert "Traceback (most recent call last)" not in page.inner_text("main")
        figures = page.eval_on_selector_all(
            ".cell_output img",
            """images => images.map(image => ({
                source: image.getAttribute('src'),
                loaded: image.complete && image.naturalWidth > 0,
                width: image.getBoundingClientRect().width,
                height: image.getBoundingClientRect().height,
            }))""",
        )
        assert len(figures) >= max(_figure_count(recipe), 1), (recipe, len(figures))
        for figure in figures:
            assert figure["loaded"], f"{recipe}: figure {figure['source']} did not load"
            assert figure["width"] > 0 and figure["height"] > 0, (recipe, figure)
        # Both the launch button and the badge in the page open this recipe's own notebook.
        colab_links = page.eval_on_selector_all(
            "a[href*='colab.research.google.com']", "links => links.map(link => link.href)"
        )
        own = [link for link in colab_links if link.endswith(f"/{recipe}.ipynb")]
        assert len(own) >= 2 and len(own) == len(colab_links), (recipe, colab_links)
        if recipe == _recipe_pages()[0]:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{Path(recipe).name}.png"), full_page=True)


def test_front_and_results_pages_render(browser, site_url):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with _open(browser, site_url) as page:
        # The front page forwards to the book's root page.
        page.wait_for_url("**/intro.html")
        page.wait_for_load_state("load")
        assert not page.errors, page.errors
        assert page.locator("nav.bd-docs-nav a").count() >= len(_toc_pages())
        page.screenshot(path=str(SCREENSHOTS / "index.png"), full_page=True)
    with _open(browser, urljoin(site_url, "results.html")) as page:
        assert not page.errors, page.errors
        assert page.locator("main table").count() >= 1
        rows = page.locator("main table tbody tr").count()
        assert rows == len(list((ROOT / "results").glob("*.json"))), rows
