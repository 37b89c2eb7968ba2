from django.urls import URLPattern, URLResolver, path

from safesocial.channels import views

app_name = "channels"
# Signed-in pages, under /s/<school>/channels/.
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.channel_list, name="list"),
    path("new/", views.channel_new, name="new"),
    path("<int:channel>/", views.channel_detail, name="detail"),
    path("<int:channel>/edit/", views.channel_edit, name="edit"),
    path("<int:channel>/risks/", views.risk_add, name="risk_add"),
    path("<int:channel>/approve/", views.channel_approve, name="approve"),
    path("<int:channel>/close/", views.channel_close, name="close"),
    path("<int:channel>/managers/", views.manager_add, name="manager_add"),
    path("managers/<int:manager>/end/", views.manager_end, name="manager_end"),
    path("<int:channel>/custody/", views.custody_add, name="custody_add"),
    path("<int:channel>/publishing/", views.connector, name="connector"),
    path("<int:channel>/posts/new/", views.post_new, name="post_new"),
    path("posts/<int:post>/", views.post_detail, name="post"),
    path("posts/<int:post>/edit/", views.post_edit, name="post_edit"),
    path("posts/<int:post>/images/", views.post_image_add, name="post_image_add"),
    path("images/<int:image>/", views.post_image, name="post_image"),
    path("posts/<int:post>/submit/", views.post_submit, name="post_submit"),
    path("posts/<int:post>/review/", views.post_review, name="post_review"),
    path("posts/<int:post>/publish/", views.post_publish, name="post_publish"),
    path("posts/<int:post>/take-down/", views.post_take_down, name="post_take_down"),
    path("consents/", views.consents, name="consents"),
    path("consents/<int:consent>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("consents/<int:consent>/evidence/", views.consent_evidence, name="consent_evidence"),
    path("take-downs/", views.take_downs, name="take_downs"),
    path("take-downs/<int:task>/done/", views.take_down_done, name="take_down_done"),
    path("moderation/", views.moderation, name="moderation"),
    path("learner-accounts/", views.learner_accounts, name="learner_accounts"),
]
