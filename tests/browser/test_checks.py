"""The checks every browser test relies on do catch what they are meant to catch."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.helpers import CSP_RECORDER, assert_no_horizontal_scroll, axe_check

pytestmark = [pytest.mark.browser]


@pytest.fixture
def blank_page(browser: Browser) -> Any:
    context = browser.new_context()
    context.add_init_script(CSP_RECORDER)
    yield context.new_page()
    context.close()


def test_axe_check_fails_on_a_control_without_a_label(blank_page: Page) -> None:
    blank_page.set_content('<!doctype html><html lang="en"><title>t</title><main><select></select></main></html>')

    with pytest.raises(AssertionError, match=r"select-name \(critical\)"):
        axe_check(blank_page)


def test_axe_check_fails_on_an_inline_style_the_policy_refuses(blank_page: Page) -> None:
    blank_page.route(
        "http://carefront.test/",
        lambda route: route.fulfill(
            content_type="text/html",
            headers={"Content-Security-Policy": "style-src 'self'"},
            body='<!doctype html><html lang="en"><title>t</title><main><p style="color: red">Hi</p></main></html>',
        ),
    )
    blank_page.goto("http://carefront.test/")

    with pytest.raises(AssertionError, match=r"Content-Security-Policy violations.*style-src"):
        axe_check(blank_page)


def test_width_check_names_what_sticks_out(blank_page: Page) -> None:
    blank_page.set_viewport_size({"width": 375, "height": 600})
    blank_page.set_content('<!doctype html><html lang="en"><title>t</title><main><pre id="wide">' + "x" * 200)

    with pytest.raises(AssertionError, match=r"pre#wide"):
        assert_no_horizontal_scroll(blank_page, 375)
