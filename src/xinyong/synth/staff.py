"""The demo's console users: one per console (a source department's, an implementing
department's, the credit centre's), each with a password and a TOTP secret kept in a file under
var/ that only its owner reads, so that a second run of the demo prints the same logins.

The source department's user also holds its implementing role where the department's mandate
covers both (it checks for matters too): one user uploads a batch, downloads its error report,
runs a check and gives feedback."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from xinyong.domain.access import Role
from xinyong.domain.policy import Policy
from xinyong.services import staff
from xinyong.services.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class DemoStaff:
    username: str
    role: str  # its roles, joined by "+"
    department: str | None
    password: str
    totp_secret: str


def create_demo_staff(
    uow: Callable[[], UnitOfWork],
    policy: Policy,
    path: Path,
    *,
    source: str,
    implementing: str,
    actor: str,
) -> list[DemoStaff]:
    """The demo's three console users, created on the first run and read back after."""
    if path.exists():
        saved = json.loads(path.read_text(encoding="utf-8"))
        return [DemoStaff(**user) for user in saved]
    made = []
    mandate = policy.department(source)
    checks_too = mandate is not None and bool(mandate.matters)
    both = (Role.IMPLEMENTING_DEPARTMENT,) if checks_too else ()
    for username, role, department, also in (
        ("demo.source", Role.SOURCE_DEPARTMENT, source, both),
        ("demo.check", Role.IMPLEMENTING_DEPARTMENT, implementing, ()),
        ("demo.centre", Role.CREDIT_CENTRE, None, ()),
    ):
        password = secrets.token_urlsafe(12)
        new = staff.add_staff(
            uow(),
            policy,
            username=username,
            name=username,
            role=role,
            department=department,
            password=password,
            actor=actor,
            also=also,
        )
        roles = "+".join(r.value for r in new.staff.roles)
        made.append(DemoStaff(username, roles, department, password, new.secret))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([asdict(u) for u in made], indent=1), encoding="utf-8")
    path.chmod(0o600)
    return made
