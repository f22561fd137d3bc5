"""The cover page: who the report is for and from, the date, an optional logo, the scenario's
key facts and the report's one notice (not legal or financial advice)."""

from __future__ import annotations

import base64
import datetime
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from msomodel import tables
from msomodel.compare import Comparison
from msomodel.formatting import css_string
from msomodel.report.sections.common import (
    LICENCE_NAMES,
    _e,
    amount,
    amounts_in_text,
    state_name,
    status_text,
    years,
)

#: Largest logo file embedded in a report.
MAX_LOGO_BYTES = 2_000_000
#: The running footer's second line on every page after the cover (the cover's notice is in full).
FOOTER_NOTICE = "Not legal or financial advice"
_IMAGE_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}


class LogoError(ValueError):
    """A logo that cannot be used (missing, unreadable, too large, not a PNG or JPEG image)."""


def opening_plan(result: Comparison) -> str:
    sites = result.scenario.sites
    if len(sites) == 1:
        return f"one site ({sites[0].name}), opening in month {sites[0].open_month}"
    parts = ", ".join(f"{s.name} (month {s.open_month})" for s in sites)
    return f"{len(sites)} sites: {parts}"


def structure_line(result: Comparison) -> str:
    """'Owned MSO + friendly PC (feasible with conditions)'."""
    found = result.compliance.structures.get(result.structure)
    status = f" ({status_text(found.status).lower()})" if found and result.compliance.checked else ""
    return result.structure_label + status


# ----------------------------------------------------------------- the logo
def image_type(data: bytes) -> str | None:
    """The MIME type of a PNG or JPEG image from its first bytes (None for anything else)."""
    return next((mime for magic, mime in _IMAGE_TYPES.items() if data.startswith(magic)), None)


def logo_data_uri(source: str | os.PathLike[str] | bytes, *, what: str = "logo") -> str:
    """A PNG or JPEG logo as a ``data:`` URI, so the PDF embeds it and nothing is fetched.

    ``source`` is a file path, the file's bytes, or a ``data:`` URI made by this function (as the
    batch passes it on). Raises :class:`LogoError` saying what is wrong (``what`` names the
    setting in the message): no such file, unreadable, empty, too large, not a PNG or JPEG, or
    an image that does not decode."""
    if isinstance(source, str) and source.startswith("data:"):
        try:
            data = base64.b64decode(source.split(",", 1)[1], validate=True)
        except (IndexError, ValueError):
            raise LogoError(f"{what}: not a base64 data URI") from None
        name = "the image"
    elif isinstance(source, bytes):
        data, name = source, "the image"
    else:
        path = Path(source)
        name = str(path)
        if not path.is_file():
            from msomodel.loading.validate import not_a_file

            raise LogoError(f"{what}: expected an image file, found {not_a_file(path)}: {name}")
        try:
            if path.stat().st_size > MAX_LOGO_BYTES:
                raise LogoError(f"{what}: {name} is larger than {MAX_LOGO_BYTES // 1_000_000} MB")
            data = path.read_bytes()
        except OSError as exc:
            raise LogoError(f"{what}: cannot read {name}: {exc.strerror or exc}") from None
    if len(data) > MAX_LOGO_BYTES:
        raise LogoError(f"{what}: {name} is larger than {MAX_LOGO_BYTES // 1_000_000} MB")
    mime = image_type(data)
    if mime is None:
        raise LogoError(f"{what}: {name} is not a PNG or JPEG image")
    try:
        import io

        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except Exception:
        raise LogoError(f"{what}: {name} is not a readable {mime.split('/')[1].upper()} image "
                        "(damaged or truncated)") from None
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def scenario_logo(scenario_path: str | os.PathLike[str]) -> Path | None:
    """The file named by ``report: logo:`` in a scenario file or the first base of its
    ``extends:`` chain that sets it, resolved relative to that file's folder (None if unset)."""
    from msomodel.report.sources import _read_yaml, extends_chain

    for file in extends_chain(scenario_path):
        data = _read_yaml(file)
        report = data.get("report") if isinstance(data, dict) else None
        logo = report.get("logo") if isinstance(report, dict) else None
        if isinstance(logo, str) and logo.strip():
            return (file.parent / logo.strip()).resolve()
    return None


def cover_logo(logo: str | None, scenario_path: str | os.PathLike[str]) -> str | None:
    """The cover's logo as a data URI: ``logo`` (the report's ``--logo``: a path or a data URI)
    if given, else the scenario's ``report.logo``; None without either.

    A bad scenario logo raises :class:`~msomodel.errors.ScenarioError` naming the file and
    ``report.logo`` (the report then fails as for any invalid scenario)."""
    if logo:
        return logo_data_uri(logo, what="--logo")
    found = scenario_logo(scenario_path)
    if found is None:
        return None
    try:
        return logo_data_uri(found, what="report.logo")
    except LogoError as exc:
        from msomodel.errors import Problem, ScenarioError

        raise ScenarioError([Problem(file=Path(scenario_path).name, path="",
                                     message=str(exc))]) from None


# ----------------------------------------------------------------- the notice
def notice(result: Comparison) -> str:
    """The report's one notice: printed once, on the cover (no section repeats it)."""
    rules = result.compliance.disclaimer.strip()
    return ('<div class="cover-notice"><strong>Not legal or financial advice.</strong> This report '
            "is a model of the scenario's assumptions, which are listed in the appendix; its "
            "figures are projections, not a promise of results. The ownership rules in it are "
            f"summarized from public sources. {_e(rules)}</div>")


def _date(value: datetime.date | str | None) -> datetime.date:
    if isinstance(value, datetime.date):
        return value
    if value:
        return datetime.date.fromisoformat(str(value))
    return datetime.date.today()


def title_page(results: Comparison | Sequence[Comparison], *, title: str | None = None,
               version: str, date: datetime.date | str | None = None,
               prepared_for: str | None = None, prepared_by: str | None = None,
               logo: str | None = None) -> str:
    """The cover: the client it is prepared for (default: the scenario's ``report.prepared_for``,
    else its name), who prepared it (``report.prepared_by``), the date (default: today), the
    logo (a data URI, see :func:`cover_logo`), the scenario's key facts and provenance (file name
    and hash, no local path), and the notice. Arguments override the scenario's settings."""
    results = [results] if isinstance(results, Comparison) else list(results)
    result = results[0]
    s = result.scenario
    meta = s.report
    day = _date(date)
    when = f"{day:%d %B %Y}".lstrip("0")
    client = prepared_for or meta.prepared_for or s.name
    preparer = prepared_by or meta.prepared_by
    owner = ("not given (ownership rules not checked)" if s.owner is None else
             f"{LICENCE_NAMES.get(s.owner.licence, s.owner.licence)}, "
             f"{state_name(s.owner.state)}")
    be = result.breakeven
    who = [("Prepared for", client)] + ([("Prepared by", preparer)] if preparer else []) + [
        ("Date", when)]
    rows = [
        ("Owner", owner),
        ("Legal structure" if len(results) == 1 else "Legal structures (side by side)",
         "; ".join(structure_line(r) for r in results)),
        ("Options compared", "Self-managed, self-managed + practice-management software, "
                             "a third-party MSO"),
        ("Sites", opening_plan(result)),
        ("Third-party MSO offer", offer_text(s.mso.fee) if s.mso is not None else
         f"fee {amounts_in_text(tables.fee_level(be.current, be.unit))}"),
        ("Horizon", f"{result.horizon} months ({years(result.horizon)})"),
        ("Discount rate", f"{tables.pct(s.finance.discount_rate_annual)} a year"),
        ("Model", f"msomodel {version}"),
        ("Scenario file", f"{Path(s.source_path).name if s.source_path else '—'}, "
                          f"SHA-256 {(s.sha256 or '')[:12]}"),
    ]
    prepared = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in who)
    facts = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    desc = f'<p class="cover-description">{_e(s.description)}</p>' if s.description else ""
    running = f"Prepared for {client}" + (f" by {preparer}" if preparer else "") + f", {when}"
    image = (f'<div class="cover-logo"><img alt="Logo" src="{_e(logo)}"/></div>' if logo else "")
    # The running footer of every page after the cover (both renderers read @page rules in <style>).
    # The notice is its own line under it (print.css: white-space: pre-line).
    footer = (f"<style>@page {{ @bottom-left {{ content: {css_string(running)} \"\\A\" "
              f"{css_string(FOOTER_NOTICE)}; }} }}</style>")
    return (
        f"{footer}"
        '<section class="cover">'
        f"{image}"
        '<div class="cover-kicker">Operating-model comparison for a medical spa</div>'
        f'<h1 class="cover-title">{_e(title or s.name)}</h1>'
        '<div class="cover-subtitle">Legal structure &middot; self-managed &middot; '
        'practice-management software &middot; third-party MSO</div>'
        f"{desc}"
        f'<table class="cover-prepared">{prepared}</table>'
        f'<table class="cover-facts">{facts}</table>'
        f"{notice(result)}"
        "</section>"
    )


def offer_text(fee: Any) -> str:
    """The third-party MSO's fee in words, whole: "12.0% of each site's monthly collections up
    to $100k, 9.0% to $200k, 7.0% above; at least $6,000 per site per month; onboarding $20.0k
    per site; 24-month term"."""
    pct = tables.pct
    if fee.type == "flat":
        head = f"{amount(fee.per_site_monthly)} per site per month"
    elif fee.type == "percentage":
        head = f"{pct(fee.percent)} of each site's collections"
    elif fee.type == "hybrid":
        head = (f"{amount(fee.base_per_site_monthly)} per site per month plus "
                f"{pct(fee.percent)} of collections")
    elif fee.type == "cost_plus":
        head = f"its costs plus a {pct(fee.markup)} markup"
        if fee.overhead_per_site_monthly:
            head += f" (its own cost {amount(fee.overhead_per_site_monthly)} per site per month)"
    else:  # tiered: marginal bands of a site's monthly collections
        bands = []
        for i, tier in enumerate(fee.tiers):
            rate = pct(tier.percent) + (" of each site's monthly collections" if i == 0 else "")
            if tier.up_to_monthly is None:
                bands.append(f"{rate} above" if i else rate)
            else:
                bands.append(f"{rate} {'up to' if i == 0 else 'to'} {amount(tier.up_to_monthly)}")
        head = ", ".join(bands)
    parts = [head]
    if fee.floor_per_site_monthly:
        parts.append(f"at least {amount(fee.floor_per_site_monthly)} per site per month")
    if fee.cap_per_site_monthly is not None:
        parts.append(f"at most {amount(fee.cap_per_site_monthly)} per site per month")
    if fee.escalator_annual:
        parts.append(f"rising {pct(fee.escalator_annual)} a year")
    if fee.onboarding_fee_per_site:
        parts.append(f"onboarding {amount(fee.onboarding_fee_per_site)} per site")
    parts.append(f"{fee.term_months}-month term")
    return "; ".join(parts)
