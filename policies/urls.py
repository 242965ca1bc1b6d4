from django.urls import path

from policies import import_views, views

app_name = "policies"

urlpatterns = [
    path("search/", views.search, name="search"),
    path("vehicles/<str:vin>/", views.vehicle_detail, name="vehicle"),
    path("import/", import_views.import_upload, name="import"),
    path("import/template.xlsx", import_views.import_template, name="import_template"),
    path("import/<int:batch_id>/", import_views.import_batch, name="import_batch"),
]
