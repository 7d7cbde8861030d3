"""Open the built book in a real browser (headless Chromium) and check what a reader sees.

Run after `make html` with `make browser`: the site is served on loopback, every page reached
from the front page's navigation is opened, and each recipe page must show no error output,
show all its figures (loaded, non-zero size) and link its Colab button to its own notebook.
Every page of the table of contents is opened at a desktop width (1280 px) and a phone width
(390 px) as a reader without network meets it: every request outside the site is refused and
must not have been needed, every equation is typeset by the site's own MathJax (no raw TeX left
in the text), and nothing (a wide table, a long code line) makes the page wider than the screen:
it scrolls inside its own box. The References page lists the papers, and a citation on a recipe
page leads to its entry there. Screenshots of a few pages, at both widths, are kept in
_build/browser/ as build artifacts.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import re
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


# Desktop and phone viewports (the phone: an iPhone 12-15's CSS width).
WIDTHS = {"desktop": 1280, "phone": 390}
# Pages whose screenshots are kept at both widths: wide tables and equations, the generated pages.
SCREENSHOT_PAGES = ("recipes/09_compression", "results", "appendix", "references")
# What a reader must never see on a page: TeX that MathJax did not typeset.
RAW_TEX = ("\\(", "\\)", "\\[", "\\]", "$$")


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
def _open(browser, url, width=WIDTHS["desktop"]):
    """A page at ``url``, loaded in a viewport ``width`` pixels wide, with the JavaScript errors
    it raised in ``page.errors`` and the requests it tried outside the site in ``page.external``.
    """
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.errors, page.external = [], []
    page.on("pageerror", lambda error: _record(page.errors, str(error)))

    # Only loopback is served here; anything else (web fonts, CDNs) is dropped at once, and
    # recorded: the book must render as it does for a reader without network.
    def route(route):
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            page.external.append(route.request.url)
            route.abort()

    page.route("**/*", route)
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
        # The badge's image comes from the site itself (Colab's own is out of reach offline).
        badges = page.eval_on_selector_all(
            "a[href*='colab.research.google.com'] img[alt='Open In Colab']",
            """images => images.map(image => ({
                source: image.src, loaded: image.complete && image.naturalWidth > 0,
            }))""",
        )
        assert badges, f"{recipe}: no Colab badge"
        for badge in badges:
            assert badge["source"].startswith(site_url) and badge["loaded"], (recipe, badge)
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


def _typeset(page) -> None:
    """Wait until MathJax has typeset the page's equations (pages without math load no MathJax)."""
    from playwright.sync_api import Error as PlaywrightError

    if page.locator("span.math, div.math").count() == 0:
        return
    try:
        page.wait_for_function(
            "() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=20_000
        )
        page.evaluate("() => MathJax.startup.promise.then(() => document.fonts.ready)")
    except PlaywrightError as error:
        reason = error.message.splitlines()[0]
        pytest.fail(f"{page.url}: MathJax did not load or typeset ({reason})")


# For each equation element: typeset into an mjx-container, without a TeX error.
_EQUATIONS = """() => Array.from(document.querySelectorAll('span.math, div.math')).map(math => ({
    tex: math.textContent.slice(0, 80),
    typeset: math.querySelector('mjx-container') !== null,
    error: math.querySelector('mjx-merror') !== null,
}))"""

# The page's reading text outside code, program output and typeset equations.
_PROSE = """() => {
    const main = document.querySelector('main').cloneNode(true);
    main.querySelectorAll('pre, code, mjx-container, script, style').forEach(node => node.remove());
    return main.textContent;
}"""

# The elements past the window's right edge that no box clips or scrolls (to name the culprit).
_PAST_THE_EDGE = """() => {
    const limit = window.innerWidth + 1;
    const free = node => {
        for (let box = node.parentElement; box; box = box.parentElement) {
            if (getComputedStyle(box).overflowX !== 'visible') return false;
        }
        return true;
    };
    return Array.from(document.querySelectorAll('body *'))
        .filter(node => node.getBoundingClientRect().right > limit && free(node))
        .map(node => `${node.tagName}.${node.className} (right edge `
            + `${Math.round(node.getBoundingClientRect().right)} px): `
            + (node.textContent || '').trim().slice(0, 60))
        .slice(0, 8);
}"""

# Every table and code block that reaches past the screen's right edge, unless it sits in a box
# that scrolls sideways and itself ends inside the screen.
_SPILLS = """() => {
    const limit = window.innerWidth + 1;
    const scrolls = node => {
        for (let box = node.parentElement; box; box = box.parentElement) {
            const overflow = getComputedStyle(box).overflowX;
            if ((overflow === 'auto' || overflow === 'scroll')
                && box.getBoundingClientRect().right <= limit) return true;
        }
        return false;
    };
    return Array.from(document.querySelectorAll('main table, main pre'))
        .filter(node => node.getBoundingClientRect().right > limit && !scrolls(node))
        .map(node => node.tagName + ': ' + node.textContent.trim().slice(0, 60));
}"""


@pytest.mark.parametrize("width", WIDTHS, ids=str)
@pytest.mark.parametrize("page_name", _toc_pages())
def test_every_page_renders_offline_and_fits_the_screen(browser, site_url, page_name, width):
    with _open(browser, urljoin(site_url, f"{page_name}.html"), WIDTHS[width]) as page:
        _typeset(page)
        assert not page.errors, f"JavaScript errors on {page_name}: {page.errors}"
        # Nothing outside the site was needed: MathJax, fonts, badges and scripts are local.
        assert not page.external, f"{page_name} asked for {sorted(set(page.external))}"
        equations = page.evaluate(_EQUATIONS)
        untypeset = [math["tex"] for math in equations if not math["typeset"] or math["error"]]
        assert not untypeset, f"{page_name}: equations not rendered: {untypeset[:5]}"
        prose = page.evaluate(_PROSE)
        raw = [delimiter for delimiter in RAW_TEX if delimiter in prose]
        assert not raw, f"{page_name} shows raw TeX {raw}: " + ", ".join(
            repr(prose[max(0, prose.index(d) - 40) : prose.index(d) + 40]) for d in raw
        )
        document_width = page.evaluate("() => document.documentElement.scrollWidth")
        viewport = page.evaluate("() => window.innerWidth")
        assert document_width <= viewport + 1, (
            f"{page_name} at {width} width is {document_width} px wide in a {viewport} px "
            f"window; past its right edge: {page.evaluate(_PAST_THE_EDGE)}"
        )
        spills = page.evaluate(_SPILLS)
        assert not spills, f"{page_name} at {width} width cuts off {spills}"
        if page_name in SCREENSHOT_PAGES:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            name = f"{page_name.replace('/', '-')}-{WIDTHS[width]}.png"
            # Recipe pages run long: their first screen; the generated pages in full.
            full_page = not page_name.startswith("recipes/")
            page.screenshot(path=str(SCREENSHOTS / name), full_page=full_page)


def _cited_keys() -> set[str]:
    """The references.bib keys the recipes cite with {cite:p}`key` or {cite:t}`key, key`."""
    keys = set()
    for source in (ROOT / "recipes").glob("[0-9][0-9]_*.py"):
        for group in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", source.read_text()):
            keys.update(key.strip() for key in group.split(","))
    return keys


def test_references_page_lists_the_papers_and_citations_lead_there(browser, site_url):
    with _open(browser, urljoin(site_url, "references.html")) as page:
        entries = page.eval_on_selector_all(
            "main [role='doc-biblioentry'], main .citation",
            "entries => entries.map(entry => ({id: entry.id, text: entry.textContent}))",
        )
        ids = {entry["id"] for entry in entries}
        assert len(ids) >= len(_cited_keys()) > 0, (len(ids), sorted(_cited_keys()))
    recipe = "recipes/09_compression"
    with _open(browser, urljoin(site_url, f"{recipe}.html")) as page:
        citations = page.eval_on_selector_all(
            "main a[href*='references.html#']", "links => links.map(link => link.href)"
        )
        assert citations, f"{recipe} has no citation linking to the References page"
        page.goto(citations[0], wait_until="load")
        target = urlparse(page.url)
        assert target.path.endswith("/references.html") and target.fragment, page.url
        entry = page.locator(f"[id='{target.fragment}']")
        assert entry.count() == 1, f"{citations[0]}: no entry {target.fragment} on the page"
        assert "Ballé" in entry.inner_text(), entry.inner_text()


def test_results_figure_and_the_front_page_gallery(browser, site_url):
    """The results page opens with its figure at a glance (loaded, its verdicts in its alt text,
    no wider than the screen) and states the CIFAR-10 round trip; the front page has one card per
    recipe, in book order, linking to the recipe and showing its key figure."""
    recipes = _recipe_pages()
    for width in WIDTHS.values():
        with _open(browser, urljoin(site_url, "results.html"), width=width) as page:
            images = page.eval_on_selector_all(
                "main img",
                """images => images.map(image => ({
                    source: image.getAttribute('src') || '',
                    alt: image.getAttribute('alt') || '',
                    loaded: image.complete && image.naturalWidth > 0,
                    width: image.getBoundingClientRect().width,
                }))""",
            )
            glance = [image for image in images if "results_at_a_glance" in image["source"]]
            assert len(glance) == 1 and glance[0]["loaded"], images
            assert "Verdicts: " in glance[0]["alt"] and 0 < glance[0]["width"] <= width
            text = page.inner_text("main")
            assert "JPEG round trip" in text and "How these numbers were run" in text
        with _open(browser, urljoin(site_url, "intro.html"), width=width) as page:
            cards = page.eval_on_selector_all(
                "main .sd-card",
                """cards => cards.map(card => ({
                    link: (card.querySelector('a.sd-stretched-link') || {}).href || '',
                    image: (card.querySelector('img.sd-card-img-top') || {}).naturalWidth || 0,
                    text: card.innerText,
                }))""",
            )
            assert len(cards) == len(recipes), len(cards)
            for recipe, card in zip(recipes, cards, strict=True):
                assert card["link"].endswith(f"/{recipe}.html"), (recipe, card["link"])
                assert card["image"] > 0 or _figure_count(recipe) == 0, (recipe, card)
            assert "JPEG round trip" in page.inner_text("main")
