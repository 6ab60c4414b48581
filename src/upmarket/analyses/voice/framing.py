"""Moved to :mod:`upmarket.text.framing` (shared by several analyses); kept so voice's imports stay short."""

from upmarket.text.framing import PREMIUM_TERMS, VALUE_TERMS, framing

__all__ = ["PREMIUM_TERMS", "VALUE_TERMS", "framing"]
