"""Audit events: who did what, when and why. Tags read `area:action`, in the past tense."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class EventTag(StrEnum):
    RECORD_ACCEPTED = "record:accepted"
    RECORD_UPDATED = "record:updated"
    RECORD_HELD = "record:held_for_identity_review"
    IDENTITY_FLAGGED = "record:identity_flagged"
    RECORD_REVOKED = "record:revoked"
    BATCH_OPENED = "batch:opened"
    BATCH_PROGRESSED = "batch:chunk_committed"
    BATCH_COMPLETED = "batch:completed"
    BATCH_FAILED = "batch:failed"
    IDENTITY_REVIEW_RESOLVED = "identity_review:resolved"
    DEPARTMENTS_SYNCED = "department:synced"
    #: The policy no longer registers the department: kept, but it acts on no mandate.
    DEPARTMENT_DEACTIVATED = "department:deactivated"
    KEY_CREATED = "api_key:created"
    KEY_REVOKED = "api_key:revoked"
    ROLE_RECORDED = "subject_role:recorded"
    LISTING_PROPOSED = "listing:proposed"
    LISTING_NOTICE_SERVED = "listing:notice_served"
    LISTING_DEFENCE_STATED = "listing:defence_stated"
    LISTING_DECIDED = "listing:decided"
    LISTING_RECORDED = "listing:recorded"
    LISTING_PUBLISHED = "listing:published"
    LISTING_EXITED = "listing:exited"
    LISTING_WITHDRAWN = "listing:withdrawn"
    #: A listing step the rules refused (publishing a listing whose period ended, say).
    LISTING_REFUSED = "listing:refused"
    CHECK_FEEDBACK = "check:feedback_given"
    ACCOUNT_REGISTERED = "account:registered"
    ACCOUNT_LOGGED_IN = "account:logged_in"
    ACCOUNT_LOGIN_FAILED = "account:login_failed"
    ACCOUNT_TOKEN_REFRESHED = "account:token_refreshed"  # noqa: S105 - an audit tag
    #: A used refresh token presented again: every token of that login was ended.
    ACCOUNT_REFRESH_REUSED = "account:refresh_reused"
    ACCOUNT_PASSWORD_CHANGED = "account:password_changed"  # noqa: S105 - an audit tag
    #: A password change refused because the current password was wrong.
    ACCOUNT_PASSWORD_REFUSED = "account:password_change_refused"  # noqa: S105 - an audit tag
    AGENT_RECORDED = "agency:recorded"
    AUTHORISATION_GRANTED = "authorisation:granted"
    AUTHORISATION_REVOKED = "authorisation:revoked"
    AGENCY_QUERIED = "agency:queried"
    AGENCY_REFUSED = "agency:refused"
    AGENCY_LICENSED = "agency:licence_recorded"
    AGENCY_BLACKLISTED = "agency:blacklisted"
    AGENCY_BLACKLISTING_LIFTED = "agency:blacklisting_lifted"
    #: The credit centre registered a staff member of an agency (keys are issued to them).
    AGENCY_STAFF_REGISTERED = "agency:staff_registered"
    AGENCY_STAFF_BLACKLISTED = "agency:staff_blacklisted"
    AGENCY_STAFF_BLACKLISTING_LIFTED = "agency:staff_blacklisting_lifted"
    AGENCY_STAFF_LEFT = "agency:staff_left"
    #: A suspended agency (blacklisted, no valid licence) asked for its feed: refused.
    AGENCY_FEED_REFUSED = "agency:feed_refused"
    #: An agency acknowledged a correction, repair or revocation in its feed.
    AGENCY_ACKNOWLEDGED = "agency:acknowledged"
    #: An agency let acknowledgements go past their working-day deadline: flagged.
    AGENCY_FLAGGED = "agency:flagged_overdue"
    OBJECTION_FILED = "objection:filed"
    OBJECTION_FORWARDED = "objection:forwarded"
    OBJECTION_EXTENDED = "objection:extended"
    OBJECTION_DECIDED = "objection:decided"
    #: A decided objection taken to reconsideration or to court: the item is marked again.
    OBJECTION_CHALLENGED = "objection:challenged"
    #: Testing or expert review stopped an objection's clock; it ended, the deadline moved.
    OBJECTION_PAUSED = "objection:paused"
    OBJECTION_RESUMED = "objection:resumed"
    #: An identity review moved the record to another person: the filer's case closed undecided.
    OBJECTION_CLOSED = "objection:closed_not_about_subject"
    REPAIR_APPLIED = "repair:applied"
    REPAIR_SUPPLIED = "repair:materials_supplied"
    REPAIR_ACCEPTED = "repair:accepted"
    REPAIR_DECIDED = "repair:decided"
    REPAIR_CLOSED = "repair:closed_not_about_subject"
    RECORD_EXPIRED = "record:expired"
    RECORD_DISPLAY_HELD = "record:display_follows_listing"
    RECORD_DELETED = "record:deleted_after_retention"
    REPORT_READ = "report:read"
    #: A report numbered and registered that never left: its print failed (`withdraw_unprinted`).
    REPORT_WITHDRAWN = "report:withdrawn"
    SCREENING_RUN = "screening:run"
    MANDATE_REFUSED = "mandate:refused"
    LISTING_EXTENDED = "listing:extended"
    #: A published listing's period counted again from the day it binds, its end having been
    #: counted from its decision (`xinyong lists mend-notice-periods`).
    LISTING_PERIOD_RECOUNTED = "listing:period_recounted"
    LISTING_DELETION_GROUND = "listing:deletion_ground_noted"
    LISTING_BASIS_LOST = "listing:basis_revoked"
    LISTING_BASIS_REGAINED = "listing:basis_regained"
    #: A court's or authority's listing that followed its record, varied to another ground of
    #: its list, to that ground (and its period).
    LISTING_GROUND_FOLLOWED = "listing:ground_followed"
    DEADLINE_RECOUNTED = "deadline:recounted"
    QUERIES_DELETED = "query_log:deleted_after_retention"
    EXCHANGE_NODE_INITIALISED = "exchange:node_initialised"
    EXCHANGE_PEER_ADDED = "exchange:peer_added"
    EXCHANGE_PEER_REMOVED = "exchange:peer_removed"
    EXCHANGE_EVENT_REFUSED = "exchange:event_refused"
    COURT_LIST_IMPORTED = "court_list:imported"
    COURT_CANDIDATE_DECIDED = "court_list:candidate_decided"
    REGISTRATION_RECEIVED = "registration:received"
    REGISTRATION_VERIFIED = "registration:verified"
    REGISTRATION_REFUSED = "registration:refused"
    #: A verified name the platform holds otherwise for the number: the account waits for an
    #: identity review.
    REGISTRATION_HELD = "registration:held_for_identity_review"
    TIPOFF_RECEIVED = "tipoff:received"
    TIPOFF_READ = "tipoff:read"
    EVIDENCE_READ = "evidence:read"
    STAFF_ADDED = "staff:added"
    STAFF_DISABLED = "staff:disabled"
    STAFF_LOGGED_IN = "staff:logged_in"
    STAFF_LOGIN_REFUSED = "staff:login_refused"
    STAFF_REFUSED = "staff:page_refused"
    #: An attempt refused by an abuse limit (the first of a run; docs/security.md).
    RATE_LIMITED = "rate:limited"
    #: A bearer token that authenticated nobody: unknown, revoked or expired.
    KEY_REFUSED = "api_key:refused"
    #: A console or portal form sent without its session's form token (forged or stale).
    FORM_REFUSED = "form:refused"
    #: An API key (or a person's session) that authenticated but lacks the route's scope.
    SCOPE_REFUSED = "api_key:scope_refused"


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One audited change. `data` holds ids and counts, never ID numbers or names."""

    tag: EventTag
    actor: str
    entity_type: str
    entity_id: str
    at: datetime
    subject_id: int | None = None
    reason: str | None = None
    data: dict[str, object] = field(default_factory=dict)
