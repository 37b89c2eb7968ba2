"""This app's menu section: its label, and (capability, label, url name) entries shown to
members holding the capability. The first entry a member may open is where the section starts."""

SECTION = "Channels"

ITEMS: tuple[tuple[str, str, str], ...] = (
    ("channels.approve_post", "Official channels", "channels:list"),
    ("consents.manage", "Image consent", "channels:consents"),
    ("channels.moderate", "Channel moderation", "channels:moderation"),
    ("learner_accounts.manage", "Learner accounts", "channels:learner_accounts"),
)
