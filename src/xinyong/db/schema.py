"""The whole schema: importing this module registers every area's tables on `Base.metadata`
(each area keeps its rows beside its repository, in `db/<area>.py`)."""

from __future__ import annotations

from xinyong.db import (  # noqa: F401 - imported for the tables they declare
    accounts,
    audit,
    authorisations,
    batches,
    chain,
    checks,
    deadlines,
    departments,
    evidence,
    exchange,
    feed,
    keys,
    lists,
    objections,
    querylog,
    records,
    registrations,
    repairs,
    reports,
    subjects,
    tipoffs,
)
from xinyong.db.base import Base

metadata = Base.metadata
