"""The built-in analyses; importing this package registers them (see ``base.registered``)."""

from upmarket.analyses import market  # noqa: F401
from upmarket.analyses import spread  # noqa: F401
from upmarket.analyses import voice  # noqa: F401
