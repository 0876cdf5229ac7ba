"""The Spanish dashboard in headless Chromium (DevTools protocol, tests/test_dashboard_browser.py's Browser): the
language is chosen with the header's form on the login page, kept through the login, and the pages read in
Spanish on screen (DOM text, a screenshot kept in the test's tmp dir and in $PEERSPACE_SCREENSHOTS)."""

import json

import numpy as np

from conftest import PASSWORD
from test_dashboard_browser import browser, pytestmark  # noqa: F401  (the fixture, and skip-without-Chromium)


async def test_a_staff_member_chooses_spanish_and_reads_the_dashboard_in_it(server, browser):  # noqa: F811
    server.add_user("Fay", "facilitator")
    ana = await server.bot("Ana", room="cafe")
    await ana.say("there is no reason to live")  # an alert on the safety page
    await browser.goto(server.url + "/dashboard")
    assert "Staff log in" in await browser.js("document.body.innerText")
    await browser.submit("document.getElementById('lang').value='es'; document.getElementById('language').submit()")
    assert "Acceso del personal" in await browser.js("document.body.innerText")
    assert await browser.js("document.documentElement.lang") == "es"
    await browser.submit(
        "document.getElementById('name').value='Fay';"
        f"document.getElementById('password').value={json.dumps(PASSWORD)};"
        "document.getElementById('login').click()"
    )
    text = await browser.js("document.body.innerText")
    assert "Salas ahora" in text and "Rooms now" not in text
    await browser.goto(server.url + "/dashboard/safety")
    text = await browser.js("document.body.innerText")
    assert "Crisis sin atender" in text and "Empezar la guardia" in text and "Alertas" in text
    assert "Unhandled crisis" not in text and "Go on duty" not in text
    shot = await browser.screenshot("dashboard_safety_es")
    assert shot.std() > 0.05 and np.isfinite(shot).all()  # a page was drawn, not a blank
