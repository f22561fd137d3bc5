#!/usr/bin/env bash
# Installs the Debian packages the test suite needs when running as root and they are missing:
# Chromium for the browser test, poppler-utils (pdftoppm) for the report page-fill test,
# LibreOffice Calc for the workbook recalculation test; the
# pango/cairo libraries WeasyPrint uses are already part of the base image. Outside root nothing
# is installed; tests that need them skip with a reason (except in CI, where they must run).
set -u
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
# LibreOffice Calc (headless) recalculates the exported workbook in tests/test_export.py.
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-calc-nogui)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages: ${need[*]}"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}") >/tmp/msomodel-apt.log 2>&1 \
    || { echo "apt-get install ${need[*]} failed (see /tmp/msomodel-apt.log)"; exit 0; }
else
  echo "Not root: not installing ${need[*]}; tests that need them will be skipped."
fi
exit 0
