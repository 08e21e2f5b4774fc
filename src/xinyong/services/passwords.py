"""Password rules: long enough, not common or breached, not the person's ID number or name, not a
trivial run. One function, `check_password`, for registration, a password change and staff.

Common and breached passwords, and guessable patterns, are zxcvbn's (its ranked list of 30 000
passwords from published breaches, and its repeat, sequence and keyboard matchers): see
docs/dependencies.md and docs/security.md. A refusal names the field and the reason; it never
repeats the password.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import TYPE_CHECKING, Any

from xinyong.domain.errors import Invalid

if TYPE_CHECKING:
    from xinyong.domain.accounts import AccountRules

#: zxcvbn looks at no more than this many characters (its own default bound: the work grows
#: with the length, and a longer password is not the problem these rules look for).
_LOOKED_AT = 72

#: Patterns that make a whole password trivial when one of them covers all of it.
_TRIVIAL = frozenset({"repeat", "sequence", "spatial"})


class WeakPassword(Invalid):
    """A password the rules refuse; `reason` says why (never what it was)."""

    def __init__(self, reason: str, field: str = "password") -> None:
        super().__init__(f"{field}: {reason}")
        self.reason = reason


def check_password(
    rules: AccountRules,
    password: str,
    *,
    number: str | None = None,
    name: str | None = None,
    field: str = "password",
) -> None:
    """Refuse (WeakPassword, naming `field`) a password the rules do not allow for the person
    with this ID number and name (either may be unknown, e.g. staff without a number)."""
    if len(password) < rules.min_password_chars:
        raise WeakPassword(f"at least {rules.min_password_chars} characters", field)
    folded = _folded(password)
    if number and _holds_number(folded, number):
        raise WeakPassword(
            "must not contain your ID number or part of it (its birth date or last digits)",
            field,
        )
    names = _name_forms(name) if name else []
    if any(n in folded for n in names):
        raise WeakPassword("must not contain your name", field)
    found = _zxcvbn(password[:_LOOKED_AT], [*(n for n in names), *([number] if number else [])])
    if folded[:_LOOKED_AT] in _common() or any(
        m["pattern"] == "dictionary"
        and m.get("dictionary_name") == "passwords"
        and len(m["token"]) == len(found["password"])
        for m in found["sequence"]
    ):
        raise WeakPassword("is one of the most common passwords in published breaches", field)
    whole = found["sequence"]
    if (len(whole) == 1 and whole[0]["pattern"] in _TRIVIAL) or len(set(folded)) <= 2:
        raise WeakPassword(
            "is a run of repeated, consecutive or neighbouring keyboard characters", field
        )
    if int(found["score"]) < rules.min_password_score:
        raise WeakPassword(
            "too easy to guess (common words, names, dates or patterns): use a longer phrase",
            field,
        )


def _folded(text: str) -> str:
    """Compared without case, width or spaces: 'Ａ B' and 'ab' are the same here."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def _holds_number(folded: str, number: str) -> bool:
    """The 17 digits before the check character, the birth date, or the last six characters
    (what many systems hand out as a first password): each is known to whoever has the number."""
    n = _folded(number)
    parts = [n[:17], n[-6:]]
    if len(n) == 18:
        parts.append(n[6:14])
    return any(p and p in folded for p in parts)


def _name_forms(name: str) -> list[str]:
    """The name as written and in pinyin (whole, and surname and given name apart when long
    enough to matter), folded."""
    written = _folded(name)
    forms = [written] if len(written) >= 2 else []
    try:
        from pypinyin import lazy_pinyin

        syllables = [s for s in lazy_pinyin(written) if s.isascii() and s.isalpha()]
    except ImportError:  # pragma: no cover - a dependency of the platform
        syllables = []
    if syllables:
        forms.append("".join(syllables))
        given = "".join(syllables[1:])
        if len(given) >= 4:
            forms.append(given)
    return [f for f in forms if len(f) >= 2]


@cache
def _common() -> frozenset[str]:
    from zxcvbn import matching

    return frozenset(matching.RANKED_DICTIONARIES["passwords"])


def _zxcvbn(password: str, user_inputs: list[str]) -> dict[str, Any]:
    from zxcvbn import zxcvbn

    return dict(zxcvbn(password, user_inputs=user_inputs))
