"""Voice of the customer: sentiment, eight aspects, value framing, associations, drivers.

Importing this package registers the ``voice`` analysis. See ``docs/voice.md``.
"""

from upmarket.analyses.voice.analysis import Voice
from upmarket.analyses.voice.aspects import ASPECTS, extract_aspects
from upmarket.analyses.voice.score import Scored, score_reviews
from upmarket.analyses.voice.sentiment import SentimentModel

__all__ = ["ASPECTS", "Scored", "SentimentModel", "Voice", "extract_aspects", "score_reviews"]
