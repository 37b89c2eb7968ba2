"""This app's menu section: its label, and (capability, label, url name) entries shown to
members holding the capability. The first entry a member may open is where the section starts."""

SECTION = "Reviews"

ITEMS: tuple[tuple[str, str, str], ...] = (
    ("reviews.view", "Compliance map", "reviews:map"),
    ("reviews.view", "Review pack", "reviews:pack"),
    ("reviews.trust", "Trust overview", "reviews:trust"),
)
