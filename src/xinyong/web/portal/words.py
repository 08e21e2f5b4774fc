"""Codes said in words on the portal's pages: statuses, grounds, outcomes, steps, kinds.

Codes from the domain and the policy are data; a page says them in words. Each table maps a code
to a marked Chinese text; templates translate it (`_(words.STATUS[code])`). A code without an
entry is shown as it is (a policy may add one before its words are written).
"""

from __future__ import annotations


def _(text: str) -> str:
    """Mark a text for the catalog; templates translate it when they show it."""
    return text


#: A record's state (domain/records.py RecordStatus).
RECORD_STATUS = {
    "active": _("公示中"),
    "corrected": _("经异议停止公示"),
    "revoked": _("已撤销"),
    "repaired": _("已修复"),
    "expired": _("公示期满"),
    "identity_hold": _("身份核对中"),
}

#: A listing's state (domain/lists.py EntryState).
ENTRY_STATE = {
    "proposed": _("拟列入"),
    "noticed": _("已告知，陈述申辩期内"),
    "decided": _("已认定"),
    "published": _("已认定并公示"),
    "exited": _("已移出"),
    "withdrawn": _("已撤回"),
}

#: The kinds of list (domain/list_types.py ListKind).
LIST_KIND = {
    "serious_untrustworthy": _("严重失信主体名单"),
    "key_supervision": _("重点关注对象名单"),
    "good_credit": _("守信激励名单"),
}

#: Objection grounds and outcomes (policy/rights.toml [objections]; and the closing no one
#: decides, domain/objections.py NOT_ABOUT_SUBJECT).
GROUND = {
    "error_or_omission": _("信息存在错误、遗漏"),
    "shown_after_period": _("超过公示期限仍在公示"),
    "listed_without_criteria": _("不符合认定标准被列入名单"),
    "not_removed_when_due": _("应当移出名单而未移出"),
    "other_breach": _("其他侵犯合法权益的情形"),
}
OUTCOME = {
    "correct": _("予以更正"),
    "supplement": _("予以补充"),
    "stop_display": _("停止公示"),
    "remove_from_list": _("移出名单"),
    "reject": _("不予更正"),
    "not_about_subject": _("经身份核查，该信息属于他人，终止办理"),
}

#: Where a case stands (domain/objections.py ObjectionStatus, domain/repairs.py RepairStatus).
CASE_STATUS = {
    "filed": _("信用中心核查中"),
    "forwarded": _("已转来源部门处理"),
    "decided": _("已办结"),
    "challenged": _("复议或诉讼中，保持异议标注"),
    "applied": _("已申请，待受理"),
    "missing_materials": _("材料不全，请补充"),
    "accepted": _("已受理"),
    "repaired": _("已修复"),
    "refused": _("不予修复"),
    "not_about_subject": _("经身份核查不属于本人，已终止"),
}

#: How an objection's decision was challenged (domain/objections.py CHALLENGE_KINDS).
CHALLENGE_KIND = {
    "reconsideration": _("行政复议"),
    "litigation": _("行政诉讼"),
}

#: What stops an objection's clock (domain/objections.py PAUSE_KINDS).
PAUSE_KIND = {
    "testing": _("检验检测"),
    "expert_review": _("专家评审"),
}

#: The steps of a case's timeline (CaseStep.code).
STEP = {
    "filed": _("提出异议"),
    "centre_check": _("信用中心核查"),
    "source_decision": _("来源部门决定"),
    "decided": _("办结，告知结果"),
    "challenged": _("申请复议或提起诉讼"),
    "challenge_concluded": _("复议或诉讼作出最终决定"),
    "applied": _("提出修复申请"),
    "acceptance": _("决定是否受理"),
    "feedback": _("告知修复结果"),
    "closed": _("经身份核查，该信息属于他人，终止办理"),
}

#: Measure categories (domain/measures.py MeasureCategory).
MEASURE_CATEGORY = {
    "rights_reducing": _("依法限制或者禁止"),
    "management": _("加强监管"),
    "market_social": _("市场和社会约束（自愿）"),
    "reward": _("激励措施"),
}

#: The scopes an authorisation names (policy/rights.toml [authorisations] scopes).
AUTH_SCOPE = {
    "report": _("完整信用报告"),
    "records": _("信用记录"),
    "lists": _("名单信息"),
}

#: How a listing ended (exit grounds; the person's refusal).
EXIT_GROUND = {
    "expiry": _("期限届满"),
    "refusal": _("本人拒绝"),
    "revocation": _("所依据的决定被撤销"),
    "identity_review": _("所依据的记录待身份核查"),
    "performance": _("已履行义务"),
    "repair": _("信用修复"),
}

#: The catalog categories, in the report standard's words (services/report_data.py).
CATEGORY = {
    "registration": _("登记注册基本信息"),
    "judicial": _("司法判决及执行信息"),
    "administrative": _("行政管理信息"),
    "qualification": _("职称和职业资格信息"),
    "abnormal_operation": _("经营（活动）异常名录信息"),
    "serious_untrustworthy": _("严重失信主体名单信息"),
    "contract_performance": _("合同履行信息"),
    "commitment": _("信用承诺及履行情况信息"),
    "evaluation": _("信用评价结果信息"),
    "honour": _("诚实守信相关荣誉信息"),
    "self_declared": _("自愿提供的信用信息"),
    "intellectual_property": _("知识产权信息"),
    "social_insurance_arrears": _("社会保险欠费信息"),
}

#: The four fields a serious untrustworthy list may exist in (domain/list_types.py SeriousField).
SERIOUS_FIELD = {
    "health_and_safety": _("严重危害人民群众身体健康和生命安全"),
    "fair_competition_and_order": _("严重破坏市场公平竞争秩序和社会正常秩序"),
    "refusing_legal_obligations": _("拒不履行法定义务，严重影响司法机关和行政机关公信力"),
    "national_defence": _("拒不履行国防义务"),
}

#: Who decides a listing (domain/list_types.py Decider).
DECIDER = {
    "platform": _("主管部门按认定程序（事先告知、陈述申辩、书面决定）认定"),
    "court": _("人民法院依法认定"),
    "authority": _("有关机关依法决定"),
}

#: How long a listing lasts (domain/list_periods.py PeriodRule).
PERIOD_RULE = {
    "fixed": _("固定期限"),
    "extendable": _("固定期限，可以依法延长"),
    "until_exit": _("至出现移出情形时移出"),
}

#: An evidence file's type (services/evidence.py KINDS).
FILE_KIND = {
    "application/pdf": _("PDF 文档"),
    "image/png": _("PNG 图片"),
    "image/jpeg": _("JPEG 图片"),
}
