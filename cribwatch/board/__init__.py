"""The C board runtime and its tools: the C99 sources (package data in ``c/``), builds for the
host and for MIPS, runs whose child processes die with the caller, instruction counting and the
model-blob container (``cribwatch board build|run|check|bench``). Knows no capability: the cry
detector's side of the board lives in :mod:`cribwatch.cry.board`."""
