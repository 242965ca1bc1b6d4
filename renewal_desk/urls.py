from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from renewal_desk import views

admin.site.site_header = "续保工作台 管理后台"
admin.site.site_title = "续保工作台"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("policies/", include("policies.urls")),
    path("followups/", include("followups.urls")),
    path("incentives/", include("incentives.urls")),
    path("perks/", include("perks.urls")),
    path("reports/", include("reports.urls")),
]
