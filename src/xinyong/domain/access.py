"""Access: the scopes a caller may hold, and what each role (docs/domain.md §2) is given."""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    """One permission. Every API route declares exactly one scope, or that it is public."""

    RECORDS_WRITE = "records:write"
    RECORDS_READ = "records:read"
    CATALOG_READ = "catalog:read"
    DEPARTMENTS_READ = "departments:read"
    SUBJECTS_READ = "subjects:read"
    SUBJECTS_WRITE = "subjects:write"
    REVIEWS_MANAGE = "reviews:manage"
    AUDIT_READ = "audit:read"
    LISTS_READ = "lists:read"
    LISTS_WRITE = "lists:write"
    CHECKS_RUN = "checks:run"
    OBJECTIONS_MANAGE = "objections:manage"
    #: The credit centre's first step: check an objection, then forward it to its source.
    OBJECTIONS_FORWARD = "objections:forward"
    REPAIRS_MANAGE = "repairs:manage"
    AGENCY_QUERY = "agency:query"
    FEED_READ = "feed:read"
    #: An agency acknowledges a correction, repair or revocation in its feed (agencies only).
    FEED_ACKNOWLEDGE = "feed:acknowledge"
    #: The working-day deadlines the platform watches (a department key: its own cases).
    DEADLINES_READ = "deadlines:read"
    #: Verify (or refuse) a person's registration: staff who saw the ID card at a counter.
    ACCOUNTS_VERIFY = "accounts:verify"
    #: Tip-offs from the public routed to the key's department (the centre's key: all of them).
    TIPOFFS_READ = "tipoffs:read"
    #: Create, list and disable staff users of the consoles (the credit centre's own).
    STAFF_MANAGE = "staff:manage"
    #: Supervise credit reporting agencies: licences and the agency blacklist (the centre's own).
    AGENCIES_MANAGE = "agencies:manage"
    #: A person's own file, through their session; API keys never hold it.
    ME = "me"


#: Scopes only a person's session carries.
PERSON_SCOPES = frozenset({Scope.ME})

#: Scopes only the credit centre's keys (bound to no department) hold: its own steps.
CENTRE_SCOPES = frozenset({Scope.OBJECTIONS_FORWARD, Scope.STAFF_MANAGE, Scope.AGENCIES_MANAGE})


class Role(StrEnum):
    """The kinds of caller (docs/domain.md §2) and the scopes a key for each is given by default."""

    SOURCE_DEPARTMENT = "source_department"
    IMPLEMENTING_DEPARTMENT = "implementing_department"
    CREDIT_CENTRE = "credit_centre"
    CREDIT_AGENCY = "credit_agency"


ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    # A source department proposes listings on its own records and runs their procedure.
    Role.SOURCE_DEPARTMENT: frozenset(
        {
            Scope.RECORDS_WRITE,
            Scope.RECORDS_READ,
            Scope.CATALOG_READ,
            Scope.LISTS_READ,
            Scope.LISTS_WRITE,
            # "Who finds, who repairs": objections and repairs about its own records.
            Scope.OBJECTIONS_MANAGE,
            Scope.REPAIRS_MANAGE,
            Scope.FEED_READ,
            # Its own running deadlines: objections, repairs, double publicity.
            Scope.DEADLINES_READ,
            # Tip-offs from the public about conduct it is competent for.
            Scope.TIPOFFS_READ,
        }
    ),
    # An implementing department checks before it grants or restricts, and reports back.
    Role.IMPLEMENTING_DEPARTMENT: frozenset(
        {Scope.CATALOG_READ, Scope.LISTS_READ, Scope.CHECKS_RUN, Scope.FEED_READ}
    ),
    # Staff read and review; records are written by the departments that made the decisions,
    # agencies query under authorisations and recipients read their feed: not the centre.
    Role.CREDIT_CENTRE: frozenset(Scope)
    - {Scope.RECORDS_WRITE, Scope.AGENCY_QUERY, Scope.FEED_READ, Scope.FEED_ACKNOWLEDGE}
    - PERSON_SCOPES,
    # An agency queries with a person's authorisation and must apply corrections in step, and
    # acknowledge each correction, repair and revocation it is told of.
    Role.CREDIT_AGENCY: frozenset(
        {Scope.CATALOG_READ, Scope.AGENCY_QUERY, Scope.FEED_READ, Scope.FEED_ACKNOWLEDGE}
    ),
}

#: What only an agency's key may hold (a department's never), and all an agency's key may hold.
AGENCY_ONLY_SCOPES = ROLE_SCOPES[Role.CREDIT_AGENCY] - (
    ROLE_SCOPES[Role.SOURCE_DEPARTMENT] | ROLE_SCOPES[Role.IMPLEMENTING_DEPARTMENT]
)
AGENCY_SCOPES = ROLE_SCOPES[Role.CREDIT_AGENCY]
