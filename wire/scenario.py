"""Scenario events: a participant plays a scripted SST scenario in a room.

Client -> server intents (validated with `wire.validate`):
  scenario_list      {}                                   -> ack / `scenarios` with the list
  scenario_start     {scenario, difficulty, pace?}        staff, or the participant in their own room; pace:
                                                          the participant's reading pace (PACES)
  scenario_choose    {option}                             the participant: an option id ('continue', 'skip',
                                                          an emotion name in emotion exercises)
  scenario_answer    {text}                               the participant's own words (matched to options),
                                                          an emotion name, or a reflection; must show
                                                          something (wire.text)
  scenario_advance   {}                                   staff/coach: move on to the next phase
  scenario_feedback  {kind: positive|corrective, text}    staff, or the agent driving a cast avatar: feedback,
                                                          tagged for fidelity
  scenario_stop      {}                                   staff, or the participant (always allowed)
  scenario_review    {option}                             staff in the room: decide a typed answer held for review
                                                          (wait 'review'): an option id of the node, or
                                                          'unscorable' (not scored; the partner asks again)
  scenario_resume    {acknowledge?: bool}                 a run paused by a crisis phrase (wait 'paused'): the
                                                          participant carries on once staff acknowledged the
                                                          alert; staff resume it at once, or with
                                                          acknowledge: true leave the choice to the participant;
                                                          staff: also lifts a staff pause (scenario_pause)
  scenario_pause     {}                                   staff: hold the scene (no more lines are cued, the
                                                          participant sees `held`) until scenario_resume
  scenario_repeat    {}                                   staff: say the current beat's (or node's) lines again
  scenario_pace      {pace: slower|usual|faster}          the participant: their reading pace (also a
                                                          `pace` field of scenario_start)
  scenario_rate      {rating: 0-10}                       the participant, after a role-play's ending (wait
                                                          'ended'): how it went for them (self-rating);
                                                          rating again replaces it
Cast avatars speak with the ordinary `say` event; its `suggestion` field names
the cue (from `scenario_state.cue`) the line came from, or is left out for the
teleoperator's own words.

Server -> client:
  scenarios          {scenarios: [{id, title, topic, summary, scene, difficulties: [{id, label, description}]}]}
  scenario_state     the runner's view: {run, scenario, title, difficulty, status, wait, phase, phases, node,
                     line, prompt, options: [{id, text}], free_text, hints, note, ending, homework, scores,
                     emotion, cast, paused: {reason, acknowledged} | null, speaking: cast role | null (a
                     line is owed: nothing is offered until it was said), deadline: epoch s | null, held
                     (staff paused), pace: {wpm, min, max, choice}, beat: {index, count} | null,
                     self_rating: {phase, value: 0-10 | null} | null (at a role-play's ending: rate it with
                     scenario_rate), homework_review: {homework, status} | null (wait 'homework'),
                     suggested: {difficulty, from, reason} | null (a course's progression rule for this
                     participant and scenario when the run started; the run's difficulty may overrule it)}; staff and
                     agents also get `cue`: {roles: {cast_role: [{id, text, expression, gesture, primary}]},
                     intents: [{id, text, examples}], expect, deadline} and `owed`: [{n, effect, cast, text,
                     suggestion}]
                     While a typed answer waits for staff (wait 'review'), the staff view also has `review`:
                     {text, candidates: [{id, text, confidence}], signals: [negation|sarcasm|dismissive|
                     abuse|crisis], score, confidence}.
  scenario_ended     {run, status: finished|stopped, summary, closing?}
                     closing: the kind last line, when a run paused by a crisis phrase ended
"""

from __future__ import annotations

from enum import StrEnum

from .messages import MAX_ID, Field, define, text

# --- client -> server ---------------------------------------------------------------
SCENARIO_LIST = "scenario_list"
SCENARIO_START = "scenario_start"
SCENARIO_CHOOSE = "scenario_choose"
SCENARIO_ANSWER = "scenario_answer"
SCENARIO_ADVANCE = "scenario_advance"
SCENARIO_FEEDBACK = "scenario_feedback"
SCENARIO_STOP = "scenario_stop"
SCENARIO_RESUME = "scenario_resume"
SCENARIO_REVIEW = "scenario_review"
SCENARIO_PAUSE = "scenario_pause"
SCENARIO_REPEAT = "scenario_repeat"
SCENARIO_PACE = "scenario_pace"
SCENARIO_RATE = "scenario_rate"

# --- server -> client ---------------------------------------------------------------
SCENARIOS = "scenarios"
SCENARIO_STATE = "scenario_state"
SCENARIO_ENDED = "scenario_ended"

DIFFICULTIES = ("easy", "medium", "hard")
FEEDBACK_KINDS = ("positive", "corrective")


class Wait(StrEnum):
    """What the runner waits for (scenario_state.wait, cue.expect); the values are the wire and stored form."""

    START = "start"  # the run is set up, not started
    CONTINUE = "continue"  # a scripted phase: the participant moves on with 'continue'
    CHOICE = "choice"  # a role-play node: an option, or the participant's own words
    ENDED = "ended"  # a role-play reached an ending: 'continue'
    EMOTION = "emotion"  # an emotion-recognition face: name the feeling
    REFLECTION = "reflection"  # a reflection prompt: type an answer, or 'skip'
    DONE = "done"  # finished or stopped
    PAUSED = "paused"  # a crisis phrase stopped the scene: 'resume' (once staff acknowledged) or 'end'
    REVIEW = "review"  # a typed answer the matcher is unsure of: the specialist in the room decides
    CONFIRM = "confirm"  # a typed answer the matcher is unsure of, nobody to decide: "Did you mean ...?"
    HOMEWORK = "homework"  # a homework review: done / partly / not_yet, then what happened in own words or 'skip'


WAITS = tuple(w.value for w in Wait)
CONTINUE = "continue"  # the option id that moves on from a scripted phase or an ending
SKIP = "skip"  # the option id that skips a reflection prompt
RESUME = "resume"  # while paused: the option id that carries on (as scenario_resume)
END = "end"  # while paused: the option id that ends the practice kindly (as scenario_stop)
AGAIN = "again"  # while confirming: "No, let me say it again"
UNSCORABLE = "unscorable"  # scenario_review: the answer is not scored
HOMEWORK_STATUSES = ("done", "partly", "not_yet")  # homework review answers (option ids)
SELF_RATING_MAX = 10  # scenario_rate: 0 (it went badly) .. 10 (it went very well)
PACES = ("slower", "usual", "faster")  # the participant's reading pace (scenario_start, scenario_pace)

define(SCENARIO_LIST)
define(
    SCENARIO_START,
    scenario=text(MAX_ID),
    difficulty=Field(str, choices=DIFFICULTIES, required=False, default="easy"),
    pace=Field(str, choices=PACES, required=False, default="usual"),
)
define(SCENARIO_CHOOSE, option=text(MAX_ID))
define(
    SCENARIO_ANSWER,
    text=text(visible=True),
    # a spoken answer (recognised on the participant's machine): the recogniser's confidence, 0..1
    confidence=Field((int, float), lo=0.0, hi=1.0, required=False),
)
define(SCENARIO_ADVANCE)
define(SCENARIO_FEEDBACK, kind=Field(str, choices=FEEDBACK_KINDS), text=text(required=False, default="-"))
define(SCENARIO_STOP)
define(SCENARIO_RESUME, acknowledge=Field(bool, required=False, default=False))
define(SCENARIO_REVIEW, option=text(MAX_ID))

# --- the coach console (client/ui/coach.py) ------------------------------------------------------------
#   scenario_draft       {text}   the run's participant, while free text is offered: what they have typed so
#                                 far (throttled by the client, at most 2 a second); relayed at once to the staff
#                                 who follow the run as `scenario_typing`, never stored, never logged
#   scenario_transcript  {}       staff who follow the run: ack {run, lines: [{name, role, text, ts}]}, the run's
#                                 said lines from the store, oldest first (the last MAX_TRANSCRIPT)
#   scenario_typing      {run, text}   server -> staff following the run: the participant's draft
SCENARIO_DRAFT = "scenario_draft"
SCENARIO_TRANSCRIPT = "scenario_transcript"
SCENARIO_TYPING = "scenario_typing"
MAX_TRANSCRIPT = 300

# a draft may be empty (the participant cleared the field); it is what the answer field takes
define(SCENARIO_DRAFT, text=text())
define(SCENARIO_TRANSCRIPT)

define(SCENARIO_PAUSE)
define(SCENARIO_REPEAT)
define(SCENARIO_PACE, pace=Field(str, choices=PACES))
define(SCENARIO_RATE, rating=Field(int, lo=0, hi=SELF_RATING_MAX))
