"""Plain factory functions for test data, with overrides."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date, datetime
from itertools import count
from pathlib import Path

from stdnum.cn import ric, uscc

from xinyong.domain.access import Scope
from xinyong.domain.accounts import Account
from xinyong.domain.keys import ApiKey
from xinyong.domain.policy import Policy
from xinyong.policy import PACKAGED
from xinyong.services import agencies, registrations
from xinyong.services.ports import UnitOfWork

_serial = count(1)
AMR_USCC = "11110000000021135M"


def citizen_id(region: str = "110105", born: date = date(1980, 5, 17), *, male: bool = True) -> str:
    """Return a fresh valid citizen ID number (a new sequence number each call)."""
    n = next(_serial) % 500
    sequence = f"{2 * n + (1 if male else 0):03d}"[-3:]
    body = f"{region}{born:%Y%m%d}{sequence}"
    return body + ric.calc_check_digit(body + "0")


def credit_code(region: str = "110105", serial: int | None = None) -> str:
    body = f"9111{region[2:]}MA{(serial or next(_serial)):07d}"[:17]
    body = body.replace("I", "1").replace("O", "0")
    return body + uscc.calc_check_digit(body)


def penalty_row(**overrides: object) -> dict[str, object]:
    """A valid administrative-penalty row for department BJ-AMR; override any field."""
    row: dict[str, object] = {
        "item": "ADM-PEN-01",
        "document_number": f"京市监罚〔2026〕{next(_serial):05d}号",
        "subject_id": citizen_id(),
        "subject_name": "王秀英",
        "decision_date": "2026-09-01",
        "authority_name": "北京市市场监督管理局",
        "authority_uscc": AMR_USCC,
        "penalty_type": "fine",
        "procedure": "ordinary",
        "violation": "销售超过保质期的食品",
        "legal_provision": "《中华人民共和国食品安全法》第一百二十四条",
        "fine_amount": "5000",
    }
    row.update(overrides)
    return row


def serious_penalty_row(**overrides: object) -> dict[str, object]:
    """A fine of 80,000 yuan: a serious penalty (ADM-PEN-01 is serious from 50,000), heavy
    enough to ground a serious food-safety listing (FOOD-DRUG-SERIOUS)."""
    return penalty_row(**{"fine_amount": "80000", **overrides})


HCOURT_USCC = "11110000000011017C"
#: The Chaoyang district court (BJ-COURT-CY), as a row names it when that court decided.
CHAOYANG_COURT = {"authority_name": "北京市朝阳区人民法院", "authority_uscc": "1111010500001105X2"}


def debtor_row(**overrides: object) -> dict[str, object]:
    """A valid dishonest-judgment-debtor row (JUD-DEBTOR-01) for department BJ-HCOURT, on a
    ground with the two-year period (evading enforcement); "able_but_refuses" has none."""
    serial = next(_serial)
    row: dict[str, object] = {
        "item": "JUD-DEBTOR-01",
        "document_number": f"（2026）京执{serial:05d}号",
        "subject_id": citizen_id(),
        "subject_name": "李建国",
        "decision_date": "2026-10-15",
        "authority_name": "北京市高级人民法院",
        "authority_uscc": HCOURT_USCC,
        "case_number": f"（2026）京执{serial:05d}号",
        "court_name": "北京市高级人民法院",
        "enforcement_basis": f"（2025）京民终{serial:05d}号",
        "obligation": "支付货款人民币三十万元及利息",
        "performance_status": "not_performed",
        "dishonest_conduct": "evades_enforcement",
    }
    row.update(overrides)
    return row


def organisation_debtor_row(**overrides: object) -> dict[str, object]:
    """A valid dishonest-judgment-debtor row for an organisation (JUD-DEBTOR-02), BJ-HCOURT."""
    serial = next(_serial)
    row: dict[str, object] = {
        "item": "JUD-DEBTOR-02",
        "document_number": f"（2026）京执{serial:05d}号",
        "subject_id": credit_code(),
        "subject_name": "北京某某贸易有限公司",
        "decision_date": "2026-10-15",
        "authority_name": "北京市高级人民法院",
        "authority_uscc": HCOURT_USCC,
        "case_number": f"（2026）京执{serial:05d}号",
        "court_name": "北京市高级人民法院",
        "legal_representative": "赵某",
        "obligation": "支付工程款人民币二百万元",
        "performance_status": "not_performed",
        "dishonest_conduct": "evades_enforcement",
    }
    row.update(overrides)
    return row


TAX_USCC = "11110000000021186X"


def tax_violation_row(**overrides: object) -> dict[str, object]:
    """A valid major-tax-violation row (SU-TAX-01) for department BJ-TAX: the tax bureau's own
    finding, which its list (TAX-MAJOR-VIOLATION) rests on."""
    row: dict[str, object] = {
        "item": "SU-TAX-01",
        "document_number": f"京税稽罚〔2026〕{next(_serial):05d}号",
        "subject_id": citizen_id(),
        "subject_name": "赵国强",
        "decision_date": "2026-10-28",
        "authority_name": "国家税务总局北京市税务局",
        "authority_uscc": TAX_USCC,
        "violation_type": "tax_evasion",
        "role": "party",
        "main_facts": "隐匿收入，少缴个人所得税",
        "handling": "追缴税款、滞纳金并处罚款",
    }
    row.update(overrides)
    return row


RAIL_USCC = "911100001000215036"


def rail_row(**overrides: object) -> dict[str, object]:
    """A valid railway passenger row (SU-RAIL-01) for department BJ-RAIL: smoking on a
    high-speed train, a general record that grounds the railway list (RAIL-SERIOUS)."""
    row: dict[str, object] = {
        "item": "SU-RAIL-01",
        "document_number": f"京铁（2026）限字第{next(_serial):05d}号",
        "subject_id": citizen_id(),
        "subject_name": "赵立新",
        "decision_date": "2026-09-20",
        "authority_name": "中国铁路北京局集团有限公司",
        "authority_uscc": RAIL_USCC,
        "conduct": "smoking_on_emu_train",
        "occurred_on": "2026-09-18",
        "facts": "G105次列车吸烟，触发烟雾报警",
    }
    row.update(overrides)
    return row


def open_account(
    new_uow: Callable[[], UnitOfWork],
    policy: Policy,
    *,
    number: str,
    name: str,
    password: str,
    phone: str = "13800138000",
) -> Account:
    """Register a person and verify them as counter staff would (number and name off the ID
    card): the account is open. `new_uow` gives a unit of work per use case."""
    registration = registrations.register(
        new_uow(),
        policy,
        registrations.CounterVerification(),
        number=number,
        name=name,
        phone=phone,
        password=password,
    )
    verified = registrations.verify_registration(
        new_uow(),
        policy,
        registration.id or 0,
        number_seen=number,
        name_seen=name,
        actor="counter-staff",
    )
    with new_uow() as uow:
        return uow.accounts.get(verified.account_id or 0)


#: A Beijing item of a sub-national catalog, as `catalog/2024.1/local/110000.toml` holds it
#: (the citations are test data, not checked law).
LOCAL_ITEM = """
[[items]]
code = "BJ-COM-01"
region = "110000"
local_basis = ["《北京市社会信用条例》第二十条"]
name_zh = "测试地方承诺信息"
name_en = "Test local commitment"
category = "commitment"
subject_type = "person"
nature = "neutral"
legal_basis = ["《北京市社会信用条例》第二十条"]
providers = ["market_regulation"]
public = false
sharing_scope = "government"
retention_years = 5
update_frequency = "within 7 working days of the commitment"

[[items.fields]]
name = "commitment_text"
type = "text"
label_zh = "承诺内容"
label_en = "Commitment"
"""
#: The departments `local_policy` adds: one in Chaoyang (inside Beijing) that provides the local
#: item, one in Shanghai that provides a national item only.
LOCAL_AMR = {"authority_name": "北京市朝阳区测试市场监管局", "authority_uscc": "11110105000121136Q"}
SHANGHAI_AMR = {"authority_name": "上海市测试市场监管局", "authority_uscc": "113100000000211353"}


def local_department(code: str, region: str, authority: dict[str, str], items: str) -> str:
    """A `[[departments]]` entry of a market regulator in `region` providing `items`."""
    return (
        f'\n[[departments]]\ncode = "{code}"\nname = "{authority["authority_name"]}"\n'
        f'uscc = "{authority["authority_uscc"]}"\nregion_code = "{region}"\n'
        f'kind = "market_regulation"\nitems = [{items}]\n'
    )


def local_policy(target: Path, *, public: bool = False) -> Path:
    """Copy the shipped policy to `target` with the Beijing catalog (`LOCAL_ITEM`) and the two
    departments of `LOCAL_AMR` (BJ-AMR-CY) and `SHANGHAI_AMR` (SH-AMR); `public`: the item is
    public, with the sharing scope `public`, instead of for public bodies only."""
    shutil.copytree(PACKAGED, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    local = target / "catalog" / "2024.1" / "local"
    local.mkdir()
    item = LOCAL_ITEM
    if public:
        shared = 'public = false\nsharing_scope = "government"'
        assert shared in item
        item = item.replace(shared, 'public = true\nsharing_scope = "public"')
    (local / "110000.toml").write_text(item, encoding="utf-8")
    with (target / "departments.toml").open("a", encoding="utf-8") as fh:
        fh.write(local_department("BJ-AMR-CY", "110105", LOCAL_AMR, '"BJ-COM-01"'))
        fh.write(local_department("SH-AMR", "310000", SHANGHAI_AMR, '"ADM-PEN-01"'))
    return target


def volunteer_row(**overrides: object) -> dict[str, object]:
    """A valid exceptional-volunteer honour (HON-VOL-01, positive, no minimum age) for
    department BJ-CIVIL; override any field."""
    row: dict[str, object] = {
        "item": "HON-VOL-01",
        "document_number": f"京民表〔2026〕{next(_serial):05d}号",
        "subject_id": citizen_id(),
        "subject_name": "张志愿",
        "decision_date": "2026-10-15",
        "authority_name": "北京市民政局",
        "authority_uscc": "1111000000002108XF",
        "honour_title": "优秀志愿者",
        "level": "municipal",
    }
    row.update(overrides)
    return row


def commitment_row(**overrides: object) -> dict[str, object]:
    """A valid row of the local item BJ-COM-01 for department BJ-AMR-CY; override any field."""
    row: dict[str, object] = {
        "item": "BJ-COM-01",
        "document_number": f"京朝承诺〔2026〕{next(_serial):05d}号",
        "subject_id": citizen_id(),
        "subject_name": "王秀英",
        "decision_date": "2026-09-01",
        **LOCAL_AMR,
        "commitment_text": "按期整改",
    }
    row.update(overrides)
    return row


def agency_key(uow: UnitOfWork, agency: str, *, at: datetime, staff: str = "T-001") -> ApiKey:
    """An agency's key with scope agency:query, issued to its staff member `staff` (registered
    here if new): only its department, scope and staff member matter to the use cases."""
    with uow:
        member = uow.agencies.staff_member(agency, staff)
    if member is None:
        member = agencies.register_staff(uow, agency, number=staff, name="测试员", actor="t")
    prefix = f"{agency.lower()}-{staff.lower()}"[-16:]
    scopes = frozenset({Scope.AGENCY_QUERY})
    return ApiKey(None, prefix, "", agency, agency, scopes, at, agency_staff_id=member.id)


#: The public address of the platform whose reports the tests issue (`Settings.public_url`).
PUBLIC_URL = "https://xinyong.test"


#: An item of catalog 2023.1 that 2024.1 no longer has (`earlier_version_policy`).
RETIRED_ITEM = "ADM-RETIRED-01"


def penalty_item_toml(code: str, name_zh: str, name_en: str, *, severity_rules: str = "") -> str:
    """A catalog file's text holding one administrative penalty item for persons (a violation
    and an optional fine), for tests that write catalog files of their own; `severity_rules` is
    the item's `rules = [...]` line, if any."""
    rules = f"{severity_rules}\n" if severity_rules else ""
    return f"""
[[items]]
code = "{code}"
name_zh = "{name_zh}"
name_en = "{name_en}"
category = "administrative"
subject_type = "person"
nature = "negative"
legal_basis = ["《中华人民共和国行政处罚法》第四十八条"]
providers = ["market_regulation"]
public = true
sharing_scope = "public"
retention_years = 5
update_frequency = "within 7 working days of the decision"

[items.severity]
default = "general"
{rules}
[[items.fields]]
name = "violation"
type = "text"
label_zh = "违法事实"
label_en = "Violation"

[[items.fields]]
name = "fine_amount"
type = "money"
required = false
label_zh = "罚款金额（元）"
label_en = "Fine (yuan)"
"""


RETIRED_ITEMS = penalty_item_toml(
    RETIRED_ITEM, "旧目录行政处罚信息", "Administrative penalty (earlier catalog)"
)


def earlier_version_policy(target: Path, effective: str = "2023-01-01") -> Path:
    """Copy the shipped policy to `target` with an earlier catalog version beside 2024.1:
    `catalog/2023.1`, holding only `RETIRED_ITEM`, which 2024.1 lacks."""
    shutil.copytree(PACKAGED, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    earlier = target / "catalog" / "2023.1"
    earlier.mkdir()
    (earlier / "manifest.toml").write_text(
        f'version = "2023.1"\nedition = "earlier edition"\neffective = {effective}\n',
        encoding="utf-8",
    )
    (earlier / "retired.toml").write_text(RETIRED_ITEMS, encoding="utf-8")
    return target
