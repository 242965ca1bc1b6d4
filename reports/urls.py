from django.urls import path

from reports import views, views_sheets

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("files/<int:file_id>/download/", views.file_download, name="file_download"),
    path("register/", views_sheets.register, name="register"),
    path("daily/", views_sheets.daily, name="daily"),
    path("weekly/", views_sheets.weekly, name="weekly"),
    path("builds/", views_sheets.build, name="build"),
    path("builds/<int:build_id>/", views_sheets.build_status, name="build_status"),
    path("builds/<int:build_id>/download/", views_sheets.build_download, name="build_download"),
]
