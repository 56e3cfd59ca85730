"""What browser tests do on every page: sign in, check accessibility, take the README's screenshots."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

PASSWORD = "correct horse battery staple"  # the personas' password in the root conftest.py
AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
# The README's screenshots are rewritten only by `make screenshots` (they show the time, so every run
# differs); an ordinary test run keeps its screenshots with its data.
TEST_DATA = Path(os.environ.get("CAREFRONT_DATA_DIR", ".test-data"))
SCREENSHOTS = Path(os.environ.get("CAREFRONT_SCREENSHOTS_DIR") or TEST_DATA / "screenshots")
BLOCKING_IMPACTS = ("serious", "critical")

# Reports every Content-Security-Policy violation of the page into window.__cspViolations (read by
# axe_check): an init script runs through the DevTools protocol, so the policy does not block it.
CSP_RECORDER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " blocked " + (event.blockedURI || "inline") +
    " at " + (event.sourceFile || document.location.href) + ":" + event.lineNumber);
});
"""

AXE_RUN = """
async () => {
  const results = await window.axe.run(document, {resultTypes: ["violations"]});
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    targets: v.nodes.map((node) => node.target.join(" ")),
  }));
}
"""


def login(page: Page, username: str, password: str = PASSWORD) -> None:
    """Sign in to the staff workspace through its form and land on the page it leads to."""
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).not_to_have_url(re.compile(r"/login/"))
    # Deferred scripts (keyboard shortcuts, htmx) have run once the page has loaded.
    page.wait_for_load_state()


def portal_login(page: Page, email: str, password: str = PASSWORD) -> None:
    """Sign in to the customer portal with a password (the emailed link has its own test)."""
    page.goto("/portal/login/")
    with_password = page.get_by_role("region", name="Sign in with a password")
    with_password.get_by_label("Email address").fill(email)
    with_password.get_by_label("Password").fill(password)
    with_password.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/login/"))


def htmx_settled(page: Page) -> None:
    """Wait until htmx has finished swapping: it binds the triggers of new content (hx-trigger="change")
    only once the swap has settled, so a change made sooner would go unnoticed."""
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")


def axe_check(page: Page) -> None:
    """Fail on any serious or critical axe-core violation, and on any Content-Security-Policy violation.

    axe is evaluated through the DevTools protocol, which the page's policy does not govern: a
    <script> tag with the source inline would itself be refused (no 'unsafe-inline').
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE)
    violations: list[dict[str, Any]] = page.evaluate(AXE_RUN)
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    report = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}\n  {v['helpUrl']}\n  targets: {', '.join(v['targets'])}"
        for v in blocking
    )
    if report:
        print(f"axe violations on {page.url}:\n{report}")
    assert not blocking, f"axe found serious or critical violations on {page.url}:\n{report}"
    csp = page.evaluate("() => window.__cspViolations || []")
    assert csp == [], f"Content-Security-Policy violations on {page.url}: {csp}"


def screenshot(page: Page, name: str) -> Path:
    """Save the visible page as <name>.png: in docs/screenshots (committed, shown in the README) when
    `make screenshots` runs the tests, beside the test data otherwise."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    # axe scrolls elements into view while it checks contrast: show the page from its top.
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(path), animations="disabled", caret="hide")
    return path


def assert_no_horizontal_scroll(page: Page, width: int) -> None:
    """The page fits `width` CSS pixels: nothing sticks out to the right."""
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    if scroll_width > width:
        culprits = page.evaluate(
            """(width) => {
                const wide = Array.from(document.querySelectorAll("body *")).filter((el) =>
                    el.getBoundingClientRect().right > width + 0.5 ||
                    (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === "visible"));
                // The innermost ones: an overflowing child makes all its ancestors overflow too.
                return wide.filter((el) => !wide.some((other) => other !== el && el.contains(other)))
                    .slice(0, 10)
                    .map((el) => {
                        const classes = typeof el.className === "string" ? el.className.trim().split(/\\s+/) : [];
                        return el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
                            classes.filter(Boolean).map((name) => "." + name).join("");
                    });
            }""",
            width,
        )
        raise AssertionError(f"{page.url} is {scroll_width}px wide at {width}px; widest elements: {culprits}")
