"""The cry detector on the board: model export for the C runtime in ``board/``, builds for the
host and for MIPS (``cribwatch board build|run|check|bench``)."""
