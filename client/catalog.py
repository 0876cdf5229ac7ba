"""The client's translation catalog: every text the client itself shows, by key, per language.

`tr("help.button")` gives the text in the chosen language (English when a language lacks the key);
`tr("help.joined", name="Sam")` fills in `{name}`. What the server sends (the crisis card, the consent
text, the duty line) is written in the service's data files and shown as it comes.

Parts of the client written before this catalog still keep their English in place; new text goes here.
"""

from __future__ import annotations

DEFAULT = "en"

CATALOG: dict[str, dict[str, str]] = {
    "en": {
        # the private help line, participant side
        "help.button": "I'd like to talk to someone (H)",
        "help.title": "Talking with the team",
        "help.asking": "Asking the team...",
        "help.consent_title": "Before you write",
        "help.consent_keys": "Enter: I understand, let me write    Esc: not now    Delete: withdraw the request",
        "help.agree": "I understand",
        "help.not_now": "Not now",
        "help.keys": "Enter: send    Esc: hide (H brings it back)    Delete: end the conversation",
        "help.field": "Your message (only the two of you see it)",
        "help.send": "Send",
        "help.hide": "Hide",
        "help.end": "End conversation",
        "help.you": "You",
        "help.open_again": "Your conversation with the team is still open. Press H to see it.",
        "help.ended": "The conversation has ended.",
        "help.failed": "The request could not be sent just now. Please try again in a moment.",
        # staff side
        "help.staff_title": "Talking with {name}",
        "help.requested": "{name} would like to talk to someone{where}. H: answer now.",
        "help.answer": "Answer (H)",
        "help.where": " (in {room})",
        "help.taken": "{by} is talking with them now.",
        "help.waiting": "{name} is waiting for someone to join.",
        # on duty
        "duty.on_button": "On duty - go off duty (O)",
        "duty.off_button": "Go on duty (O)",
        "duty.now_on": "You are on duty: participants see that you are here, and help requests come to you.",
        "duty.now_off": "You are off duty now.",
        "duty.line_nobody": "No one from the team is online right now.",
        "duty.line_some": "{names}, {verb} here today.",
        "duty.person": "{name}, {role}",
        "duty.is": "is",
        "duty.are": "are",
        "role.peer_specialist": "peer specialist",
        "role.facilitator": "facilitator",
        "role.admin": "team member",
        # someone has seen it
        "seen.default": "Someone from the team has seen your message and is looking after it.",
        # the staff banner
        "banner.help_title": "Safety alert: someone asks to talk",
    }
}

_language = DEFAULT


def set_language(code: str) -> None:
    """Choose the language (unknown codes fall back to English, key by key)."""
    global _language
    _language = code if code in CATALOG else DEFAULT


def tr(key: str, **fill: object) -> str:
    text = CATALOG.get(_language, {}).get(key) or CATALOG[DEFAULT][key]
    return text.format(**fill) if fill else text


__all__ = ["CATALOG", "set_language", "tr"]
