"""The translation catalog: every string a person reads in the client, by key, per language.

    t("coach.paused")                    -> "Paused."
    t("coach.due", seconds=12)           -> "Line due in 12 s"

A key missing from the chosen language falls back to English; a key missing from English is a bug and
shows as the key itself (never a crash in front of a person). Add a language as another map with the
same keys; `set_language` picks it.
"""

from __future__ import annotations

from typing import Any

EN: dict[str, str] = {
    # the review card on the coach console (client/ui/review.py)
    "review.title": "Your decision: the participant typed",
    "review.signals": "Noticed: {signals}",
    "review.none_noticed": "Nothing noticed; the match was unsure.",
    "review.candidate": "{n}  {text}  ({confidence:.0%})",
    "review.unscorable": "U  Not scorable: ask again",
    "review.keys": "1-3 take it as that option   U not scorable",
    "review.negation": "a 'not' the option does not have",
    "review.sarcasm": "sarcasm",
    "review.dismissive": "dismissive",
    "review.abuse": "abusive words",
    "review.crisis": "a crisis phrase",
    # the coach console (client/ui/coach.py)
    "coach.title": "Coach console",
    "coach.driver.autonomous": "autonomous driver",
    "coach.driver.teleop": "driven by {by}",
    "coach.driver.agent": "agent {by}",
    "coach.driver.paused": "paused",
    "coach.driver.none": "not in a scenario",
    "coach.status": "{name} ({who})   roles: {roles}",
    "coach.own_words": "Your own words (Enter)",
    "coach.help": "1-9 say  Enter own words  Tab role  C claim  P pause/resume  M next  B repeat  "
    "F5/F6 feedback  F7/F8 proposal  PgUp/PgDn transcript",
    "coach.proposal": "Proposed ({seconds} s): {text}   F7 approve  F8 reject",
    "coach.sees": "Participant sees:",
    "coach.sees.nothing": "Participant sees: nothing to answer just now",
    "coach.options": "Options: {options}",
    "coach.hint": "Hint: {hint}",
    "coach.typing": "Typing: {text}",
    "coach.typing.none": "Typing: -",
    "coach.palette": "Lines for {name}:",
    "coach.transcript": "Transcript ({first}-{last} of {total})",
    "coach.transcript.empty": "Transcript: nothing said yet",
    "coach.withheld": "(not recorded)",
    "coach.due": "Line due in {seconds} s",
    "coach.overdue": "Line overdue: the scenario's rule for a late line applies",
    "coach.sending": "Sending...",
    "coach.ack.scenario_pause": "Paused.",
    "coach.ack.scenario_resume": "Resumed.",
    "coach.ack.scenario_advance": "Moved on to the next beat.",
    "coach.ack.scenario_repeat": "Repeating the beat.",
    "coach.ack.feedback.positive": "Positive feedback tagged.",
    "coach.ack.feedback.corrective": "Corrective feedback tagged.",
    "coach.ack.claim": "You drive {name} now.",
    "coach.ack.release": "{name} is back with the autonomous driver.",
    "coach.refused": "Not done: {message}",
    "coach.still_driving": "You still drive {names}.",
    "coach.button.pause": "Pause (P)",
    "coach.button.resume": "Resume (P)",
    "coach.button.advance": "Next (M)",
    "coach.button.repeat": "Repeat (B)",
    "coach.button.positive": "Good (F5)",
    "coach.button.corrective": "Fix (F6)",
    "coach.button.claim": "Claim (C)",
    "coach.button.release": "Release (C)",
    "coach.button.role": "Role (Tab)",
    "coach.button.approve": "Approve (F7)",
    "coach.button.reject": "Reject (F8)",
    "coach.button.earlier": "Earlier (PgUp)",
    "coach.button.later": "Later (PgDn)",
    "coach.button.face.neutral": "Neutral ({letter})",
    "coach.button.face.happy": "Happy ({letter})",
    "coach.button.face.sad": "Sad ({letter})",
    "coach.button.face.angry": "Angry ({letter})",
    "coach.button.face.surprised": "Surprised ({letter})",
    "coach.button.face.afraid": "Afraid ({letter})",
    "coach.button.gesture.wave": "Wave ({letter})",
    "coach.button.gesture.nod": "Nod ({letter})",
    "coach.button.gesture.shake_head": "Shake head ({letter})",
    "coach.button.gesture.shrug": "Shrug ({letter})",
    "coach.button.gesture.thumbs_up": "Thumbs up ({letter})",
    "coach.button.supervise": "Supervise (V)",
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
    # what the keys do now, shown above the chat (client/app.py mode_name)
    "mode.answer": "Typing an answer",
    "mode.chat": "Chat",
    "mode.walk": "Walking",
    "hud.help": "Help",
    "hud.settings": "Settings",
    "hud.close": "Close",
    # the login screen (client/ui/screens.py)
    "login.welcome": "Welcome to peerspace",
    "login.tagline": "A calm place to practise, with people who have been there too.",
    "login.name": "Your name (a nickname is fine)",
    "login.password": "Password",
    "login.need_name": "Please type a name first.",
    "login.keys": "Tab: next    Left/Right: change    Enter: sign in    Ctrl+Q: quit",
    "login.server": "Server: {server}",
    "login.sign_in": "Sign in",
    "login.quit": "Quit",
    "login.text_size": "Text size",
    "login.contrast": "Contrast",
    "login.reduced_motion": "Reduced motion",
    "login.on": "on",
    "login.off": "off",
    # the room list
    "rooms.title": "Choose a room",
    "rooms.looking": "Looking for rooms...",
    "rooms.none": "No rooms are open right now. Press R to look again.",
    "rooms.keys": "Up/Down or click: choose    Enter: join    R: refresh    F10: settings",
    "rooms.refresh": "Refresh",
    "rooms.join": "Join",
    # quitting asks first
    "quit.title": "Quit peerspace?",
    "quit.body": "You can come back at any time.",
    "quit.yes": "Yes, quit",
    "quit.no": "No, stay",
    "quit.keys": "Enter: quit    Esc: stay",
}

CATALOGS: dict[str, dict[str, str]] = {"en": EN}
_language = "en"


def set_language(code: str) -> None:
    global _language
    _language = code if code in CATALOGS else "en"


def t(key: str, **values: Any) -> str:
    """The string for `key` in the chosen language, with `values` filled in."""
    text = CATALOGS.get(_language, EN).get(key) or EN.get(key) or key
    return text.format(**values) if values else text
