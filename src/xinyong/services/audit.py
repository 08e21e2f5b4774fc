"""The audit log: every change is recorded with its actor, in the same transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from xinyong.domain.audit import AuditEvent


class AuditLog(Protocol):
    def add(self, event: AuditEvent) -> None: ...
    def count(self, tag: str | None = None) -> int: ...
    def count_since(self, tag: str, *, subject_id: int, since: datetime) -> int: ...
