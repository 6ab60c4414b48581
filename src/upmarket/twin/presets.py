"""Preset sizes: tiny (unit tests, < 5 s), demo (< 60 s, every analysis has something), large (100M events).

``platform_exports`` rewrites some tables the way the platforms export them (GBK CSV with Chinese
headers, XLSX, gzip parts) with a known number of bad rows, so ingest is exercised end to end.
"""

from __future__ import annotations

PRESETS: dict[str, dict[str, int]] = {
    "tiny": {"n_users": 2_000, "n_agents": 60, "n_events": 60_000, "n_respondents": 200, "n_panel": 1_000,
             "n_posts": 150},
    "demo": {"n_users": 50_000, "n_agents": 200, "n_events": 3_000_000, "n_respondents": 2_000, "n_panel": 20_000,
             "n_posts": 2_000, "platform_exports": 1},
    "large": {"n_users": 2_000_000, "n_agents": 300, "n_events": 100_000_000, "n_respondents": 5_000,
              "n_panel": 200_000, "n_posts": 20_000, "platform_exports": 1},
}


def preset(name: str) -> dict[str, int]:
    try:
        return dict(PRESETS[name])
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}") from None
