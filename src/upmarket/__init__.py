"""upmarket: how far a brand's move upmarket has got, from its online-channel data.

The Python API has the same verbs as the command line::

    import upmarket
    upmarket.simulate("market", preset="demo", seed=7)     # a market twin with known truth
    res = upmarket.analyze("market", "out")                 # ingest + analyses + results.json + report
    res["market"]["premium_share"]
"""

from upmarket.config import Config, load_config
from upmarket.pipeline import analyze, ingest, quarantine, report, validate

__version__ = "0.1.0"


def simulate(out, preset: str = "demo", seed: int = 0, progress=None):
    """Write a simulated market (every contract table + truth.json) into ``out``."""
    from upmarket.twin import simulate as _simulate

    return _simulate(out, preset=preset, seed=seed, progress=progress)


__all__ = ["Config", "analyze", "ingest", "load_config", "quarantine", "report", "simulate", "validate"]
