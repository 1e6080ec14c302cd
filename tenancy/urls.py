from django.contrib.auth import views as auth_views
from django.urls import path

from tenancy import settings_views, views
from tenancy.forms import MemberPasswordResetForm

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(form_class=MemberPasswordResetForm),
        name="password_reset",
    ),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password-reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("switch-tenant/", views.switch_tenant, name="switch_tenant"),
    path("settings/", views.settings_index, name="settings"),
    path("settings/people/", settings_views.settings_members, name="settings_members"),
    path("settings/people/invite/", settings_views.settings_member_invite, name="settings_member_invite"),
    path("settings/people/<int:pk>/role/", settings_views.settings_member_role, name="settings_member_role"),
    path("settings/people/<int:pk>/remove/", settings_views.settings_member_remove, name="settings_member_remove"),
    path(
        "settings/people/invitations/<int:pk>/revoke/",
        settings_views.settings_invitation_revoke,
        name="settings_invitation_revoke",
    ),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("settings/api-keys/", settings_views.settings_api_keys, name="settings_api_keys"),
    path("settings/api-keys/new/", settings_views.settings_api_key_create, name="settings_api_key_create"),
    path(
        "settings/api-keys/created/<str:token>/",
        settings_views.settings_api_key_created,
        name="settings_api_key_created",
    ),
    path(
        "settings/api-keys/<int:pk>/revoke/", settings_views.settings_api_key_revoke, name="settings_api_key_revoke"
    ),
]
