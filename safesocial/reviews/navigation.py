"""Menu entries this app adds: (capability, label, url name). Shown to members holding it."""

ITEMS: tuple[tuple[str, str, str], ...] = ()
