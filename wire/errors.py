"""Error codes sent back to a sender in the `error` event (and in call acks)."""


class WireError(Exception):
    """A request the server refuses; carries a stable code and a message a person can act on."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def as_payload(self, event: str | None = None) -> dict[str, str]:
        payload = {"code": self.code, "message": self.message}
        if event is not None:
            payload["event"] = event
        return payload


# Stable codes; clients switch on these, people read the message.
BAD_PACKET = "bad_packet"  # not decodable msgpack / not a Socket.IO event
TOO_LARGE = "too_large"  # payload over the size limit
INVALID = "invalid"  # wrong type, missing or out-of-range field
UNKNOWN_EVENT = "unknown_event"  # no such intent, or a name the connection itself uses (connect, ...)
RATE_LIMITED = "rate_limited"  # faster than the server accepts, or cut off for a flood of refusals
FORBIDDEN = "forbidden"  # the sender's role or state does not allow this
NOT_IN_ROOM = "not_in_room"  # the intent needs a room: join one first
NOT_FOUND = "not_found"  # no such room, avatar, alert, channel ... (or none you may see)
ROOM_FULL = "room_full"  # the room holds as many people as its capacity
UNAUTHORIZED = "unauthorized"  # a bad, expired or revoked token, a banned or deleted account
CONFLICT = "conflict"  # the state changed under the request (someone acted first): look again, try again
PROTOCOL = "protocol"  # the client speaks another protocol version, or Socket.IO without the msgpack parser
TOO_MANY_CONNECTIONS = "too_many_connections"  # this address holds as many connections as the server allows
