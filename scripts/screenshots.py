"""Take headless-Chromium screenshots of the main pages of a running Feedloop (for looking at the product).

Usage: .venv/bin/python scripts/screenshots.py http://127.0.0.1:5000 out-dir
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

PAGES = {
    "csm@example.com": ["/", "/recovery"],
    "product@example.com": ["/insights"],
    "marketing@example.com": ["/advocacy"],
}


def main(base: str, out: Path) -> None:
    """Log in as each demo role and capture its pages, plus the public survey."""
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium",
                                     args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        page = ctx.new_page()
        page.goto(f"{base}/s/demo-nps")
        page.screenshot(path=str(out / "survey.png"), full_page=True)
        for email, paths in PAGES.items():
            ctx.clear_cookies()
            page.goto(f"{base}/login")
            page.fill("#email", email)
            page.fill("#password", "demo1234")
            page.click("button[type=submit]")
            page.wait_for_load_state()
            for path in paths:
                page.goto(base + path)
                name = email.split("@")[0] + path.replace("/", "_") + ".png"
                page.screenshot(path=str(out / name), full_page=False)
                print(out / name)
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
