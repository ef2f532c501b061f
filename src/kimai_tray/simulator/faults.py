"""Fault injection for the Kimai 2 simulator: scripted or random transport/server failures."""

from __future__ import annotations

import random as _random
import threading
from dataclasses import dataclass
from typing import Literal, get_args

FaultKind = Literal["delay", "status", "html_200", "truncated_json", "drop_before", "drop_after"]
FAULT_KINDS: tuple[FaultKind, ...] = get_args(FaultKind)


@dataclass(frozen=True)
class Fault:
    """One injected failure; `status` is used by kind "status", `delay` by kind "delay"."""

    kind: FaultKind
    method: str | None = None
    path: str | None = None
    status: int = 503
    delay: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or self.path == path


@dataclass
class _Scripted:
    fault: Fault
    remaining: int  # < 0 means forever


class Faults:
    """Faults consumed by the HTTP layer, one per request at most (first match wins)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scripted: list[_Scripted] = []
        self._rate = 0.0
        self._kinds: tuple[FaultKind, ...] = ()
        self._rng = _random.Random(0)
        self._status = 503
        self._delay = 0.0

    def add(
        self,
        kind: FaultKind,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int = 1,
        status: int = 503,
        delay: float = 0.0,
    ) -> Fault:
        """Fail the next `times` matching requests (`times=-1`: forever)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}")
        fault = Fault(kind, method, path, status, delay)
        with self._lock:
            self._scripted.append(_Scripted(fault, times))
        return fault

    def random(
        self,
        *,
        rate: float,
        kinds: list[FaultKind] | tuple[FaultKind, ...] = FAULT_KINDS,
        seed: int = 0,
        status: int = 503,
        delay: float = 0.2,
    ) -> None:
        """Fail each request with probability `rate`, with a kind picked from `kinds`."""
        with self._lock:
            self._rate, self._kinds = rate, tuple(kinds)
            self._rng = _random.Random(seed)  # seeded: a failing soak run can be replayed
            self._status, self._delay = status, delay

    def clear(self) -> None:
        with self._lock:
            self._scripted.clear()
            self._rate, self._kinds = 0.0, ()

    def take(self, method: str, path: str) -> Fault | None:
        """The fault for this request, consuming one use of a scripted fault."""
        with self._lock:
            for item in self._scripted:
                if item.fault.matches(method, path):
                    if item.remaining > 0:
                        item.remaining -= 1
                        if item.remaining == 0:
                            self._scripted.remove(item)
                    return item.fault
            if self._kinds and self._rng.random() < self._rate:
                kind = self._rng.choice(self._kinds)
                return Fault(kind, status=self._status, delay=self._delay)
        return None
