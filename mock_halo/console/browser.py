"""A real headless browser for the console's tests and screenshots: Debian's ``chromium``
driven through its ``chromedriver`` by ``selenium`` (``apt-get install chromium chromium-driver``,
``pip install selenium``). Nothing is downloaded at run time.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")


class BrowserMissing(RuntimeError):
    """What is missing for a headless browser, in words (a test skips with it)."""


def _find(env: str, names: tuple[str, ...]) -> str | None:
    given = os.environ.get(env)
    if given:
        return given if os.path.exists(given) else None
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


def chrome(width: int = 1280, height: int = 900) -> Any:
    """A headless chromium (``selenium.webdriver.Chrome``) whose pages are ``width`` x ``height`` pixels.

    ``MOCK_HALO_CHROMIUM`` and ``MOCK_HALO_CHROMEDRIVER`` name the binaries when they are not on PATH.
    """
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        raise BrowserMissing("selenium is not installed (pip install selenium; it comes with the [test] extra)") from None
    binary = _find("MOCK_HALO_CHROMIUM", CHROMIUM_NAMES)
    driver = _find("MOCK_HALO_CHROMEDRIVER", ("chromedriver",))
    if binary is None or driver is None:
        missing = " and ".join(n for n, p in (("chromium", binary), ("chromedriver", driver)) if p is None)
        raise BrowserMissing(f"no {missing} on PATH (Debian: apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--disable-extensions", "--no-first-run", f"--window-size={width},{height}", "--hide-scrollbars"):
        options.add_argument(argument)
    try:
        browser = webdriver.Chrome(options=options, service=Service(driver))
    except Exception as exc:  # noqa: BLE001 - selenium raises many kinds; say what happened
        raise BrowserMissing(f"chromium did not start: {str(exc).strip().splitlines()[0][:200]}") from None
    # The page's own viewport, exactly (--window-size counts the window's frame too).
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
    browser.set_page_load_timeout(30)
    browser.set_script_timeout(30)
    return browser
