"""The explorer page's look: its style sheet and the small HTML fragments it shows."""

from __future__ import annotations

import html

PATH_LABELS = (("mso.fee", "MSO fee"), ("mso", "MSO offer"), ("sites", "Sites"),
               ("finance", "Finance"), ("owner", "Owner"), ("software", "Software offer"),
               ("adjustments", "Volumes and prices"), ("site_defaults", "Site assumptions"))


def _note_html(text: str) -> str:
    return f"<div class='mx-note mx-unused'>{html.escape(text)}</div>" if text else ""


def notes_html(notes: list[tuple[str, str]]) -> str:
    items = [(sev, text) for sev, text in notes if sev != "disclaimer"]
    disclaimer = [text for sev, text in notes if sev == "disclaimer"]
    body = "".join(f"<li class='mx-{sev}'>{html.escape(text)}</li>" for sev, text in items)
    if not items:
        body = "<li class='mx-ok'>All three options are open to this owner on the data available.</li>"
    foot = f"<div class='mx-disclaimer'>{html.escape(disclaimer[0])}</div>" if disclaimer else ""
    return f"<div class='mx-notes'><b>Ownership rules and deal warnings</b><ul>{body}</ul>{foot}</div>"


def _problem_html(path: str, message: str) -> str:
    label = next((lab for prefix, lab in PATH_LABELS if path == prefix or path.startswith(prefix + ".")),
                 None)
    where = f"<b>{html.escape(label)}</b>: " if label else ""
    detail = f" <span class='mx-path'>({html.escape(path)})</span>" if path else ""
    return f"{where}{html.escape(message)}{detail}"


STYLE = """
<style>
.mso-explorer { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: #1f2a33; }
.mso-explorer .mx-panel-title { font-size: 15px; font-weight: 600; margin: 4px 0 8px 0; }
.mso-explorer .mx-title { font-size: 22px; font-weight: 600; margin: 0 0 2px 0; }
.mso-explorer .mx-subtitle { color: #5c6873; font-size: 13px; margin-bottom: 10px; }
.mso-explorer .mx-rec { background: #eef7f6; border-left: 4px solid #1B7F79; padding: 10px 14px;
  font-size: 14px; line-height: 1.45; border-radius: 3px; margin-bottom: 10px; }
.mso-explorer .mx-note { color: #5c6873; font-size: 12px; line-height: 1.35; margin: -2px 0 6px 173px; }
.mso-explorer .mx-status { color: #8a949c; font-size: 11px; margin-top: 6px; }
.mso-explorer .mx-error { background: #fbeeed; border-left: 4px solid #B5403A; padding: 8px 12px;
  font-size: 13px; border-radius: 3px; margin-bottom: 8px; line-height: 1.4; }
.mso-explorer .mx-error ul { margin: 4px 0 0 0; padding-left: 18px; }
.mso-explorer .mx-path { color: #8a949c; font-size: 11px; }
.mso-explorer .mx-file { background: #f3f6f8; padding: 8px 12px; font-size: 12.5px;
  border-radius: 3px; line-height: 1.4; word-break: break-all; }
.mso-explorer table.mx-kf { border-collapse: collapse; width: 100%; font-size: 13.5px;
  margin-bottom: 10px; }
.mso-explorer table.mx-kf th, .mso-explorer table.mx-kf td { padding: 5px 10px;
  border-bottom: 1px solid #e3e6ea; }
.mso-explorer table.mx-kf thead th { text-align: right; font-size: 14px; border-bottom: 2px solid #c9d0d6;
  vertical-align: bottom; }
.mso-explorer table.mx-kf td { text-align: right; font-variant-numeric: tabular-nums; }
.mso-explorer table.mx-kf th.mx-rowhead { text-align: left; font-weight: 500; color: #3d4852; }
.mso-explorer table.mx-kf tr.mx-npv-row td { font-weight: 700; font-size: 14.5px; }
.mso-explorer table.mx-kf .recommended { background: #f2faf9; }
.mso-explorer table.mx-kf .infeasible { color: #9aa3ab; }
.mso-explorer .mx-badge { display: block; font-size: 10.5px; font-weight: 600; margin-top: 2px;
  text-transform: uppercase; letter-spacing: 0.04em; }
.mso-explorer .mx-badge-good { color: #1B7F79; }
.mso-explorer .mx-badge-bad { color: #B5403A; }
.mso-explorer .mx-notes { font-size: 13px; line-height: 1.4; padding: 4px 4px 0 4px; }
.mso-explorer .mx-notes li { margin-bottom: 5px; }
.mso-explorer .mx-notes ul { margin: 4px 0; padding-left: 18px; }
.mso-explorer li.mx-bad { color: #B5403A; }
.mso-explorer li.mx-warn { color: #8a5a00; }
.mso-explorer li.mx-info { color: #3d4852; }
.mso-explorer .mx-disclaimer { color: #8a949c; font-size: 11.5px; line-height: 1.35; }
.mso-explorer .mx-ok { color: #2E7D4F; }
.mso-explorer .widget-readout { min-width: 64px; }
.mso-explorer .mx-unused { color: #8a5a00; }
.mso-explorer .mx-section { font-size: 16px; font-weight: 600; }
.mso-explorer .mx-drivers-text { font-size: 13px; line-height: 1.45; color: #3d4852;
  margin: 2px 0 6px 0; }
.mso-explorer .mso-drivers { border-top: 1px solid #e3e6ea; padding-top: 10px; }
.mso-explorer .mx-verdict { display: inline-block; font-size: 11px; font-weight: 700;
  text-transform: uppercase; letter-spacing: 0.04em; padding: 1px 7px; border-radius: 9px;
  background: #1B7F79; color: white; margin-right: 4px; }
.mso-explorer .mx-verdict-warn { border-left-color: #C98A1B; background: #fdf6ea; }
.mso-explorer .mx-verdict-warn .mx-verdict { background: #C98A1B; }
.mso-explorer .mx-verdict-bad { border-left-color: #B5403A; background: #fbeeed; }
.mso-explorer .mx-verdict-bad .mx-verdict { background: #B5403A; }
.mso-explorer .mx-prob, .mso-explorer .mx-breakeven, .mso-explorer .mx-pending {
  font-size: 13px; margin-top: 4px; }
.mso-explorer .mx-pending { color: #8a949c; font-style: italic; }
.mso-explorer .mx-structure { font-size: 13px; line-height: 1.45; margin: 0 0 10px 0;
  padding: 8px 12px; background: #f3f6f8; border-radius: 3px; }
.mso-explorer .mx-structure-note { font-size: 12.5px; line-height: 1.4; color: #3d4852;
  margin: 2px 0 6px 0; }
.mso-explorer .mx-rule { color: #5c6873; font-size: 12px; }
.mso-explorer .mx-description { color: #3d4852; font-size: 13px; margin-bottom: 2px; }
.mso-explorer .mx-subsection { font-size: 14px; font-weight: 600; margin: 10px 0 4px 0; }
.mso-explorer table.mx-small { border-collapse: collapse; font-size: 12.5px; width: 100%;
  margin-bottom: 6px; }
.mso-explorer table.mx-small th { text-align: left; border-bottom: 1px solid #c9d0d6;
  padding: 3px 8px; font-weight: 600; }
.mso-explorer table.mx-small td { border-bottom: 1px solid #eef0f2; padding: 3px 8px; }
.mso-explorer .mx-term { border-bottom: 1px dotted #8a949c; cursor: help; }
.mso-explorer .mx-box input { text-align: right; font-variant-numeric: tabular-nums; }
.mso-explorer .mx-invalid input { border-color: #B5403A !important; background: #fbeeed;
  color: #B5403A; }
.mso-explorer dl.mx-glossary { font-size: 13px; line-height: 1.4; margin: 0; }
.mso-explorer dl.mx-glossary dt { font-weight: 600; margin-top: 6px; }
.mso-explorer dl.mx-glossary dd { margin: 0 0 0 12px; color: #3d4852; }
.mso-explorer table.mso-side-by-side td { text-align: right; }
</style>
"""
