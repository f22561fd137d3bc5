#!/usr/bin/env bash
# Installs the Debian packages msomodel needs when running as root and they are missing.
#
#   bash scripts/ensure-system-deps.sh          everything the test suite needs
#   bash scripts/ensure-system-deps.sh report   only what report rendering uses
#
# - chromium: prints the reports' PDFs (headless, about 0.5 s a report in a running browser);
#   without it msomodel prints them with WeasyPrint (about 3.5 s a report). Also the browser
#   tests' browser.
# - libharfbuzz-subset0: WeasyPrint subsets the PDF's fonts with HarfBuzz when this library is
#   present, and otherwise with fontTools in pure Python (about 0.5 s more CPU per report, the
#   same PDF).
# - poppler-utils (pdftoppm, the report page-fill test) and libreoffice-calc-nogui (the
#   workbook recalculation test in tests/test_export.py): tests only.
# The pango/cairo libraries WeasyPrint needs are part of the base image. Outside root nothing is
# installed; the tests that need a missing package skip with a reason (except under CI=true,
# where they fail).
set -u
need=()
# ldconfig lives in /sbin, which is not on every user's PATH.
{ ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null; } | grep -q 'libharfbuzz-subset\.so\.0' \
  || need+=(libharfbuzz-subset0)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ "${1:-all}" != "report" ]; then
  command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
  command -v soffice >/dev/null 2>&1 || need+=(libreoffice-calc-nogui)
fi
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages: ${need[*]}"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}") >/tmp/msomodel-apt.log 2>&1 \
    || { echo "apt-get install ${need[*]} failed (see /tmp/msomodel-apt.log)"; exit 0; }
else
  echo "Not root: not installing ${need[*]} (see scripts/ensure-system-deps.sh for what each is for)."
fi
exit 0
