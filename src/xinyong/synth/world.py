"""The generator's world: its subjects, the catalog items they may have records of, and the
records themselves, all drawn from one seeded random stream."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from xinyong.domain.calendar import add_months
from xinyong.domain.catalog import CatalogItem, DisplayRule, Nature, Severity, SubjectType
from xinyong.domain.departments import Department
from xinyong.domain.periods import assess
from xinyong.domain.policy import Policy
from xinyong.domain.subjects import coming_of_age
from xinyong.synth import tables
from xinyong.synth.documents import DocumentNumbers
from xinyong.synth.draws import Draw
from xinyong.synth.organisations import Organisations
from xinyong.synth.people import People, Subject, misdated, misspelt
from xinyong.synth.places import Places
from xinyong.synth.plans import has
from xinyong.synth.texts import Texts
from xinyong.synth.values import Value, Values

#: The catalog item of the court's list of dishonest judgment debtors, when the catalog has it.
DEBTOR_ITEM = "JUD-DEBTOR-01"

Row = dict[str, Value]


@dataclass(frozen=True, slots=True)
class Offer:
    """A catalog item, the departments that may provide it, and how common its records are."""

    item: CatalogItem
    departments: tuple[Department, ...]
    weight: float


class World:
    """Invents persons, organisations and their records from whatever catalog the policy holds."""

    def __init__(self, policy: Policy, rng: random.Random, today: date) -> None:
        figures = tables.figures()
        self.figures = figures
        self.policy = policy
        self.rng = rng
        self.today = today
        self.periods = policy.periods
        self.majority = policy.periods.age_of_majority
        self.window_start = add_months(today, -figures.window_months)
        self.places = Places(policy.departments, rng)
        self.organisations = Organisations(rng, today, self.places)  # draws the first number
        self.people = People(rng, today, self.majority, self.places)
        self.documents = DocumentNumbers()
        self.values = Values(rng, today)
        self.consent_count = 0
        self._pools: dict[tuple[bool, int], Draw[Offer]] = {}
        self._themes: dict[tuple[str, str], str] = {}

        providers: dict[str, list[Department]] = {}
        for department in policy.departments:
            for code in sorted(department.items):
                providers.setdefault(code, []).append(department)
        items = sorted(policy.catalog.items.values(), key=lambda item: item.code)
        offered = [item for item in items if providers.get(item.code)]
        sharing = Counter(
            (i.subject_type, i.category, i.nature) for i in offered if i.code != DEBTOR_ITEM
        )
        self.person_offers: list[Offer] = []
        self.organisation_offers: list[Offer] = []
        self.debtor: Offer | None = None
        for item in offered:
            departments = tuple(providers[item.code])
            if item.code == DEBTOR_ITEM and item.subject_type is SubjectType.PERSON:
                self.debtor = Offer(item, departments, 1.0)
                continue
            base = figures.item_weights.get(
                (item.category, item.nature), figures.other_item_weights[item.nature]
            )
            weight = base / sharing[(item.subject_type, item.category, item.nature)]
            offers = (
                self.person_offers
                if item.subject_type is SubjectType.PERSON
                else self.organisation_offers
            )
            offers.append(Offer(item, departments, weight))
        self.age_cap = max((o.item.min_subject_age or 0 for o in self.person_offers), default=0)
        self.organisation_pool = Draw([(o, o.weight) for o in self.organisation_offers])
        self.person_counts = Draw(figures.person_records)
        self.minor_counts = Draw(figures.minor_records)
        self.organisation_counts = Draw(figures.organisation_records)
        self.severities = Draw(figures.severity_spread)
        self.terms = {category: Draw(pairs) for category, pairs in figures.validity_terms.items()}
        self.default_terms = Draw(figures.other_validity_terms)

    # -- which records a subject has ------------------------------------------------------------

    def person_records(self, person: Subject) -> Iterator[tuple[Department, Row]]:
        """Yield the records of one person: mostly 0-2, a share of them court-listed debtors."""
        rng = self.rng
        count = (self.minor_counts if person.minor else self.person_counts)(rng)
        pool = self._pool(person)
        if pool.total > 0:
            for _ in range(count):
                made = self.record(person, pool(rng))
                if made is not None:
                    yield made
        if (
            self.debtor is not None
            and not person.minor
            and rng.random() < self.figures.debtor_share
        ):
            made = self.record(person, self.debtor, shown=self.figures.debtor_shown_share)
            if made is not None:
                yield made

    def organisation_records(self, organisation: Subject) -> Iterator[tuple[Department, Row]]:
        """Yield the records of one organisation."""
        for _ in range(self.organisation_counts(self.rng)):
            made = self.record(organisation, self.organisation_pool(self.rng))
            if made is not None:
                yield made

    def _pool(self, person: Subject) -> Draw[Offer]:
        key = (person.minor, min(person.age, self.age_cap))
        pool = self._pools.get(key)
        if pool is None:
            pairs: list[tuple[Offer, float]] = []
            for offer in self.person_offers:
                item = offer.item
                if item.min_subject_age is not None and (
                    person.minor or item.min_subject_age > key[1]
                ):
                    continue  # minors never get items that have an age threshold
                weight = offer.weight
                if person.minor:
                    if not self._for_youth(item):
                        continue  # no licences, lists, contracts or declared income before 18
                    if item.nature is Nature.NEGATIVE:
                        weight *= self.figures.minor_negative_factor
                pairs.append((offer, weight))
            pool = self._pools[key] = Draw(pairs)
        return pool

    def _for_youth(self, item: CatalogItem) -> bool:
        """Whether a person may have a record of the item before the age of majority."""
        return (
            item.category in self.figures.youth_categories
            and item.nature is not Nature.NEUTRAL
            and not item.needs_consent
            and item.min_subject_age is None
        )

    def conflict(
        self, person: Subject, used: frozenset[str]
    ) -> tuple[Department, Row] | tuple[None, None]:
        """Reuse `person`'s number in another department, with the name and birth date off."""
        rng = self.rng
        offers = self._pool(person).options
        # A file that sorts after every file holding the true rows (or the last of them, where the
        # row lands after them): ingesting files in name order then holds exactly this row.
        last = max(used)
        later = [(o, d) for o in offers for d in o.departments if d.code > last]
        same = [(o, d) for o in offers for d in o.departments if d.code == last]
        candidates = later or same
        for _ in range(8 if candidates else 0):
            offer, department = rng.choice(candidates)
            made = self.record(
                person,
                offer,
                department=department,
                name=misspelt(person.name, rng),
                birth=misdated(person.birth or self.today, self.today, rng),
            )
            if made is not None:
                return made
        return None, None

    # -- one record -----------------------------------------------------------------------------

    def record(
        self,
        subject: Subject,
        offer: Offer,
        *,
        shown: float | None = None,
        department: Department | None = None,
        name: str | None = None,
        birth: date | None = None,
    ) -> tuple[Department, Row] | None:
        """Make one valid record of `offer` about `subject`, or None if the subject is too young.

        `shown`: the chance the record is still displayed on `today` (the figures' share if None).
        """
        rng = self.rng
        shown = self.figures.shown_share if shown is None else shown
        item = offer.item
        today = self.today
        earliest = self.window_start
        if subject.birth is not None:
            floor = item.min_subject_age
            if floor is None:
                floor = 16 if self._for_youth(item) else self.majority
            earliest = max(earliest, coming_of_age(subject.birth, floor))
        if earliest > today:
            return None
        department = department or self._department(offer, subject)

        target: Severity | None = None
        if item.nature is Nature.NEGATIVE:
            target = self.severities(rng)
            if subject.minor and target is Severity.SERIOUS:
                target = Severity.GENERAL
        texts = Texts(self, item, department, {}, today)
        fields, severity = self.values.severe_fields(item, target, texts)
        keep = min(item.retention_years, self.periods.max_retention_years)
        valid_from: date | None = None
        valid_until: date | None = None
        if item.display_rule is DisplayRule.VALIDITY:
            years = self.terms.get(item.category, self.default_terms)(rng)
            if years and rng.random() < shown:  # mostly still valid on `today`
                earliest = max(earliest, add_months(today, -12 * years) + timedelta(days=1))
            decided = valid_from = self._day_between(earliest, today)
            if years:
                valid_until = add_months(decided, 12 * years) - timedelta(days=1)
        else:
            months = item.display_months
            if item.display_rule is DisplayRule.SEVERITY and severity is not None:
                months = self.periods.classes[severity].display_months
            decided = self._decision_date(earliest, months, keep, shown)
        texts.decided = decided
        recipe = self.values.recipe(item)
        self.values.fill(recipe, texts)
        assessed = assess(
            item, fields, decision_date=decided, valid_until=valid_until, policy=self.periods
        )
        if assessed.retention_ends is not None and assessed.retention_ends <= today:
            # nothing lawful to keep: make it a recent decision that is still shown
            decided = today - timedelta(days=rng.randrange(min(30, (today - earliest).days) + 1))
            if valid_until is not None:
                valid_from = decided
                valid_until = today + timedelta(days=rng.randint(30, 1000))
            texts.decided = decided
            self.values.fill(recipe, texts, again=True)

        stated = birth
        if stated is None and subject.birth is not None:
            court = "法院" in department.name
            stated = subject.birth if court or rng.random() < 0.2 else None
        consent = ""
        if item.needs_consent:
            self.consent_count += 1
            consent = f"SQ{decided:%Y%m%d}{self.consent_count:07d}"
        common: dict[str, Value | None] = {
            "item": item.code,
            "document_number": self.documents.number(department, item, decided),
            "subject_id": subject.number,
            "subject_name": name or subject.name,
            "birth_date": stated.isoformat() if stated else None,
            "decision_date": decided.isoformat(),
            "authority_name": department.name,
            "authority_uscc": department.uscc,
            "valid_from": valid_from.isoformat() if valid_from else None,
            "valid_until": valid_until.isoformat() if valid_until else None,
            "consent_reference": consent or None,
        }
        row: Row = {key: value for key, value in common.items() if value is not None}
        for spec in item.fields:
            if spec.name in fields:
                row[spec.name] = fields[spec.name]
        return department, row

    def _department(self, offer: Offer, subject: Subject) -> Department:
        """Pick a provider of the item, often the local one (the district court of the district)."""
        departments = offer.departments
        if len(departments) > 1 and self.rng.random() < 0.5:
            local = [d for d in departments if d.region_code == subject.region]
            if local:
                return self.rng.choice(local)
        return self.rng.choice(departments)

    def _decision_date(self, earliest: date, months: int | None, keep: int, shown: float) -> date:
        """A decision date still within retention; displayed on `today` with probability `shown`."""
        today = self.today
        if months is not None and self.rng.random() >= shown:
            latest = add_months(today, -months) - timedelta(days=1)
            start = max(earliest, add_months(today, -(months + 12 * keep)) + timedelta(days=7))
            if start <= latest:
                return self._day_between(start, latest)
        start = earliest
        if months is not None:
            start = min(today, max(earliest, add_months(today, -months) + timedelta(days=1)))
        return self._day_between(start, today)

    def _day_between(self, first: date, last: date) -> date:
        return first + timedelta(days=self.rng.randrange((last - first).days + 1))

    def theme(self, item: CatalogItem, department: Department) -> str:
        """What a record is about, for its wording: from the item's name, else the department."""
        key = (item.code, department.code)
        found = self._themes.get(key)
        if found is None:
            themes = tables.texts().item_themes
            found = next((t for words, t in themes if has(item.name_zh, *words)), "")
            if not found:
                found = "court" if "法院" in department.name else department.kind
            self._themes[key] = found
        return found
