# The web admin's browser tests: Debian's chromium and chromium-driver, driven by Python
# selenium (PyPI, in a venv of its own, with html5lib for the strict HTML parse). Source this
# file and call ensure_browser; it exports SMOKEFLOW_BROWSER_PYTHON for WebAdminBrowserTests.

SELENIUM_VERSION=4.27.1
HTML5LIB_VERSION=1.1
BROWSER_VENV=${BROWSER_VENV:-$HOME/.cache/smokeflow/browser-selenium-$SELENIUM_VERSION}

ensure_browser() {
  ensure_packages chromium chromium-driver librsvg2-bin python3-venv
  if [ ! -x "$BROWSER_VENV/bin/python" ] || ! "$BROWSER_VENV/bin/python" -c "import selenium, html5lib" 2>/dev/null; then
    python3 -m venv "$BROWSER_VENV"
    "$BROWSER_VENV/bin/pip" install -q "selenium==$SELENIUM_VERSION" "html5lib==$HTML5LIB_VERSION"
  fi
  export SMOKEFLOW_BROWSER_PYTHON="$BROWSER_VENV/bin/python"
  export SMOKEFLOW_CHROMEDRIVER=/usr/bin/chromedriver
  export SMOKEFLOW_CHROMIUM=/usr/bin/chromium
}
