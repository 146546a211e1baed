"""Helpers shared by the Python interop suites, loaded by path (each suite runs in its own venv
and rootdir, so this is not a package):

- ``interop_helpers()``: Tests/interop/conftest.py, whose `start_tern`, `stop_tern`, `fake_llm`
  start a real `tern serve` and the scripted fake LLM;
- ``headless_chromium()``: Debian `chromium` + `chromium-driver` driven by selenium.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from contextlib import contextmanager

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def interop_helpers():
    """Tests/interop/conftest.py as a module (imported, not copied)."""
    spec = importlib.util.spec_from_file_location(
        "tern_interop_helpers", os.path.join(ROOT, "Tests", "interop", "conftest.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextmanager
def headless_chromium(missing, setup_script: str, window: str = "1280,900"):
    """A fresh headless Chromium; `missing(why)` skips or fails when it or selenium is absent."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing(f"selenium is not installed; run {setup_script}")
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not binary or not driver_path:
        missing("chromium and chromedriver are needed (Debian packages chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={window}", "--lang=en-US", "--no-first-run"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()
