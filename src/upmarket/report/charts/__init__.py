"""The report's charts, built from a run's saved results (one module per domain; wired in by a later commit)."""
