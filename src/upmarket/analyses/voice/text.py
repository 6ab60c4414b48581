"""Moved to :mod:`upmarket.text.normalise` (shared by several analyses); kept so voice's imports stay short."""

from upmarket.text.normalise import MAX_CHARS, SEP, Normalised, codepoints, normalise

__all__ = ["MAX_CHARS", "SEP", "Normalised", "codepoints", "normalise"]
