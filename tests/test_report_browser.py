"""The report as a person sees it, in headless Chromium.

Skips (with the reason) where Chromium, its driver or selenium are missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.report import write_report
from harness.report.browser import chromium, screenshot
from harness.results import load_results
from tests.test_report_gate import runs  # noqa: F401  (the module-scoped runs fixture)

pytestmark = pytest.mark.needs("chromium")

FAIL_RED = "rgba(198, 40, 40, 1)"
PASS_GREEN = "rgba(46, 125, 50, 1)"


@pytest.fixture(scope="module")
def page(runs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    from harness.corpus.loader import load_corpus
    from harness.paths import default_corpus

    out = tmp_path_factory.mktemp("page") / "report.html"
    return write_report([runs["ref"], runs["wrong"]], out, load_corpus(default_corpus()))


def test_columns_colours_click_and_filter(page: Path, runs: dict[str, Path]) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    bad = sorted(
        r["id"]
        for r in load_results(runs["wrong"])["results"]
        if r["status"] == "fail" and not r["id"].startswith("table-")
    )
    assert bad
    with chromium() as driver:
        driver.get(page.as_uri())
        heads = driver.find_elements(By.CSS_SELECTOR, "#summary th.col-head")
        assert len(heads) == 2
        assert "snapconform-reference" in heads[0].text and "no_memory" in heads[1].text
        row = driver.find_element(By.XPATH, f'//tr[contains(@class,"case-row")][td[1]="{bad[0]}"]')
        ref_cell, wrong_cell = row.find_elements(By.CSS_SELECTOR, "td.cell")
        assert ref_cell.value_of_css_property("background-color") == PASS_GREEN
        assert wrong_cell.value_of_css_property("background-color") == FAIL_RED
        detail = driver.find_element(By.ID, wrong_cell.get_attribute("data-detail"))
        assert not detail.is_displayed()
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", wrong_cell)
        wrong_cell.click()
        assert detail.is_displayed()
        diff = detail.find_element(By.CSS_SELECTOR, "pre.diff")
        assert diff.is_displayed() and "memory" in diff.text
        assert detail.find_element(By.CSS_SELECTOR, "pre.reproduction").is_displayed()
        # the status filter hides the rows where every implementation passed
        passing = driver.find_element(
            By.XPATH, '//tr[contains(@class,"case-row")][@data-statuses="pass pass"]'
        )
        assert passing.is_displayed()
        Select(driver.find_element(By.ID, "f-status")).select_by_value("problem")
        assert not passing.is_displayed()
        assert row.is_displayed()
        assert "rows shown" in driver.find_element(By.ID, "shown").text


def test_screenshot(page: Path, tmp_path: Path) -> None:
    shot = screenshot(page, tmp_path / "shot.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
