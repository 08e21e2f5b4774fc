"""Displays stopped on objection before the status `corrected` was theirs become `corrected`

An objection decided `stop_display` moved its record to `expired` until the code moved it to
`corrected` instead (domain/records.py CreditRecord.stop_display): `expired` is a status a
resubmission of the document computes again, so a later correction of it showed the record again
and let it ground a listing, undoing the decision; `corrected` is kept (services/records.py
_STICKY). This revision gives the records stopped before that change the status they would have
now: every `expired` record with an objection whose decision was `stop_display`, its final one
(`outcome`, a challenge still running included) or a first one a reconsideration or a court
replaced (`challenged_outcome`: the stop was applied then, and no later decision shows a record
again). Records expired at the end of their display and never stopped keep `expired`.

Nothing else follows, nor needs to: `updated_at` stays the day the display stopped (a stopped
record's shown window ends there: db/records.py shown_between); revisions hold no status; the
listing index and the change log hold listings, which the stop ended when it was decided; no
audit event is written, since the decision is audited as `objection:decided` with its outcome and
this only stores the status that decision now gives. A peer's copy stays `expired` until
reconciliation (whose leaves hold the status) has the origin send it again.

The update touches only `expired` records, so running it again changes nothing. Downgrading
leaves them `corrected`: the revision before accepts that status, records stopped after the
change are `corrected` as well and cannot be told apart, and `expired` would expose them to a
resubmission again.

Revision ID: a8e749dc890a
Revises: e8b2d5a7c314
Create Date: 2026-12-03 16:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "a8e749dc890a"
down_revision = "e8b2d5a7c314"
branch_labels = None
depends_on = None

#: Both columns of the reference (record_subject_id, record_id): on PostgreSQL the records are
#: hashed by subject, and naming it reaches the one partition.
_STOPPED_ON_OBJECTION = """
UPDATE credit_records SET status = 'corrected'
WHERE status = 'expired'
AND EXISTS (
    SELECT 1 FROM objections o
    WHERE o.record_id = credit_records.id
    AND o.record_subject_id = credit_records.subject_id
    AND (o.outcome = 'stop_display' OR o.challenged_outcome = 'stop_display')
)
"""


def upgrade() -> None:
    op.execute(_STOPPED_ON_OBJECTION)


def downgrade() -> None:
    """Nothing to undo: see the module's docstring."""
