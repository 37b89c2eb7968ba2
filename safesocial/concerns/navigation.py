"""This app's menu section: its label, and (capability, label, url name) entries shown to
members holding the capability. The first entry a member may open is where the section starts."""

SECTION = "Safeguarding"

ITEMS: tuple[tuple[str, str, str], ...] = (
    ("concerns.report", "Report a concern", "concerns:report"),
    ("concerns.view_own", "My reports", "concerns:mine"),
    ("concerns.cases", "Cases", "concerns:cases"),
    ("concerns.triage", "Safeguarding dashboard", "concerns:dashboard"),
    ("declarations.declare", "Declarations", "concerns:declarations"),
    ("concerns.retention", "Retention review", "concerns:retention"),
)
