"""The scenario editor in headless Chromium (the Browser helper of test_dashboard_browser.py): a facilitator
writes a new scenario from the template, sees a lint error at its line, fixes it, looks at the flow, dry-runs
it, publishes it, and a participant's client starts it in a room with no restart.

The screenshots (tmp dir, and $PEERSPACE_SCREENSHOTS if set) are the pictures of docs/scenarios.md's
walk-through."""

import asyncio
import json

import numpy as np

from conftest import PASSWORD
from test_dashboard_browser import browser, pytestmark  # noqa: F401 (the fixture, and the skip without Chromium)
from wire import scenario as wsc


async def test_a_facilitator_writes_checks_tries_and_publishes_a_scenario(server, browser):  # noqa: F811
    server.add_user("Fay", "facilitator")
    ana = await server.bot("Ana", room="cafe")
    await browser.goto(server.url + "/dashboard/scenarios")
    await browser.submit(
        f"document.getElementById('name').value='Fay';"
        f"document.getElementById('password').value={json.dumps(PASSWORD)};"
        f"document.getElementById('login').click()"
    )
    assert "New scenario" in await browser.js("document.body.innerText")
    await browser.screenshot("editor-1-list")

    # a new scenario from the template
    await browser.submit(
        "document.getElementById('new-id').value='phoning_the_gp'; document.querySelector('#new button').click()"
    )
    assert "No errors" in await browser.js("document.getElementById('problems').innerText")

    # an unquoted ': ' in the summary: the live check lists it while typing, and after saving the error is
    # shown under that line
    text = await browser.js("document.querySelector('textarea[name=text]').value")
    lines = text.split("\n")
    n = next(i for i, line in enumerate(lines) if line.startswith("summary:")) + 1
    broken = text.replace(lines[n - 1], "summary: Phoning the GP on a busy morning: ask for what you need.")
    await browser.js(
        f"const t = document.querySelector('textarea[name=text]'); t.value = {json.dumps(broken)};"
        "t.dispatchEvent(new Event('input'))"
    )
    for _ in range(100):
        live = await browser.js("document.getElementById('live').innerText")
        if "problem" in live:
            break
        await asyncio.sleep(0.05)
    assert f"line {n}: text that contains ': ' must be quoted" in live
    await browser.submit(
        f"document.querySelector('textarea[name=text]').value={json.dumps(broken)};"
        "document.querySelector('#save button').click()"
    )
    assert "1 error(s)" in await browser.js("document.getElementById('problems').innerText")
    at = await browser.js(f"document.getElementById('L{n}').innerText")
    assert "must be quoted" in at
    await browser.js(f"document.getElementById('L{n}').scrollIntoView({{block: 'center'}})")
    img = await browser.screenshot("editor-2-error-at-its-line")
    red = np.abs(img - np.array([0x9B, 0x3F, 0x2A]) / 255).sum(axis=2) < 0.06  # the line's mark is drawn
    assert red.sum() > 10

    # fixed: quoted
    fixed = broken.replace(
        "summary: Phoning the GP on a busy morning: ask for what you need.",
        "summary: 'Phoning the GP on a busy morning: ask for what you need.'",
    )
    await browser.submit(
        f"document.querySelector('textarea[name=text]').value={json.dumps(fixed)};"
        "document.querySelector('#save button').click()"
    )
    assert "No errors" in await browser.js("document.getElementById('problems').innerText")
    await browser.screenshot("editor-3-fixed")

    # the flow
    await browser.goto(server.url + "/dashboard/scenarios/phoning_the_gp/flow")
    assert await browser.js("document.querySelectorAll('svg.flow g.node').length") == 3
    assert await browser.js("document.querySelectorAll('svg.flow g.node.ending').length") == 2
    await browser.screenshot("editor-4-flow")

    # a dry run at the hard difficulty, typing an answer
    await browser.goto(server.url + "/dashboard/scenarios/phoning_the_gp")
    await browser.submit(
        "document.getElementById('try-difficulty').value='hard'; document.querySelector('#try button').click()"
    )
    for _ in range(3):
        if await browser.js("document.getElementById('answer') !== null"):
            break
        await browser.submit("document.querySelector('#step button[name=option]').click()")
    await browser.submit(
        "document.getElementById('answer').value='hello my name is Fay';"
        "document.querySelector('#step button[name=say]').click()"
    )
    assert "auto" in await browser.js("document.getElementById('match').innerText")
    await browser.screenshot("editor-5-dry-run")

    # published: a participant's client starts it, no restart
    await browser.goto(server.url + "/dashboard/scenarios/phoning_the_gp")
    await browser.submit("document.querySelector('#publish button').click()")
    assert "published" in await browser.js("document.getElementById('status').innerText")
    await browser.screenshot("editor-6-published")
    listed = await ana.call(wsc.SCENARIO_LIST)
    assert "phoning_the_gp" in {s["id"] for s in listed["scenarios"]}
    await ana.call(wsc.SCENARIO_START, {"scenario": "phoning_the_gp", "difficulty": "easy"})
    state = await ana.wait_for(wsc.SCENARIO_STATE)
    assert state["scenario"] == "phoning_the_gp"
