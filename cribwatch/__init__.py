"""cribwatch: on-device AI for smart baby-monitor cameras."""

__version__ = "0.1.0"
