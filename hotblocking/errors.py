"""The one exception family of the analysis core, and its one cancellation path (stdlib only).

* Every error the core raises about its input derives from :class:`HotBlockingError` (a
  ``ValueError``), so the algorithms catch one type and show its message: which part and why,
  in words an analyst can act on.
* :class:`Cancelled` is not an input error: it is raised by :func:`check_cancelled` when the
  caller's ``cancelled()`` callable says stop. Long operations take plain ``progress(fraction)``
  and ``cancelled()`` callables (:data:`Progress`, :data:`CancelCheck`), never a QGIS object.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

__all__ = [
    "AmbiguousFieldError",
    "CancelCheck",
    "Cancelled",
    "HotBlockingError",
    "InputError",
    "OptionError",
    "PatrolPlanError",
    "Progress",
    "ProfileError",
    "WindowSpecError",
    "check_cancelled",
    "report",
]

Progress = Callable[[float], object] | None
CancelCheck = Callable[[], bool] | None


class HotBlockingError(ValueError):
    """Input the core cannot work with; the message says what and how to fix it."""


class InputError(HotBlockingError):
    """Data given to an analysis cannot be used (a missing column, duplicate ids, ...)."""


class OptionError(HotBlockingError):
    """A text option or parameter value could not be read; the message says which and why."""


class WindowSpecError(HotBlockingError):
    """A time-window specification could not be parsed; the message quotes the bad part."""


class PatrolPlanError(HotBlockingError):
    """The visits asked for cannot fit inside the window (or the arguments are invalid)."""


class ProfileError(HotBlockingError):
    """An hour-of-week ``profile`` text is not 168 readable values."""


class AmbiguousFieldError(HotBlockingError):
    """Several fields could hold the incident time; the user must choose one."""

    def __init__(self, candidates: Sequence[str], message: str | None = None) -> None:
        self.candidates: list[str] = list(candidates)
        super().__init__(
            message or f"several fields could hold the time: {', '.join(self.candidates)}"
        )


class Cancelled(Exception):
    """The user cancelled a long operation (raised when ``cancelled()`` turns True)."""


def check_cancelled(cancelled: CancelCheck) -> None:
    """Raise :class:`Cancelled` when ``cancelled`` is given and returns True."""
    if cancelled is not None and cancelled():
        raise Cancelled()


def report(progress: Progress, fraction: float) -> None:
    """Call ``progress(fraction)`` when a progress callable is given."""
    if progress is not None:
        progress(float(fraction))
