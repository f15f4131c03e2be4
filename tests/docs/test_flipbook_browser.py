"""The backward-steps flipbook (the index.html of an.viz.save_backward_steps) works in a real
browser: headless Chromium loads it, shows the first frame, and the next button, the slider and
the arrow keys move to other frames, each picture really loaded.

Needs Debian's chromium and chromium-driver (.ci/run installs them) and selenium (the docs
extra); locally it skips without them, on CI it fails."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

import autonet as an
from tests.docs.needs import missing, need_modules

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1200,900"]


@pytest.fixture(scope="module")
def browser():
    need_modules("selenium")
    for program in (CHROMIUM, CHROMEDRIVER):
        if not Path(program).exists():
            missing(program, "apt-get install -y chromium chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="autonet-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def flipbook(tmp_path) -> Path:
    if shutil.which("dot") is None:
        missing("Graphviz's dot program", "apt-get install graphviz")
    x = an.tensor(2.0, requires_grad=True, name="x")
    w = an.tensor(-1.5, requires_grad=True, name="w")
    y = an.tanh(x * w + 1.0)                      # 3 ops: 4 frames
    an.viz.save_backward_steps(y, tmp_path / "steps")
    return tmp_path / "steps" / "index.html"


def _shown(driver) -> tuple[str, str, int]:
    """The frame file shown, the caption, and the picture's loaded width (0: not loaded)."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 20).until(lambda d: d.execute_script(
        "const p = document.getElementById('picture'); return p.complete && p.naturalWidth > 0"))
    src = driver.execute_script("return document.getElementById('picture').src")
    caption = driver.find_element("id", "caption").text
    width = driver.execute_script("return document.getElementById('picture').naturalWidth")
    return src.rsplit("/", 1)[-1], caption, width


def test_the_flipbook_shows_a_frame_and_moves_with_next_slider_and_keys(browser, flipbook):
    from selenium.webdriver.common.keys import Keys

    browser.get(flipbook.as_uri())
    assert browser.title == "autonet: backward, step by step"
    src, caption, width = _shown(browser)
    assert (src, width > 0) == ("frame_000.svg", True)
    assert caption.startswith("step 0: forward done")
    assert browser.find_element("id", "count").text == "1 / 4"

    browser.find_element("id", "next").click()
    src, caption, width = _shown(browser)
    assert (src, width > 0) == ("frame_001.svg", True)
    assert caption.startswith("step 1 of 3: backward visits 'tanh'")
    assert browser.find_element("id", "range").get_attribute("value") == "1"

    slider = browser.find_element("id", "range")
    slider.send_keys(Keys.END)                    # the slider to its last position
    src, caption, _ = _shown(browser)
    assert src == "frame_003.svg" and caption.startswith("step 3 of 3")

    browser.find_element("id", "prev").click()
    browser.find_element("tag name", "body").send_keys(Keys.ARROW_LEFT)
    src, _, _ = _shown(browser)
    assert src == "frame_001.svg"
    assert browser.find_element("id", "count").text == "2 / 4"
