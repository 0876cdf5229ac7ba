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
UNKNOWN_EVENT = "unknown_event"
RATE_LIMITED = "rate_limited"
FORBIDDEN = "forbidden"  # the sender's role or state does not allow this
NOT_IN_ROOM = "not_in_room"
NOT_FOUND = "not_found"
ROOM_FULL = "room_full"
UNAUTHORIZED = "unauthorized"
CONFLICT = "conflict"
PROTOCOL = "protocol"  # the client speaks another protocol version, or Socket.IO without the msgpack parser
TOO_MANY_CONNECTIONS = "too_many_connections"  # this address holds as many connections as the server allows
