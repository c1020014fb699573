"""Seeded fault injection: the same seed and request order give the same faults."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from enum import Enum


class Fault(Enum):
    FAIL_BEFORE = "fail_before"  # 5xx, nothing changed
    FAIL_AFTER = "fail_after"  # change committed, then 500 (the ambiguous case)
    DROP_BEFORE = "drop_before"  # connection closed unanswered, nothing changed
    DROP_AFTER = "drop_after"  # change committed, connection closed unanswered


BEFORE_STATUSES = (500, 502, 503)


@dataclass(frozen=True)
class FaultDecision:
    fault: Fault | None
    status: int = 500


NO_FAULT = FaultDecision(None)


class FaultInjector:
    """Draws one decision per eligible request from `random.Random(seed)` under a lock."""

    def __init__(self, fail_before: float, fail_after: float, drop: float, seed: int) -> None:
        self.fail_before = fail_before
        self.fail_after = fail_after
        self.drop = drop
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        return self.fail_before + self.fail_after + self.drop > 0

    def decide(self) -> FaultDecision:
        if not self.active:
            return NO_FAULT
        with self._lock:
            draw = self._random.random()
            detail = self._random.random()
        if draw < self.fail_before:
            return FaultDecision(Fault.FAIL_BEFORE, BEFORE_STATUSES[int(detail * 3) % 3])
        if draw < self.fail_before + self.fail_after:
            return FaultDecision(Fault.FAIL_AFTER, 500)
        if draw < self.fail_before + self.fail_after + self.drop:
            return FaultDecision(Fault.DROP_BEFORE if detail < 0.5 else Fault.DROP_AFTER)
        return NO_FAULT
