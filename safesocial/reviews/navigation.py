"""Menu entries this app adds: (capability, label, url name). Shown to members holding it."""

ITEMS: tuple[tuple[str, str, str], ...] = (
    ("reviews.view", "Compliance map", "reviews:map"),
    ("reviews.view", "Review pack", "reviews:pack"),
    ("reviews.trust", "Trust overview", "reviews:trust"),
)
