"""Menu entries this app adds: (capability, label, url name). Shown to members holding it."""

ITEMS: tuple[tuple[str, str, str], ...] = (
    ("channels.approve_post", "Official channels", "channels:list"),
    ("consents.manage", "Image consent", "channels:consents"),
    ("channels.moderate", "Channel moderation", "channels:moderation"),
    ("learner_accounts.manage", "Learner accounts", "channels:learner_accounts"),
)
