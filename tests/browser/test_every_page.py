"""Every page, at a phone's width (390 x 844) and a desktop's (1280 x 800): it fits, and axe-core finds
no serious or critical accessibility problem.

The pages come from the URLconf: every route that answers GET with HTML. Routes with an id
take their objects from the access walk's fixtures (tests/accounts/test_access.py), so a new
page is visited without anyone listing it here; a route that is not a page says why below.
axe-core is vendored (static/vendor/axe-*.min.js, its licence beside it) and injected through
Playwright's evaluate, which our Content-Security-Policy does not block: nothing is downloaded.
"""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from playwright.sync_api import expect

from tests.accounts.test_access import ROUTES, scope_objects
from tests.factories import PASSWORD, PrivateBookFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = next((settings.BASE_DIR / "static" / "vendor").glob("axe-*.min.js"))

# Routes that are not pages a person reads, with the reason.
NOT_PAGES = {
    "logout": "POST only",
    "password_reset_confirm": "a signed token; its form is the password change form's",
    "sms_counter": "an htmx fragment of the composer",
    "contact_export": "a vCard file",
    "calendar_export": "an iCalendar file",
    "sms_export": "a CSV file",
    "sms_history_export": "a CSV file",
    "sms_status_callback": "a provider webhook",
    "sms_incoming": "a provider webhook",
    "api_schema": "JSON",
    "healthz": "a probe",
    "readyz": "a probe",
    "metrics": "Prometheus text",
    "api_docs": "Swagger UI, not ours",
    "organisation_export": "a CSV file",
    "invitation_accept": "a signed token; visited in tests/browser/test_organisation_journey.py",
}
WIDTHS = [(390, 844), (1280, 800)]
# What a finger taps on a phone: at least 44 px high (WCAG 2.5.5, Apple's and Google's guides).
SMALL_TARGETS = """() => [...document.querySelectorAll(
    'button, select, textarea, [role=button], input:not([type=checkbox]):not([type=radio]):not([type=hidden])')]
  .filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 43.5)
  .map(e => e.outerHTML.slice(0, 80))"""


def route_urls(objects, resolver: URLResolver | None = None) -> list[tuple[str, str]]:
    urls = []
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name != "admin":
                urls += route_urls(objects, pattern)
            continue
        name = pattern.name
        if not isinstance(pattern, URLPattern) or name in NOT_PAGES or str(pattern.pattern).startswith("api/"):
            continue
        kwargs = ROUTES[name](objects) if pattern.pattern.converters else {}
        urls.append((name, reverse(name, kwargs=kwargs)))
    return urls


def page_urls(user, objects) -> list[tuple[str, str]]:
    """The routes that answer a GET with an HTML page (POST-only actions answer 405)."""
    client = Client()
    client.force_login(user)
    pages = []
    for name, url in route_urls(objects):
        response = client.get(url)
        if response.status_code != 405:
            assert response.status_code == 200, f"{name} {url} answered {response.status_code}"
            assert response["Content-Type"].startswith("text/html"), f"{name} {url} is not a page: say so in NOT_PAGES"
            pages.append((name, url))
    return pages


def axe_problems(page) -> list[str]:
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => ['serious', 'critical'].includes(v.impact))"
        ".map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))"
    )
    return result


def test_every_page_fits_a_phone_and_a_desktop_and_passes_axe(browser, live_server):
    owner = UserFactory(full_name="Ann Peeters", default_country="BE")
    objects = scope_objects(PrivateBookFactory(owner=owner), owner=owner)
    urls = page_urls(owner, objects)
    assert len(urls) > 30
    problems = []
    for width, height in WIDTHS:
        context = browser.new_context(
            base_url=live_server.url, locale="en-GB", viewport={"width": width, "height": height}
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(owner.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.get_by_test_id("user-name").wait_for(state="attached")
        for name, url in urls:
            response = page.goto(url)
            if response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
                problems.append(f"{width}px {name} {url}: answered {response.status}")
                continue
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            if scroll_width > width:
                problems.append(f"{width}px {name} {url}: {scroll_width}px wide")
            if width < 768:
                problems += [f"{width}px {name} {url}: smaller than 44 px: {t}" for t in page.evaluate(SMALL_TARGETS)]
            found = axe_problems(page)
            problems += [f"{width}px {name} {url}: axe {p}" for p in found]
            print(f"{width}px {name:32} width {scroll_width:5} axe serious/critical {len(found)}")
        context.close()
    assert problems == [], "\n".join(problems)


def test_the_top_navigation_folds_into_a_menu_on_a_phone(page):
    user = UserFactory()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    main_nav = page.get_by_role("navigation", name="Main")
    menu = main_nav.get_by_role("button", name="Menu")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(main_nav.get_by_role("link", name="Contacts")).to_be_hidden()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    links = main_nav.locator("#site-menu a")
    heights = [links.nth(i).bounding_box()["height"] for i in range(links.count())]
    assert min(heights) >= 44, heights  # a finger's width apart
    main_nav.get_by_role("link", name="Contacts").click()
    expect(page).to_have_url(re.compile(r"/contacts/"))
    page.set_viewport_size({"width": 1280, "height": 800})
    expect(main_nav.get_by_role("button", name="Menu")).to_be_hidden()
    expect(main_nav.get_by_role("link", name="Calendar")).to_be_visible()


def test_the_sent_sms_filter_bar_is_one_row_of_ordinary_fields_on_a_desktop(page):
    user = UserFactory()
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/sms/")
    search = page.get_by_role("search")
    state = search.get_by_label("State").bounding_box()
    button = search.get_by_role("button", name="Filter").bounding_box()
    query = search.get_by_role("searchbox").bounding_box()
    assert state["height"] < 70, state
    assert button["width"] > button["height"], button
    assert state["y"] == query["y"] == button["y"], "the filter bar is one row at 1280 px"


def test_a_skip_link_leads_past_the_navigation_to_the_page(page):
    user = UserFactory()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/contacts/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    # The next stop is inside the page's own content, not the top navigation.
    assert page.evaluate("document.activeElement.closest('main') !== null")


def test_home_tiles_are_drawn_icons_read_by_their_label_alone(page):
    user = UserFactory()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    tiles = page.get_by_role("navigation", name="Tools").get_by_role("link")
    names = [tiles.nth(i).evaluate("a => a.textContent.trim()") for i in range(tiles.count())]
    # No emoji (they render as empty boxes without an emoji font) and no symbol read aloud.
    assert names == ["SMS", "Messages", "Contacts", "Lists", "Calendar", "Mail alerts", "Settings"]
    for i in range(tiles.count()):
        icon = tiles.nth(i).locator("svg")
        expect(icon).to_have_attribute("aria-hidden", "true")
        assert icon.bounding_box()["width"] >= 20
