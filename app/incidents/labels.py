"""The words of the incident screens: enum labels and the guideline's advice per context."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

KIND_LABELS = {
    "threat": _l("Threat"),
    "violence": _l("Violence"),
    "offensive": _l("Offensive act"),
    "sexual_harassment": _l("Sexual harassment"),
    "bullying": _l("Bullying"),
    "near_miss": _l("Near-miss"),
    "accident": _l("Work accident"),
}
CONTEXT_LABELS = {
    "in_person": _l("In person"),
    "phone": _l("By phone"),
    "digital": _l("Mail/digital"),
    "internal": _l("Internal"),
    "off_duty": _l("Outside working hours"),
}
INJURY_LABELS = {
    "none": _l("No injury"),
    "physical": _l("Physical injury"),
    "psychological": _l("Psychological injury"),
}
POLICE_LABELS = {
    "called": _l("Police called"),
    "wants_report": _l("I want to report it"),
    "no": _l("No police"),
}
STATUS_LABELS = {
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
    "in_review": _l("In review"),
    "registered": _l("Registered in SafetyNet"),
    "closed": _l("Closed"),
}
CHECK_LABELS = {
    "cared_for": _l("The employee is taken care of"),
    "help_started": _l("Help is started"),
    "group_informed": _l("The work-environment group is informed"),
    "safetynet": _l("Registered in SafetyNet together with the AMR"),
    "police_report": _l("Police report"),
}
HELP_LABELS = {
    "crisis_line": _l("Crisis help offered (crisis line)"),
    "first_aid": _l("Psychological first aid"),
    "other": _l("Other help"),
    "declined": _l("The employee declined help"),
}
POLICE_REPORT_LABELS = {
    "made": _l("Report made"),
    "not_relevant": _l("Not relevant"),
    "employee_reports": _l("The employee reports it"),
}

ROLE_LABELS = {
    "staff": _l("employee"),
    "leader": _l("leader"),
    "amr": _l("AMR"),
    "admin": _l("administrator"),
}

# The guideline's "when it happens" advice, per channel.
ADVICE = {
    "in_person": (
        _l("Calm the situation and use de-escalation."),
        _l("If the citizen's behaviour changes: withdraw and end the conversation."),
        _l("Use the assault alarm if needed, and call the police if needed (112)."),
        _l("Contact your kontorleder and your AMR."),
    ),
    "phone": (
        _l("Calm the situation and use de-escalation."),
        _l("If the citizen's behaviour changes: end the call."),
        _l("Call the police if needed (112)."),
        _l("Contact your kontorleder and your AMR."),
    ),
    "digital": (
        _l("Do not answer the offender."),
        _l("Contact your kontorleder and your AMR."),
    ),
    "internal": (
        _l("If you experience or witness bullying: intervene."),
        _l("See the bullying guideline on the employee portal."),
        _l("Contact your kontorleder and your AMR."),
    ),
    "off_duty": (
        _l("Always contact your kontorleder and your AMR."),
        _l("It is handled exactly as if it had happened during working hours."),
    ),
}


def label(mapping: dict, key: str | None) -> str:
    return str(mapping[key]) if key in mapping else ""
