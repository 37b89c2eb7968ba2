"""This app's menu section: its label, and (capability, label, url name) entries shown to
members holding the capability. The first entry a member may open is where the section starts."""

SECTION = "Network"

ITEMS: tuple[tuple[str, str, str], ...] = (
    ("netpolicy.view", "Rules", "netpolicy:rules"),
    ("netpolicy.sanction", "Internet sanctions", "netpolicy:sanctions"),
)
