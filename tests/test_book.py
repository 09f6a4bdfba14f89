"""The website: a strict build (warnings are errors) and a real-browser check, offline.

All tests here share one build; `--dist loadfile` keeps them on one xdist worker.
"""

import functools
import http.server
import os
import pathlib
import re
import shutil
import socketserver
import subprocess
import sys
import threading

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
CHROMIUM = "/usr/bin/chromium"
BROWSER_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run",
]
pytestmark = pytest.mark.build


@pytest.fixture(scope="module")
def build():
    """Build the book from scratch with -W -n --keep-going; return the build log."""
    shutil.rmtree(ROOT / "_build", ignore_errors=True)
    jb = pathlib.Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run(
        [str(jb), "build", str(ROOT), "--all", "-W", "-n", "--keep-going"],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )
    log = result.stdout + result.stderr
    problems = [line for line in log.splitlines() if re.search(r"WARNING|ERROR|Error", line)]
    assert result.returncode == 0, "strict build failed:\n" + "\n".join(problems[:40] or [log[-5000:]])
    return log


def test_strict_build_has_no_warnings(build):
    assert not re.search(r"\bWARNING\b", build), build[-3000:]
    assert (HTML / "index.html").exists()


def test_every_page_is_built(build):
    for page in ["book/intro", "book/notation", "book/how_to_use", "book/api", "book/references",
                 "notebooks/01_rnn_forward", "notebooks/02_bptt"]:
        assert (HTML / f"{page}.html").exists(), page


def test_api_reference_lists_the_helpers(build):
    api = (HTML / "book" / "api.html").read_text()
    for name in ["rnn_step_forward", "rnn_backward", "numerical_gradient", "rel_error", "rnn_weights_to_torch"]:
        assert name in api


def test_references_are_rendered(build):
    refs = (HTML / "book" / "references.html").read_text()
    assert "Long Short-Term Memory" in refs and "Hochreiter" in refs


def test_mathjax_is_local(build):
    for page in HTML.rglob("*.html"):
        text = page.read_text()
        assert "cdn.jsdelivr.net/npm/mathjax" not in text, page
        assert "polyfill.io" not in text, page


# ------------------------------------------------------------------ browser


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(build):
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    socketserver.TCPServer.allow_reuse_address = True
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler) as httpd:
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
        httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        # `make test` installs chromium first wherever it can (as root); there, and in CI,
        # a missing browser is a failure. Only a user who cannot install it gets a skip.
        if os.environ.get("CI") or os.geteuid() == 0:
            pytest.fail("Debian's chromium is missing; `bash tools/ensure_chromium.sh` installs it")
        pytest.skip("Debian's chromium is missing and this user cannot install it: "
                    "run `bash tools/ensure_chromium.sh` as root")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        yield browser
        browser.close()


def visit(browser, url):
    """Open ``url``; return (page, list of every requested URL)."""
    context = browser.new_context()
    page = context.new_page()
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(url, wait_until="networkidle")
    # MathJax 3 typesets asynchronously; wait for it to finish.
    page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=30000)
    page.evaluate("() => MathJax.startup.promise")
    page.wait_for_load_state("networkidle")
    return page, requests


PAGES = {
    "notebooks/01_rnn_forward.html": {"min_math": 10, "min_figures": 2},
    "book/notation.html": {"min_math": 30, "min_figures": 1},
}


@pytest.mark.parametrize("path", sorted(PAGES))
def test_page_in_a_real_browser(server, browser, path):
    page, requests = visit(browser, f"{server}/{path}")
    expect = PAGES[path]
    # math is typeset: MathJax output elements, and no raw TeX delimiters left in the text
    n_math = page.locator("mjx-container").count()
    assert n_math >= expect["min_math"], f"only {n_math} typeset formulas"
    body_text = page.inner_text("article")
    assert "$$" not in body_text and "\\(" not in body_text
    # figures are present and loaded
    images = page.locator("article .cell_output img")
    assert images.count() >= expect["min_figures"]
    for i in range(images.count()):
        width = images.nth(i).evaluate("img => img.naturalWidth")
        assert width > 0, f"figure {i} did not load"
    # the Colab launch link
    colab = page.locator('a[href^="https://colab.research.google.com/github/"]')
    assert colab.count() >= 1
    assert path.replace(".html", ".ipynb") in colab.first.get_attribute("href")
    # nothing leaves the machine
    outside = [u for u in requests if not (u.startswith(server) or u.startswith(("data:", "blob:", "about:")))]
    assert not outside, f"requests to other hosts: {outside}"
    page.context.close()


def test_intro_page_has_chapter_map(server, browser):
    page, requests = visit(browser, f"{server}/book/intro.html")
    text = page.inner_text("article")
    assert "Chapter map" in text and "What is compared, and what is only shown" in text
    assert page.locator('article a[href*="01_rnn_forward"]').count() >= 1
    outside = [u for u in requests if not (u.startswith(server) or u.startswith(("data:", "blob:", "about:")))]
    assert not outside, outside
    page.context.close()
