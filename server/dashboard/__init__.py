"""The facilitator dashboard (placeholder while it is written)."""


def setup(app) -> None:
    pass
