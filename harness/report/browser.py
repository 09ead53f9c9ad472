"""Look at a report in headless Chromium (Debian's ``chromium`` and ``chromium-driver``).

``python -m harness.report.browser REPORT.html SHOT.png`` loads the report and writes a
screenshot of its combination table. Used by the browser test and by CI; needs the
``selenium`` package (the ``test`` extra) and never downloads a browser or a driver.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
DRIVER_CANDIDATES = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")


def _first(paths: tuple[str, ...], name: str) -> str | None:
    for path in paths:
        if Path(path).exists():
            return path
    return shutil.which(name)


def missing() -> str | None:
    """Why a browser cannot be driven here, or None when it can."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is not installed (pip install 'snapconform[test]')"
    if _first(CHROMIUM_CANDIDATES, "chromium") is None:
        return "no chromium (Debian: apt-get install chromium chromium-driver)"
    if _first(DRIVER_CANDIDATES, "chromedriver") is None:
        return "no chromedriver (Debian: apt-get install chromium-driver)"
    return None


@contextmanager
def chromium(width: int = 1400, height: int = 1000) -> Iterator[Any]:
    """A headless Chromium WebDriver, closed on exit."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    why = missing()
    if why is not None:
        raise RuntimeError(why)
    options = webdriver.ChromeOptions()
    options.binary_location = str(_first(CHROMIUM_CANDIDATES, "chromium"))
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        f"--window-size={width},{height}",
    ):
        options.add_argument(arg)
    service = Service(executable_path=str(_first(DRIVER_CANDIDATES, "chromedriver")))
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()


def screenshot(report: Path, out: Path) -> Path:
    """Load ``report`` and save a screenshot of its combination table (or its top)."""
    from selenium.webdriver.common.by import By

    with chromium(height=1100) as driver:
        driver.get(report.resolve().as_uri())
        matrix = driver.find_elements(By.ID, "matrix")
        if matrix:  # below the sticky filter bar
            driver.execute_script(
                "arguments[0].scrollIntoView({block: 'start'}); window.scrollBy(0, -60);",
                matrix[0],
            )
        out.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(out))
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m harness.report.browser REPORT.html SHOT.png", file=sys.stderr)
        return 2
    why = missing()
    if why is not None:
        print(f"cannot take a screenshot: {why}", file=sys.stderr)
        return 1
    print(f"wrote {screenshot(Path(args[0]), Path(args[1]))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
