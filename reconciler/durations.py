"""How a length of time reads in every message: `40s`, `1m 1s`, `1h 2m 5s` (pure).

One format for "resets in ..." wherever it appears (the plan's bill, doctor, quota errors), so
that a reader never meets `40s` in one line and `40 s` in the next. The live progress line keeps
its clock-style countdown (`12:40`), which is redrawn every second.
"""

from __future__ import annotations


def duration(seconds: float) -> str:
    """`20m 0s` style; hours only when there are any (quota windows are an hour long)."""
    minutes, secs = divmod(max(int(seconds), 0), 60)
    hrs, minutes = divmod(minutes, 60)
    if hrs:
        return f"{hrs}h {minutes}m {secs}s"
    return f"{minutes}m {secs}s" if minutes else f"{secs}s"
