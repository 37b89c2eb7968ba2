"""Menu entries this app adds: (capability, label, url name). Shown to members holding it."""

ITEMS: tuple[tuple[str, str, str], ...] = (
    ("policies.view", "Policies", "policies:index"),
    ("policies.actions", "Action plan", "policies:action_plan"),
    ("policies.staff_records", "Staff training", "policies:training"),
    ("office.requests", "Copy requests", "policies:copy_requests"),
)
