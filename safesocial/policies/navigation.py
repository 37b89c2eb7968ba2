"""This app's menu section: its label, and (capability, label, url name) entries shown to
members holding the capability. The first entry a member may open is where the section starts."""

SECTION = "Policies"

ITEMS: tuple[tuple[str, str, str], ...] = (
    ("policies.view", "Policy documents", "policies:index"),
    ("policies.actions", "Action plan", "policies:action_plan"),
    ("policies.staff_records", "Staff training", "policies:training"),
    ("office.requests", "Copy requests", "policies:copy_requests"),
)
