"""The one exception family of the analysis core.

Every error the core raises about its input derives from :class:`HotBlockingError` (a
``ValueError``), so the algorithms catch one type and show its message.
"""


class HotBlockingError(ValueError):
    """Input the core cannot work with; the message says what and how to fix it."""


class Cancelled(Exception):
    """The user cancelled a long operation (raised when ``cancelled()`` turns True)."""
