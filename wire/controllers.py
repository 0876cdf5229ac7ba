"""Avatar controllers: who drives a cast avatar (coach, partner), and how a peer specialist takes over.

A cast avatar is always driven by exactly one controller: the built-in autonomous
driver (the default), a teleoperating peer specialist, or a remote agent (role
`agent`, a program speaking this same protocol). Both humans and programs drive
it with the ordinary intents (`say`, `expression`, `gesture`, `look`, `move`,
`scenario_feedback`, ...) naming the avatar in `avatar`.

Client -> server intents (validated with `wire.validate`):
  claim     {avatar} or {role}          puppeteers (peer_specialist, facilitator, admin, agent): drive this cast
                                        avatar. {role} also works before a scenario starts (pre-claim).
  release   {avatar} or {role}          give it back to the autonomous driver
  supervise {avatar, seconds}           staff: the autonomous driver's lines for this avatar become
                                        `proposal`s to you; unanswered after `seconds` they are said as
                                        proposed. seconds 0 turns supervision off.
  approve   {proposal, text?}           staff: say the proposed line (optionally edited)
  reject    {proposal}                  staff: do not say it

Server -> client:
  controller {avatar, role, name, driver, by, voice}
                                                  who drives a cast avatar now; driver is one of DRIVERS,
                                                  `by` the person's or agent's name (null when autonomous).
                                                  voice: the role's voice transform {pitch, formant} from the
                                                  scenario's cast (null: none), applied by the client that
                                                  voices the role (wire/voice.py `as_role`).
                                                  A claim held before a run starts says `teleop` for a person,
                                                  `agent` for a program.
  claims     {claims: [controller payloads]}      to a holder coming back (a resume, a new login, a rejoin
                                                  after a server restart): the cast roles they still hold.
                                                  Claims and supervision are kept in the store, so they
                                                  survive a restart; a holder who is not back within
                                                  `resume_grace` seconds loses theirs.
  cue        {avatar, role, id, text, expression, gesture, intensity, feedback, primary, deadline}
                                                  to the teleoperator/agent driving `role`: the script
                                                  wants this said now (send it with `say {text, suggestion:
                                                  id, avatar}`, or your own words without `suggestion`);
                                                  one at a time: the next comes once this one was said.
                                                  deadline: epoch seconds; past it, on_operator_drop applies
  proposal   {proposal, avatar, role, text, suggestion, expression, gesture, seconds, status}
                                                  to the supervisor; status is one of PROPOSAL_STATUS
"""

from __future__ import annotations

from .messages import MAX_ID, Field, avatar_ref, define, text

# --- client -> server ---------------------------------------------------------------
CLAIM = "claim"
RELEASE = "release"
SUPERVISE = "supervise"
APPROVE = "approve"
REJECT = "reject"

# --- server -> client ---------------------------------------------------------------
CONTROLLER = "controller"
CLAIMS = "claims"
CUE = "cue"
PROPOSAL = "proposal"

AUTONOMOUS, TELEOP, AGENT_DRIVEN, PAUSED = "autonomous", "teleop", "agent", "paused"
DRIVERS = (AUTONOMOUS, TELEOP, AGENT_DRIVEN, PAUSED)
PROPOSAL_STATUS = ("open", "approved", "edited", "rejected", "timed_out", "cancelled")
MAX_SUPERVISE_S = 120

define(CLAIM, avatar=avatar_ref(), role=text(MAX_ID, required=False))
define(RELEASE, avatar=avatar_ref(), role=text(MAX_ID, required=False))
define(SUPERVISE, avatar=avatar_ref(required=True), seconds=Field(int, lo=0, hi=MAX_SUPERVISE_S))
define(APPROVE, proposal=Field(int, lo=1, hi=2**31), text=text(required=False))
define(REJECT, proposal=Field(int, lo=1, hi=2**31))
