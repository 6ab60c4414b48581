"""The built-in analyses; importing this package registers them (see ``base.registered``)."""

from upmarket.analyses import (
    demand,  # noqa: F401
    equity,  # noqa: F401
    funnel,  # noqa: F401
    launch,  # noqa: F401
    market,  # noqa: F401
    mix,  # noqa: F401
    pricing_plan,  # noqa: F401
    segments,  # noqa: F401
    spread,  # noqa: F401
    voice,  # noqa: F401
)
