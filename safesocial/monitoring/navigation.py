"""This app's menu section: its label, and (capability, label, url name) entries shown to
members holding the capability. The first entry a member may open is where the section starts."""

SECTION = "Monitoring"

ITEMS: tuple[tuple[str, str, str], ...] = (("monitoring.view", "Monitoring", "monitoring:report"),)
