"""Errors a user can act on. The CLI prints them as one line (a traceback only with --debug)."""


class UpmarketError(Exception):
    """Base class for errors caused by the input or the configuration, not by a bug."""


class NotFittedError(UpmarketError, AttributeError):
    """An estimator's fitted attribute was read before ``fit`` was called."""
