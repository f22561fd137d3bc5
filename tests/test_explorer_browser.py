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
from system_packages import unavailable

from msomodel import rules, tables
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
    unavailable(reason, "the browser test")


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


SHOTS = Path(os.environ.get("MSOMODEL_SCREENSHOTS", "/tmp"))


def expected_mso_npv(**fee: float) -> float:
    """The package's figure for the scenario with the MSO fee fields changed (dict -> compare)."""
    data = _load_tree(OHIO)
    data["mso"]["fee"].update(fee)
    return compare(scenario_from_dict(data), trials=0).metrics["mso"]["npv"]


def shown_npv(page: Any) -> tuple[str, float]:
    cell = page.locator("#mso-npv")
    return cell.inner_text().strip(), float(cell.get_attribute("data-value"))


def type_in(page: Any, key: str, text: str) -> None:
    """Type into a control's number or text box and commit it (Enter)."""
    box = page.locator(f".mso-{key} input").first
    box.fill(text)
    box.press("Enter")


def npv_changes(page: Any, value: float) -> None:
    page.wait_for_function(
        f"document.querySelector('#mso-npv').dataset.value !== '{value!r}'", timeout=30_000)


def test_the_fee_box_updates_the_npv_and_rejects_bad_input(page: Any) -> None:
    text, value = shown_npv(page)
    assert text == tables.money(expected_mso_npv())
    body = page.inner_text("body")
    assert "Traceback" not in body
    assert page.locator("[data-mime-type*='error'], [data-mime-type*='stderr']").count() == 0
    assert "Ohio physician, single site" in body

    page.get_by_text("Third-party MSO offer").click()
    type_in(page, "fee-level-box", "-5000")  # rejected visibly, not clamped to $0
    message = page.locator(".mso-message .mx-error")
    message.wait_for(state="visible", timeout=20_000)
    assert "-5000" in message.inner_text() and "Fee ($/site/month)" in message.inner_text()
    assert page.locator(".mso-fee-level-box.mx-invalid").count() == 1
    assert shown_npv(page)[1] == value
    page.screenshot(path=str(SHOTS / "explorer-rejected.png"), full_page=True)

    type_in(page, "fee-level-box", "15000")
    npv_changes(page, value)
    expected = expected_mso_npv(per_site_monthly=15000.0)
    text, value = shown_npv(page)
    assert text == tables.money(expected)
    assert value == pytest.approx(expected, rel=1e-9)
    assert page.locator(".mso-message .mx-error").count() == 0
    assert page.locator(".mso-fee-level-box.mx-invalid").count() == 0


def test_texas_rn_path_to_three_feasible_options_and_the_name_follows(page: Any) -> None:
    _, value = shown_npv(page)
    page.locator(".mso-state select").select_option(label="Texas (TX)")
    page.locator(".mso-licence select").select_option(label="Registered nurse")
    page.wait_for_function(
        "document.querySelector('.mso-structure-banner').innerText.includes('registered nurse')",
        timeout=30_000)
    structure = page.inner_text(".mso-structure-banner")
    assert "registered nurse may not own" in structure and f"confidence {rules.lookup('TX', 'rn').confidence}" in structure
    assert "source:" in structure
    # the banner and the table are separate outputs: wait for the table's own update too
    page.wait_for_function(
        "document.querySelector('.mso-key-figures').innerText.includes('Feasible with conditions')",
        timeout=30_000)
    table = page.inner_text(".mso-key-figures")
    assert "Not permitted" not in table and table.count("Feasible with conditions") == 3
    assert "No option is open" not in page.inner_text("body")
    # the Monte Carlo follows the table
    page.locator(".mso-recommendation .mx-prob").wait_for(state="visible", timeout=60_000)
    assert "500 simulated trials" in page.inner_text(".mso-recommendation")
    assert "What would flip it" in page.inner_text(".mso-decision-details")
    # the name and the header follow the owner
    assert page.locator(".mso-name input").input_value() == "Texas registered nurse, single site"
    assert "Texas registered nurse, single site" in page.inner_text(".mx-title")
    page.locator("img.mso-drivers-chart").wait_for(state="visible", timeout=30_000)
    page.wait_for_function(
        "document.querySelector('.mso-drivers-text').innerText.includes('self-managed + software')",
        timeout=30_000)
    page.screenshot(path=str(SHOTS / "explorer-texas-rn.png"), full_page=True)


def test_an_invalid_setting_keeps_the_last_result_and_recovers(page: Any) -> None:
    text, value = shown_npv(page)
    page.get_by_text("Sites", exact=True).click()
    type_in(page, "cadence-box", "6")
    type_in(page, "n-sites-box", "20")
    message = page.locator(".mso-message .mx-error")
    message.wait_for(state="visible", timeout=30_000)
    words = message.inner_text()
    assert "Site 11" in words and "after the 5-year horizon" in words
    assert "fewer sites or shorter spacing" in words
    assert shown_npv(page)[0] == text  # the last valid result stays
    page.screenshot(path=str(SHOTS / "explorer-invalid.png"), full_page=True)
    # the page still answers: a state change is taken, the message stays until the fix
    page.get_by_text("Owner and legal structure").click()
    page.locator(".mso-state select").select_option(label="Florida (FL)")
    page.wait_for_timeout(1500)
    assert "Site 11" in page.inner_text(".mso-message")
    page.get_by_text("Sites", exact=True).click()
    type_in(page, "cadence-box", "3")
    page.wait_for_function(
        "document.querySelector('.mso-message').innerText.trim() === ''", timeout=30_000)
    npv_changes(page, value)
    assert "20 site(s)" in page.inner_text(".mx-subtitle")
    assert "Florida physician, 20 sites" in page.inner_text(".mx-title")
    assert "Traceback" not in page.inner_text("body")
    page.screenshot(path=str(SHOTS / "explorer-recovered.png"), full_page=True)


def test_two_saved_scenarios_side_by_side(page: Any, tmp_path: Path) -> None:
    type_in(page, "save-dir", str(tmp_path))
    page.get_by_role("button", name="Save scenario").click()
    page.wait_for_function(
        "document.querySelector('.mso-file-status').innerText.includes('Saved')", timeout=30_000)
    assert "ohio_physician_single_site_edited.yaml" in page.inner_text(".mso-file-status")
    page.locator(".mso-licence select").select_option(label="Registered nurse")
    page.locator(".mso-state select").select_option(label="Texas (TX)")
    page.wait_for_function(
        "document.querySelector('.mx-title').innerText.includes('Texas registered nurse')",
        timeout=30_000)
    page.get_by_role("button", name="Save scenario").click()
    page.wait_for_function(
        "document.querySelector('.mso-file-status').innerText.includes("
        "'texas_registered_nurse_single_site.yaml')", timeout=30_000)
    assert (tmp_path / "texas_registered_nurse_single_site.yaml").is_file()
    page.get_by_role("button", name="Compare side by side").click()
    table = page.locator(".mso-side-by-side table")
    table.wait_for(state="visible", timeout=30_000)
    text = table.inner_text()
    assert "Ohio physician, single site" in text and "Texas registered nurse, single site" in text
    assert "Direct ownership" in text and "Owned MSO + friendly PC" in text
    table.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "explorer-side-by-side.png"), full_page=True)
