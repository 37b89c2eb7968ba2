"""Menu entries this app adds: (capability, label, url name). Shown to members holding it."""

ITEMS: tuple[tuple[str, str, str], ...] = (
    ("concerns.report", "Report a concern", "concerns:report"),
    ("concerns.view_own", "My reports", "concerns:mine"),
    ("concerns.cases", "Cases", "concerns:cases"),
    ("concerns.triage", "Safeguarding dashboard", "concerns:dashboard"),
    ("declarations.declare", "Declarations", "concerns:declarations"),
    ("concerns.retention", "Retention review", "concerns:retention"),
)
