"""Infant roll-over detection. The public API is :mod:`cribwatch.rollover.api`
(:class:`~cribwatch.rollover.api.RolloverDetector`)."""
