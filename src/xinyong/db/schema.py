"""The whole schema: importing this module registers every area's tables on `Base.metadata`
(each area keeps its rows beside its repository, in `db/<area>.py`)."""

from __future__ import annotations

from xinyong.db import (  # noqa: F401 - imported for the tables they declare
    accounts,
    agencies,
    audit,
    authorisations,
    batches,
    chain,
    checks,
    court_candidates,
    deadlines,
    departments,
    evidence,
    exchange,
    exchange_copies,
    feed,
    keys,
    lists,
    objections,
    querylog,
    records,
    registrations,
    repairs,
    reports,
    staff,
    subjects,
    tipoffs,
)
from xinyong.db.base import Base

metadata = Base.metadata
