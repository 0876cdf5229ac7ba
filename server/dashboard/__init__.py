"""The facilitator dashboard: server-rendered HTML under /dashboard (aiohttp, no JavaScript).

Login is a plain form that sets the `ps_token` cookie (HttpOnly, SameSite=Strict);
every page re-checks the user and role (server/records/access.py):
facilitators and admins see everything, peer specialists their own rooms and
sessions, participants and agents nothing. Every form that changes something
carries a CSRF field derived from the session token. See docs/dashboard.md.
"""

from __future__ import annotations


def setup(app) -> None:
    from . import views
    views.add_routes(app)
