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
    # My records: questionnaires, My practice, My data, own replays (client/ui/records.py)
    "records.menu.title": "My records",
    "records.entry": "My records (M)",
    "records.menu.keys": "Up/Down or 1-3: choose    Enter: open    Esc: back",
    "records.menu.questionnaires": "Questionnaires: how you feel about everyday situations",
    "records.menu.practice": "My practice: your sessions and homework",
    "records.menu.data": "My data: what is kept about you, and your choices",
    "records.menu.due": "Answer now: {title}",
    "records.back": "Back (Esc)",
    "records.done_keys": "Enter or Esc: back",
    "records.offline": "Sign in first to see your records.",
    "records.sending": "Sending...",
    "records.when.pre": "before practising",
    "records.when.post": "after practising",
    "records.when.pre.long": "Before you practise: answer as things are for you now.",
    "records.when.post.long": "After practising: answer as things are for you now.",
    "records.q.title": "Questionnaires",
    "records.q.list_keys": "Up/Down or 1-4: choose    Enter: answer    Esc: back",
    "records.q.none": "There are no questionnaires on this server.",
    "records.q.due.pre": "ready to answer before you practise",
    "records.q.due.post": "ready to answer after practising",
    "records.q.keys": "{lo}-{hi} or a click: answer    Left/Right + Enter: choose    Up: back a question    "
    "Down: skip    Esc: back",
    "records.q.of": "Question {n} of {total}. You may skip any.",
    "records.q.previous": "Previous question",
    "records.q.skip": "Skip this one",
    "records.q.ready": "You answered {n} of {total} questions. Send your answers?",
    "records.q.send": "Send (Enter)",
    "records.q.answer_one": "Answer at least one question first (you may skip the others).",
    "records.q.thanks": "Thank you. Your answers are saved.",
    "records.q.score": "Your answers average {score:.1f}, on a scale from {lo} ({lo_label}) to {hi} ({hi_label}).",
    "records.q.not_yet": "Not answered yet.",
    "records.q.one": "You answered it {when}: an average of {score:.1f}.",
    "records.q.both": "Before practising: {pre:.1f}. After: {post:.1f}.",
    "records.q.better": "That is a change in the direction you hoped for.",
    "records.q.worse": "That went the other way this time, which happens; it is worth talking about with your coach.",
    "records.q.same": "About the same as before.",
    "records.q.higher_better": "(Here a higher number is the better direction.)",
    "records.q.lower_better": "(Here a lower number is the better direction.)",
    "records.offer.pre": "Before you start: a short questionnaire ({title}) is ready if you like. "
    "Open it any time from Settings, My records.",
    "records.offer.post": "Well done. A short questionnaire ({title}) is ready if you like. "
    "Open it any time from Settings, My records.",
    "records.practice.title": "My practice",
    "records.practice.keys": "Up/Down: choose a session    Enter or Watch: see its replay    Esc: back",
    "records.practice.none": "You have not practised yet. Your sessions will show here.",
    "records.practice.progress": "You have practised {n} times and finished {finished}, in {kinds} different "
    "situations.",
    "records.practice.progress_one": "You have practised once so far. Every session counts.",
    "records.practice.skills": "Skills that went well at least once: {n}.",
    "records.practice.homework": "Homework",
    "records.practice.hw": "{text} (set in {scenario}, {date})",
    "records.practice.hw_done": "Done.",
    "records.practice.hw_open": "Not done yet.",
    "records.practice.hw_none": "No homework has been set yet.",
    "records.practice.sessions": "Your sessions",
    "records.practice.session": "{title}, {date}: {far}",
    "records.practice.finished": "you went all the way through",
    "records.practice.going": "still going",
    "records.practice.stopped": "you did {done} of {parts} parts",
    "records.practice.stopped_early": "you stopped early",
    "records.practice.went_well": "What went well: {what}.",
    "records.practice.tried": "You gave it a try: that counts.",
    "records.practice.coach_noticed": "the coach noticed {n} good things",
    "records.practice.feelings": "you recognised {n} of {total} feelings",
    "records.practice.watch": "Watch",
    "records.practice.no_replay": "There is no replay of this session (it is only kept while you agree to recording).",
    "records.replay.title": "Replay: {title}, {date}",
    "records.replay.keys": "Space: pause or play    Left/Right: 5 seconds back or on    Esc: back",
    "records.data.title": "My data",
    "records.data.keys": "C: recording on/off    E: export to a file    D twice: delete    Esc: back",
    "records.data.kept": "Kept about you now: {sessions} practice sessions, {lines} lines you said, "
    "{answers} questionnaire answers, {replays} replays.",
    "records.data.why": "Why: so you and your coach can see how your practice goes, and so the team can keep "
    "everyone safe. Only you and the staff who look after you can see them.",
    "records.data.recording_on": "Recording is on.",
    "records.data.recording_off": "Recording is off.",
    "records.data.turn_on": "Turn recording on (C)",
    "records.data.turn_off": "Turn recording off (C)",
    "records.data.recording_now_on": "Recording is on now.",
    "records.data.now_off": "Recording is off now.",
    "records.data.not_changed": "Your recording choice could not be changed just now. Please try again.",
    "records.data.export": "Export to a file (E)",
    "records.data.exporting": "Saving your records...",
    "records.data.exported": "Saved: {path}",
    "records.data.delete": "Delete my account (D)",
    "records.data.delete_again": "Press again to delete",
    "records.data.delete_warning": "This deletes the account {name} and everything kept about it: every session, "
    "line, questionnaire answer and replay. It cannot be undone. Press the button again to delete, Esc to keep it.",
    "records.data.delete_failed": "Your account could not be deleted just now. Please try again.",
    "records.data.deleted": "Your account and every record about you are deleted.",
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
