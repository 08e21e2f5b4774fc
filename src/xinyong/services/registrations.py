"""Registration with real-name verification: a person asks for an account, and it opens once
their identity is verified.

Knowing a person's number and name proves nothing (both are printed on many documents), so the
account waits. Verification is a port, `IdentityVerifier`: the platform ships counter
verification (`CounterVerification`: every registration waits until credit-centre staff have
seen the ID card and confirm it, `verify_registration`); an online verifier (a government identity
service) would answer at once and plugs in through the `identity_verifier` setting (bootstrap.py).
The form answers the same whatever the platform holds: a registration never tells anyone who is
on file. A verified person the platform holds nothing on gets an account all the same, and their
file says that nothing is held. A verified name that is not the one the platform holds for the
number (compared as records are: spaces and middle dots aside) is never merged into the file nor
written over it: the account waits for an identity review (`decide_registration`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from xinyong.domain.accounts import Account, Registration, RegistrationStatus
from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.calendar import business_date
from xinyong.domain.catalog import SubjectType
from xinyong.domain.errors import Conflict, FieldChecks, Invalid
from xinyong.domain.identifiers import InvalidIdentifier, parse_citizen_id
from xinyong.domain.policy import Policy
from xinyong.domain.subjects import (
    IdentityConflictKind,
    IdentityReview,
    ReviewResolution,
    Subject,
    find_identity_conflict,
    names_agree,
)
from xinyong.services import accounts
from xinyong.services.passwords import check_password

if TYPE_CHECKING:
    from datetime import date, datetime

    from xinyong.services.ports import UnitOfWork


class RegistrationRepository(Protocol):
    def add(self, registration: Registration) -> int:
        """Store a new registration and set its id."""
        ...

    def get(self, registration_id: int) -> Registration: ...
    def save(self, registration: Registration) -> None: ...
    def pending(self, *, limit: int) -> list[Registration]:
        """Registrations waiting for verification, oldest first."""
        ...

    def latest_for(self, number: str) -> Registration | None:
        """The newest registration for this number that opened no account."""
        ...


class Verdict(StrEnum):
    VERIFIED = "verified"  # the identity is verified now: open the account
    PENDING = "pending"  # someone must still verify it (at a counter)
    REFUSED = "refused"  # the verifier says the number and name do not belong together


@dataclass(frozen=True, slots=True)
class VerifierAnswer:
    verdict: Verdict
    reasons: str | None = None


class IdentityVerifier(Protocol):
    """Verifies that a registration's number and name are the applicant's own."""

    @property
    def name(self) -> str:
        """How the verification is recorded (the actor of the audit event)."""
        ...

    def check(self, *, number: str, name: str) -> VerifierAnswer: ...


class CounterVerification:
    """Verification at a credit-centre counter: the person shows the ID card and staff confirm
    the registration (`verify_registration`, the API or `xinyong accounts verify`). Until then
    every registration waits."""

    name = "counter"

    def check(self, *, number: str, name: str) -> VerifierAnswer:
        return VerifierAnswer(Verdict.PENDING)


#: The verifiers the `identity_verifier` setting may name.
VERIFIERS: dict[str, type[CounterVerification]] = {"counter": CounterVerification}


def register(
    uow: UnitOfWork,
    policy: Policy,
    verifier: IdentityVerifier,
    *,
    number: str,
    name: str,
    phone: str,
    password: str,
) -> Registration:
    """Take a registration and ask the verifier: it opens the account now (an online verifier),
    refuses it, or leaves it waiting for staff (the counter)."""
    fields = FieldChecks()  # every field's problem at once, in the form's order
    normalised = fields.read(lambda: _citizen_number(number), "")
    real_name = " ".join(name.split())
    if not real_name:
        fields.found.append(Invalid("name: the name on your ID card"))
    phone_number = fields.read(lambda: accounts.mobile_number(phone), "")
    fields.read(
        lambda: check_password(
            policy.accounts, password, number=normalised or None, name=real_name or None
        ),
        None,
    )
    fields.refuse()
    answer = verifier.check(number=normalised, name=real_name)
    with uow:
        now = uow.now()
        registration = Registration(
            None, normalised, real_name, phone_number, accounts.hash_password(password), now
        )
        uow.registrations.add(registration)
        uow.audit.add(
            AuditEvent(
                EventTag.REGISTRATION_RECEIVED,
                "anonymous",
                "registration",
                str(registration.id),
                now,
                data={"verifier": verifier.name},
            )
        )
        actor = f"verifier:{verifier.name}"
        if answer.verdict is Verdict.VERIFIED:
            # Verified, but a name the platform holds otherwise leaves it waiting for a review.
            _open_account(uow, policy, registration, actor=actor, at=now)
        elif answer.verdict is Verdict.REFUSED:
            _refuse(uow, policy, registration, reasons=answer.reasons or "", actor=actor, at=now)
        uow.commit()
    return registration


def _citizen_number(number: str) -> str:
    try:
        return parse_citizen_id(number).number
    except InvalidIdentifier as exc:
        raise Invalid(f"number: not a valid citizen ID number: {exc.reason}") from None


def verify_registration(
    uow: UnitOfWork,
    policy: Policy,
    registration_id: int,
    *,
    number_seen: str,
    name_seen: str,
    actor: str,
) -> Registration:
    """Staff saw the person's ID card: its number and name must be the registration's. The
    account opens, bound to the person's file (a new, empty one if the platform holds nothing).

    If the platform holds another name for the number, the account is not opened: an identity
    review decides (one is opened now, audited, unless this registration waits on one already),
    and Conflict says which."""
    try:
        seen = parse_citizen_id(number_seen).number
    except InvalidIdentifier as exc:
        raise Invalid(f"number: not a valid citizen ID number: {exc.reason}") from None
    with uow:
        registration = uow.registrations.get(registration_id)
        if seen != registration.number:
            raise Invalid("number: the ID card's number is not this registration's")
        if not names_agree(name_seen, registration.name):  # spaces and middle dots aside
            raise Invalid("name: the ID card's name is not this registration's")
        waiting = _open_account(uow, policy, registration, actor=actor, at=uow.now())
        uow.commit()  # the review it waits on, if any, is kept
    if waiting is not None:
        raise Conflict(
            "name: the platform holds another name for this number; the account is not opened"
            f" until identity review {waiting.id} settles which is right"
        )
    return registration


def decide_registration(
    uow: UnitOfWork,
    policy: Policy,
    review: IdentityReview,
    *,
    same_person: bool,
    actor: str,
    at: datetime,
) -> None:
    """An identity review decided the name a registration waited on (in the caller's
    transaction): the same person opens the account, another person refuses the registration.
    The day staff saw the identity is the review's, so the registration did not lapse while the
    review took its time. A registration refused or verified meanwhile is left as it is."""
    if review.registration_id is None:
        raise ValueError("a review about a record decides no registration")
    registration = uow.registrations.get(review.registration_id)
    if registration.status is not RegistrationStatus.PENDING:
        return
    seen_on = business_date(review.created_at)
    if same_person:  # the name is settled: the account opens, and no review is looked for
        _open_account(uow, policy, registration, actor=actor, at=at, seen_on=seen_on, settled=True)
    else:
        _refuse(
            uow,
            policy,
            registration,
            reasons=NOT_THE_PERSON,
            actor=actor,
            at=at,
            seen_on=seen_on,
        )


def refuse_registration(
    uow: UnitOfWork, policy: Policy, registration_id: int, *, reasons: str, actor: str
) -> Registration:
    """Staff could not verify the identity: the registration is refused, with reasons."""
    with uow:
        registration = uow.registrations.get(registration_id)
        _refuse(uow, policy, registration, reasons=reasons, actor=actor, at=uow.now())
        uow.commit()
    return registration


def pending_registrations(uow: UnitOfWork, *, limit: int = 200) -> list[Registration]:
    """What waits for verification, oldest first."""
    with uow:
        return uow.registrations.pending(limit=limit)


#: Why a registration an identity review found is not the person's file is refused: told to the
#: applicant as staff reasons are, in Chinese.
NOT_THE_PERSON = "身份核查认定：平台以该身份号码记载的信息不属于申请人，不能以该号码开通账户。"


def _refuse(
    uow: UnitOfWork,
    policy: Policy,
    registration: Registration,
    *,
    reasons: str,
    actor: str,
    at: datetime,
    seen_on: date | None = None,
) -> None:
    registration.refuse(
        reasons=reasons,
        by=actor,
        at=at,
        days=policy.accounts.registration_days,
        seen_on=seen_on,
    )
    uow.registrations.save(registration)
    uow.audit.add(
        AuditEvent(
            EventTag.REGISTRATION_REFUSED,
            actor,
            "registration",
            str(registration.id),
            at,
            reason=registration.reasons,
        )
    )


def _open_account(
    uow: UnitOfWork,
    policy: Policy,
    registration: Registration,
    *,
    actor: str,
    at: datetime,
    seen_on: date | None = None,
    settled: bool = False,
) -> IdentityReview | None:
    """Open the registration's account, or return the identity review it waits on (opened now
    if none is open for it) when the platform holds another name for the number; never when
    `settled` (an identity review has just found the name the person's)."""
    days = policy.accounts.registration_days
    registration.require_pending(on=seen_on or business_date(at), days=days)
    subject = uow.subjects.get_by_number(registration.number)
    if subject is not None and subject.kind is not SubjectType.PERSON:
        raise Conflict("number: the platform holds this number as an organisation's")
    if subject is not None and not settled:
        waiting = _name_review(uow, subject, registration, actor=actor, at=at)
        if waiting is not None:
            return waiting
    if subject is None:  # a verified person the platform holds nothing on: an empty file
        parsed = parse_citizen_id(registration.number)
        subject = Subject(
            None,
            SubjectType.PERSON,
            parsed.number,
            registration.name,
            birth_date=parsed.birth_date,
            sex=parsed.sex.value,
            region_code=parsed.region.code,
        )
        uow.subjects.add_many([subject], at=at)
    if subject.id is None:
        raise RuntimeError("a stored subject has an id")
    if uow.accounts.by_subject(subject.id) is not None:
        raise Conflict("an account is open for this person already: log in, or reset it")
    account = Account(None, subject.id, registration.phone, registration.password_hash, at)
    account_id = uow.accounts.add(account)
    registration.verify(account_id=account_id, by=actor, at=at, days=days, seen_on=seen_on)
    uow.registrations.save(registration)
    uow.audit.add(
        AuditEvent(
            EventTag.REGISTRATION_VERIFIED,
            actor,
            "registration",
            str(registration.id),
            at,
            subject_id=subject.id,
            data={"account": account_id},
        )
    )
    uow.audit.add(
        AuditEvent(
            EventTag.ACCOUNT_REGISTERED,
            actor,
            "account",
            str(account_id),
            at,
            subject_id=subject.id,
        )
    )
    return None


def _name_review(
    uow: UnitOfWork, subject: Subject, registration: Registration, *, actor: str, at: datetime
) -> IdentityReview | None:
    """The identity review the registration waits on, or None if its name is the person's: the
    one the platform holds (spaces and middle dots aside, as records are compared), or one an
    identity review found the same person's. A name no review settled opens one, audited."""
    if subject.id is None:
        raise RuntimeError("a stored subject has an id")
    conflict = find_identity_conflict(subject, name=registration.name, birth_date=None)
    if conflict is None:
        return None
    named = [
        r
        for r in uow.reviews.of_subject(subject.id)
        if r.subject_id == subject.id
        and r.kind == IdentityConflictKind.NAME.value
        and names_agree(r.submitted_value, registration.name)
    ]
    if any(r.resolution is ReviewResolution.SAME_PERSON for r in named):
        return None
    for review in named:
        if review.is_open and review.registration_id == registration.id:
            return review
    review_id = uow.reviews.add(
        subject_id=subject.id,
        record_id=None,
        registration_id=registration.id,
        conflict=conflict,
        at=at,
    )
    uow.audit.add(
        AuditEvent(
            EventTag.REGISTRATION_HELD,
            actor,
            "registration",
            str(registration.id),
            at,
            subject_id=subject.id,
            reason="the verified name is not the one held for the number; an identity review"
            " decides before the account opens",
            data={"review_id": review_id},
        )
    )
    return uow.reviews.get(review_id)
