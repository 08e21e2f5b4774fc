"""The chained logs: how a break is found and named (domain/chain.py)."""

from __future__ import annotations

from dataclasses import replace

from xinyong.domain.chain import GENESIS, Break, Link, walk
from xinyong.domain.vault import Vault, new_material

KEYS = Vault.from_material(new_material())


def chain_of(n: int) -> list[Link]:
    rows, prev = [], GENESIS
    for i in range(1, n + 1):
        content = f'["entry {i}"]'
        link = KEYS.link(prev, content)
        rows.append(Link(i, prev, link, content))
        prev = link
    return rows


def kinds(rows: list[Link]) -> list[tuple[int, Break]]:
    findings, _ = walk("queries", rows, KEYS.link)
    return [(f.entry_id, f.kind) for f in findings]


def test_an_untouched_chain_has_no_breaks() -> None:
    assert kinds(chain_of(5)) == []


def test_an_altered_entry_is_named() -> None:
    rows = chain_of(5)
    rows[2] = replace(rows[2], content='["entry 3, changed"]')
    assert kinds(rows) == [(3, Break.ALTERED)]


def test_an_inserted_entry_is_named() -> None:
    rows = chain_of(5)
    forged = Link(35, rows[2].chain, "f" * 64, '["forged"]')
    assert kinds([*rows[:3], forged, *rows[3:]]) == [(35, Break.INSERTED)]


def test_a_deleted_entry_is_named_by_the_entry_after_the_gap() -> None:
    rows = chain_of(5)
    findings, _ = walk("queries", rows[:2] + rows[3:], KEYS.link)
    assert [(f.entry_id, f.kind) for f in findings] == [(4, Break.DELETED)]
    assert "between 2 and it" in findings[0].detail


def test_links_made_with_other_keys_are_breaks() -> None:
    other = Vault.from_material(new_material())
    findings, _ = walk("queries", chain_of(3), other.link)
    assert findings
