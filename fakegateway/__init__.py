"""A fake WhatsApp Cloud API and SMS gateway (standard library only): ``python -m fakegateway``."""

from .server import Gateway, main, serve

__all__ = ["Gateway", "main", "serve"]
