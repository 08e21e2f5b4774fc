"""The word lists and figures the generator draws from, read once from the TOML files in `data/`.

The order of every list is part of the output: a seed draws positions, so reordering a list, or a
table whose order the file says is meaningful, changes the files a seed writes.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, TypeVar

from xinyong.domain.catalog import Category, Nature, Severity

#: The key of a table by theme that answers for every theme it does not name.
OTHER = "any_other"

_T = TypeVar("_T")
#: Options with their relative weights, in the order a draw sees them.
Weighted = tuple[tuple[_T, float], ...]
Words = tuple[str, ...]


@cache
def _read(name: str) -> dict[str, Any]:
    source = resources.files("xinyong.synth") / "data" / f"{name}.toml"
    return tomllib.loads(source.read_text(encoding="utf-8"))


def _words(raw: Any) -> Words:
    return tuple(str(word) for word in raw)


def _weighted(raw: Any) -> Weighted[Any]:
    return tuple((option, weight) for option, weight in raw)


def _word_table(raw: Mapping[str, Any]) -> Mapping[str, Words]:
    return {key: _words(value) for key, value in raw.items()}


def by_theme(table: Mapping[str, Words], theme: str) -> Words:
    """The table's words for `theme`, or those for any other theme."""
    return table.get(theme, table[OTHER])


@dataclass(frozen=True, slots=True)
class Figures:
    """The figures that shape a population (`data/figures.toml`)."""

    window_months: int
    debtor_share: float
    home_province_share: float
    minor_share: float
    persons_per_organisation: int
    shown_share: float
    debtor_shown_share: float
    optional_share: float
    minor_negative_factor: float
    youth_categories: frozenset[Category]
    age_bands: tuple[tuple[int, int, float], ...]
    person_records: Weighted[int]
    minor_records: Weighted[int]
    organisation_records: Weighted[int]
    severity_spread: Weighted[Severity]
    item_weights: Mapping[tuple[Category, Nature], float]
    other_item_weights: Mapping[Nature, float]
    validity_terms: Mapping[Category, Weighted[int]]
    other_validity_terms: Weighted[int]
    enum_weights: Mapping[str, float]
    mostly_true: Words
    generic_words: frozenset[str]
    money_scales: tuple[tuple[Words, float, float], ...]
    integer_spans: tuple[tuple[Words, tuple[int, int]], ...]


@cache
def figures() -> Figures:
    data = _read("figures")
    population, records, fields = data["population"], data["records"], data["fields"]
    terms = dict(data["validity_terms"])
    other_terms = _weighted(terms.pop(OTHER))
    return Figures(
        window_months=population["window_months"],
        debtor_share=population["debtor_share"],
        home_province_share=population["home_province_share"],
        minor_share=population["minor_share"],
        persons_per_organisation=population["persons_per_organisation"],
        shown_share=population["shown_share"],
        debtor_shown_share=population["debtor_shown_share"],
        optional_share=population["optional_share"],
        minor_negative_factor=population["minor_negative_factor"],
        youth_categories=frozenset(Category(c) for c in population["youth_categories"]),
        age_bands=tuple((first, last, weight) for first, last, weight in population["age_bands"]),
        person_records=_weighted(records["person"]),
        minor_records=_weighted(records["minor"]),
        organisation_records=_weighted(records["organisation"]),
        severity_spread=tuple((Severity(s), w) for s, w in data["severity_spread"].items()),
        item_weights={
            (Category(category), Nature(nature)): weight
            for category, natures in data["item_weights"].items()
            for nature, weight in natures.items()
        },
        other_item_weights={Nature(n): w for n, w in data["other_item_weights"].items()},
        validity_terms={Category(c): _weighted(pairs) for c, pairs in terms.items()},
        other_validity_terms=other_terms,
        enum_weights=dict(data["enum_weights"]),
        mostly_true=_words(fields["mostly_true"]),
        generic_words=frozenset(_words(fields["generic_words"])),
        money_scales=tuple(
            (_words(s["words"]), s["median"], s["spread"]) for s in fields["money_scales"]
        ),
        integer_spans=tuple(
            (_words(s["words"]), (s["low"], s["high"])) for s in fields["integer_spans"]
        ),
    )


@dataclass(frozen=True, slots=True)
class NameWords:
    """Persons' names (`data/names.toml`)."""

    surnames: Weighted[str]
    male_chars: str
    female_chars: str
    neutral_chars: str
    old_male_names: Words
    old_female_names: Words
    minority_parts: Words
    look_alike: Mapping[str, str]


@cache
def names() -> NameWords:
    data = _read("names")
    return NameWords(
        surnames=_weighted(data["surnames"]),
        male_chars=data["male_chars"],
        female_chars=data["female_chars"],
        neutral_chars=data["neutral_chars"],
        old_male_names=_words(data["old_male_names"]),
        old_female_names=_words(data["old_female_names"]),
        minority_parts=_words(data["minority_parts"]),
        look_alike=dict(data["look_alike"]),
    )


@dataclass(frozen=True, slots=True)
class PlaceWords:
    """Provinces, and the home city's districts, roads and streets (`data/places.toml`)."""

    province_weights: Mapping[str, float]
    province_short: Mapping[str, str]
    districts: Words
    roads: Words
    streets: Words


@cache
def places() -> PlaceWords:
    data = _read("places")
    return PlaceWords(
        province_weights=dict(data["province_weights"]),
        province_short=dict(data["province_short"]),
        districts=_words(data["districts"]),
        roads=_words(data["roads"]),
        streets=_words(data["streets"]),
    )


@dataclass(frozen=True, slots=True)
class OrganisationWords:
    """Names of companies, shops and law firms (`data/organisations.toml`)."""

    brands: Words
    trades: Words
    shops: Words
    company_forms: Weighted[str]
    law_firms: Words


@cache
def organisations() -> OrganisationWords:
    data = _read("organisations")
    brands = _words(data["brands"])
    return OrganisationWords(
        brands=brands,
        trades=_words(data["trades"]),
        shops=_words(data["shops"]),
        company_forms=_weighted(data["company_forms"]),
        law_firms=tuple(data["law_firm"].format(brand=brand) for brand in brands),
    )


@dataclass(frozen=True, slots=True)
class TextWords:
    """What records say (`data/texts.toml`)."""

    text_kinds: tuple[tuple[Words, str], ...]
    level_values: Words
    conclusions: Words
    obligations: Words
    commitments: Words
    business_scopes: Words
    social_scopes: Words
    levels: Words
    generic: Words
    issuers: Words
    project_things: Words
    estates: Words
    airlines: Words
    item_themes: tuple[tuple[Words, str], ...]
    simple_texts: Mapping[str, Words]
    violations: Mapping[str, Words]
    value_acts: Mapping[str, str]
    value_titles: Mapping[str, Words]
    value_scopes: Mapping[str, Words]
    value_laws: Mapping[str, Words]
    laws: Mapping[str, Words]
    merits: Mapping[str, Words]
    outcomes: Mapping[str, Words]
    criteria: Mapping[str, Words]
    titles: Mapping[str, Words]


@cache
def texts() -> TextWords:
    data = _read("texts")
    return TextWords(
        text_kinds=tuple((_words(rule["words"]), rule["kind"]) for rule in data["text_kinds"]),
        level_values=_words(data["level_values"]),
        conclusions=_words(data["conclusions"]),
        obligations=_words(data["obligations"]),
        commitments=_words(data["commitments"]),
        business_scopes=_words(data["business_scopes"]),
        social_scopes=_words(data["social_scopes"]),
        levels=_words(data["levels"]),
        generic=_words(data["generic"]),
        issuers=_words(data["issuers"]),
        project_things=_words(data["project_things"]),
        estates=_words(data["estates"]),
        airlines=_words(data["airlines"]),
        item_themes=tuple((_words(words), theme) for theme, words in data["item_themes"].items()),
        simple_texts=_word_table(data["simple_texts"]),
        violations=_word_table(data["violations"]),
        value_acts=dict(data["value_acts"]),
        value_titles=_word_table(data["value_titles"]),
        value_scopes=_word_table(data["value_scopes"]),
        value_laws=_word_table(data["value_laws"]),
        laws=_word_table(data["laws"]),
        merits=_word_table(data["merits"]),
        outcomes=_word_table(data["outcomes"]),
        criteria=_word_table(data["criteria"]),
        titles=_word_table(data["titles"]),
    )


@dataclass(frozen=True, slots=True)
class DocumentWords:
    """How document numbers are written (`data/documents.toml`)."""

    name_suffixes: Words
    department_short: Mapping[str, str]
    category_series: Mapping[Category, str]
    name_series: tuple[tuple[str, str], ...]
    court_short: tuple[tuple[str, str], ...]


@cache
def documents() -> DocumentWords:
    data = _read("documents")
    return DocumentWords(
        name_suffixes=_words(data["name_suffixes"]),
        department_short=dict(data["department_short"]),
        category_series={Category(c): s for c, s in data["category_series"].items()},
        name_series=tuple(data["name_series"].items()),
        court_short=tuple(data["court_short"].items()),
    )
