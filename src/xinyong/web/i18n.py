"""The pages' languages: Simplified Chinese by default, English on request, never both at once.

Templates are written in Chinese and mark their text for translation (`{{ _("登录") }}`,
`{% trans %}…{% endtrans %}`); the English catalog is `locale/en/LC_MESSAGES/messages.po`,
read with Babel when first needed (no compile step). A page's language comes from `?lang=`,
then the `lang` cookie, then Chinese; `language_of` decides it, `use_language` makes it the
request's, and every page environment's `_` and `ngettext` follow it. How to add text, extract
and translate: docs/i18n.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from importlib.resources import files
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_date, format_datetime
from babel.messages.pofile import read_po
from jinja2 import Environment, PackageLoader, pass_context
from jinja2.runtime import Context

from xinyong.domain.calendar import CHINA_TIME
from xinyong.domain.identifiers import redact_id_numbers

#: The languages pages are offered in; the first is the default.
LANGUAGES = ("zh", "en")
DEFAULT = LANGUAGES[0]
#: Where a chosen language is remembered between pages.
COOKIE = "lang"
#: Babel's names for them (dates and numbers are written the reader's way).
_LOCALES = {"zh": "zh_Hans_CN", "en": "en_GB"}

_current: ContextVar[str] = ContextVar("xinyong_language", default=DEFAULT)


def language_of(query: str | None, cookie: str | None) -> str:
    """The language a request asked for: the query's, else the cookie's, else Chinese."""
    for asked in (query, cookie):
        if asked in LANGUAGES:
            return asked
    return DEFAULT


@contextmanager
def use_language(language: str) -> Iterator[None]:
    """Make `language` the current one for what runs inside (a request's rendering)."""
    token = _current.set(language if language in LANGUAGES else DEFAULT)
    try:
        yield
    finally:
        _current.reset(token)


def current() -> str:
    return _current.get()


@cache
def catalog(language: str) -> Mapping[str, str | tuple[str, ...]]:
    """The translations into `language` (msgid → msgstr, plural forms as a tuple); Chinese,
    the language the templates are written in, has none."""
    if language == DEFAULT:
        return {}
    path = files("xinyong").joinpath("locale", language, "LC_MESSAGES", "messages.po")
    with path.open("rb") as po:
        parsed = read_po(po, locale=_LOCALES[language])
    found: dict[str, str | tuple[str, ...]] = {}
    for message in parsed:
        if not message.id or message.fuzzy:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        string = message.string
        if isinstance(string, str):
            if string:
                found[key] = string
        elif string and all(string):
            found[key] = tuple(string)
    return found


def gettext(message: str) -> str:
    """`message` in the current language (itself when no translation exists)."""
    found = catalog(current()).get(message)
    return found if isinstance(found, str) else message


def ngettext(singular: str, plural: str, n: int) -> str:
    found = catalog(current()).get(singular)
    if isinstance(found, tuple):
        return found[0] if n == 1 else found[-1]
    return singular if n == 1 else plural


def when(moment: datetime | date | None, *, with_time: bool = True) -> str:
    """A date, or an instant in Beijing time, written the current language's way."""
    if moment is None:
        return ""
    locale = _LOCALES[current()]
    if isinstance(moment, datetime):
        local = moment.astimezone(CHINA_TIME)
        if with_time:
            return format_datetime(local, "yyyy-MM-dd HH:mm", tzinfo=CHINA_TIME, locale=locale)
        moment = local.date()
    return format_date(moment, "long" if current() == "en" else "yyyy年M月d日", locale=locale)


#: (pattern of an English text the rules wrote, the marked text to tell instead); the pattern's
#: named groups are carried into the text.
Rules = tuple[tuple[re.Pattern[str], str], ...]


def redact(text: str) -> str:
    """`text` with anything shaped like an ID number hidden, saying so in the page's language."""
    return redact_id_numbers(text, gettext("〔号码已隐去〕"))


def told_by(
    rules: Rules, text: str, fallback: str, carry: Callable[[str, str], str] | None = None
) -> str:
    """`text` (English from the domain) in the current language: the first rule whose pattern
    finds it, its parts carried over by `carry` (by default with any ID number hidden); else the
    text itself on an English page, `fallback` on any other, so a page never mixes languages."""
    for pattern, said in rules:
        matched = pattern.search(text)
        if matched:
            parts = {
                name: carry(name, value) if carry else redact(value)
                for name, value in matched.groupdict().items()
            }
            translated = gettext(said)
            return translated % parts if parts else translated
    if current() == "en":
        return redact(text)
    return gettext(fallback)


@pass_context
def _switch(context: Context, language: str) -> str:
    """This page's address in another language (the query kept, `lang` replaced)."""
    path = str(context.get("path", ""))
    query = [(k, v) for k, v in context.get("query", ()) if k != "lang"]
    return f"{path}?{urlencode([*query, ('lang', language)])}"


@cache
def environment(folder: str) -> Environment:
    """A page environment for `templates/<folder>`, with `_`, `ngettext`, `when` and the
    current language (`lang`) on every page."""
    env = Environment(
        loader=PackageLoader("xinyong", f"templates/{folder}"),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    globals_: dict[str, Any] = {
        "lang": current,
        "languages": LANGUAGES,
        "when": when,
        "switch_language": _switch,
    }
    env.globals.update(globals_)
    return env
