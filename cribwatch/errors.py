"""The one error type library code raises for bad input.

Only ``cli.py`` modules catch it: they print ``error: <message>`` as one line and exit with
code 2. Library functions never print or exit.
"""


class CribwatchError(Exception):
    """Bad input or an unusable resource; ``str(err)`` is one line naming the file and problem."""

    def __init__(self, message: str) -> None:
        super().__init__(message.replace("\n", " "))
        self.message = message.replace("\n", " ")
