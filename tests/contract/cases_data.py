"""Contract cases of ``cribwatch data fetch`` (audit row df_*): every local path and tool is
checked before any download, so these cases never touch the network."""

from __future__ import annotations

from tests.contract.harness import Case

CASES: list[Case] = [
    Case(
        "df_donateacry_missing",
        ["data", "fetch", "--only", "test", "--donateacry", "{tmp}/nope", "--dest", "{tmp}/d"],
        names=["--donateacry", "nope"],
        absent=["{tmp}/d"],
    ),
    # one per option beyond the audit row
    Case(
        "df_donateacry_file",
        ["data", "fetch", "--only", "sounds", "--donateacry", "{fx}/text.txt", "--dest", "{tmp}/d"],
        names=["--donateacry", "text.txt"],
        absent=["{tmp}/d"],
    ),
    Case(
        "df_donateacry_not_clone",
        ["data", "fetch", "--only", "sounds", "--donateacry", "{fx}/pairs", "--dest", "{tmp}/d"],
        names=["--donateacry", "pairs"],
        absent=["{tmp}/d"],
    ),
    Case(
        "df_only_bogus",
        ["data", "fetch", "--only", "scenes,bogus", "--dest", "{tmp}/d"],
        names=["--only", "bogus"],
        absent=["{tmp}/d"],
    ),
    Case(
        "df_only_empty",
        ["data", "fetch", "--only", ",", "--dest", "{tmp}/d"],
        names=["--only"],
        absent=["{tmp}/d"],
    ),
    Case(
        "df_dest_file",
        ["data", "fetch", "--only", "test", "--dest", "{fx}/text.txt"],
        names=["--dest", "text.txt"],
    ),
    Case(
        "df_dest_ro",
        ["data", "fetch", "--only", "test", "--dest", "{fx}/ro/d"],
        names=["--dest", "{fx}/ro/d"],
        absent=["{fx}/ro/d"],
    ),
]
