"""End to end: the Voilà app (as `msomodel explore` starts it) driven in Debian's Chromium.

Needs /usr/bin/chromium (`bash scripts/ensure-system-deps.sh` installs it as root). Without it
the test is skipped, except in CI (``CI=true``) where it fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from msomodel import tables
from msomodel.compare import compare
from msomodel.explorer.app import App, free_port, start
from msomodel.loader import _load_tree, scenario_from_dict

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
OHIO = ROOT / "scenarios" / "ohio_physician_single_site.yaml"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the browser test must run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def sync_api() -> Any:
    if not CHROMIUM.exists():
        _unavailable("Debian's Chromium is missing at /usr/bin/chromium; install it with "
                     "`bash scripts/ensure-system-deps.sh` as root (apt-get install chromium)")
    try:
        from playwright import sync_api
    except ImportError:
        _unavailable("playwright (python) is not installed: pip install -e '.[test]'")
    return sync_api


@pytest.fixture(scope="module")
def app(sync_api: Any) -> Iterator[App]:
    running = start(free_port(0), scenario=OHIO, timeout=60)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def page(sync_api: Any, app: App) -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1900})
            page.set_default_timeout(30_000)
            page.goto(app.url)
            page.wait_for_selector("#mso-npv", state="visible", timeout=45_000)
            yield page
        finally:
            browser.close()


def expected_mso_npv(**fee: float) -> float:
    """The package's figure for the scenario with the MSO fee fields changed (dict -> compare)."""
    data = _load_tree(OHIO)
    data["mso"]["fee"].update(fee)
    return compare(scenario_from_dict(data)).metrics["mso"]["npv"]


def shown_npv(page: Any) -> tuple[str, float]:
    cell = page.locator("#mso-npv")
    return cell.inner_text().strip(), float(cell.get_attribute("data-value"))


def test_changing_the_fee_updates_the_displayed_mso_npv(page: Any, app: App, tmp_path: Path) -> None:
    text, value = shown_npv(page)
    assert text == tables.money(expected_mso_npv())
    body = page.inner_text("body")
    assert "Traceback" not in body
    assert page.locator("[data-mime-type*='error'], [data-mime-type*='stderr']").count() == 0
    assert "Ohio physician, single site" in body

    readout = page.locator(".mso-fee-level .widget-readout")
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("15000")
    page.keyboard.press("Enter")
    page.wait_for_function(
        f"document.querySelector('#mso-npv').dataset.value !== '{value!r}'", timeout=20_000)

    expected = expected_mso_npv(per_site_monthly=15000.0)
    text, value = shown_npv(page)
    assert text == tables.money(expected)
    assert value == pytest.approx(expected, rel=1e-9)
    assert "15,000" in page.inner_text(".mso-recommendation")
    page.screenshot(path=str(tmp_path / "explorer.png"), full_page=True)
    assert (tmp_path / "explorer.png").stat().st_size > 10_000

    # An invalid combination: a message next to the controls, the last result stays.
    page.fill(".mso-fee-floor input", "20000")
    page.keyboard.press("Enter")
    page.wait_for_function(
        f"document.querySelector('#mso-npv').dataset.value !== '{value!r}'", timeout=20_000)
    page.fill(".mso-fee-cap input", "5000")
    page.keyboard.press("Enter")
    message = page.locator(".mso-message .mx-error")
    message.wait_for(state="visible", timeout=20_000)
    assert "below" in message.inner_text()
    assert "Traceback" not in page.inner_text("body")
    page.screenshot(path=str(tmp_path / "explorer-error.png"), full_page=True)


def expected_incremental_npv(option: str = "mso", **fee: float) -> float:
    data = _load_tree(OHIO)
    data["mso"]["fee"].update(fee)
    return compare(scenario_from_dict(data)).incremental[option]["npv"]


def test_what_drives_the_answer_shows_the_tornado_and_follows_the_fee(
        page: Any, app: App, tmp_path: Path) -> None:
    text = page.locator(".mso-drivers-text")
    chart = page.locator("img.mso-drivers-chart")
    chart.wait_for(state="visible", timeout=30_000)
    base = tables.money(expected_incremental_npv())
    page.wait_for_function(f"document.querySelector('.mso-drivers-text').innerText.includes('{base}')",
                           timeout=30_000)
    assert "What drives the answer" in page.inner_text(".mso-drivers")
    assert "MSO fee" in text.inner_text()  # the widest bar of this scenario, in plain English
    assert chart.bounding_box()["height"] > 200
    assert page.locator("#mso-incremental-npv").inner_text().strip() == base

    readout = page.locator(".mso-fee-level .widget-readout")
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("15000")
    page.keyboard.press("Enter")
    moved = tables.money(expected_incremental_npv(per_site_monthly=15000.0))
    page.wait_for_function(
        f"document.querySelector('.mso-drivers-text').innerText.includes('{moved}')",
        timeout=30_000)
    assert page.locator("#mso-incremental-npv").inner_text().strip() == moved
    page.screenshot(path=str(tmp_path / "explorer-drivers.png"), full_page=True)

    page.get_by_role("button", name="Software advantage").click()
    software = tables.money(expected_incremental_npv("software_only"))
    page.wait_for_function(
        f"document.querySelector('.mso-drivers-text').innerText.includes('{software}')",
        timeout=30_000)
    assert "Software only" in text.inner_text()
    assert "Traceback" not in page.inner_text("body")


def test_admin_roles_are_disabled_for_an_owned_mso(page: Any) -> None:
    boxes = page.locator(".mso-role-office-manager input")
    assert boxes.is_enabled()
    page.locator(".mso-mso-kind select").select_option(label="Owned MSO + friendly PC")
    page.wait_for_function(
        "document.querySelector('.mso-role-office-manager input').disabled === true",
        timeout=20_000)
    assert "owned MSO" in page.inner_text(".mso-explorer")
