"""Errors a user can act on. The CLI prints them as one line (a traceback only with --debug)."""


class UpmarketError(Exception):
    """Base class for errors caused by the input or the configuration, not by a bug."""


class NotFittedError(UpmarketError, RuntimeError, AttributeError):
    """An estimator or its results was used before ``fit`` (or ``load``). The one such error: every estimator raises
    it (re-exported by :mod:`upmarket.estimation`)."""
