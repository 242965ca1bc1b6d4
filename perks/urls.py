from django.urls import path

from perks import oil_views, views

app_name = "perks"

urlpatterns = [
    path("", views.desk, name="desk"),
    path("vehicle/<str:vin>/", views.vehicle, name="vehicle"),
    path("vehicle/<str:vin>/bill/", views.price_bill, name="price_bill"),
    path("entitlement/<int:pk>/redeem/", views.redeem, name="redeem"),
    path("term/<int:term_id>/wash/", views.redeem_wash, name="redeem_wash"),
    path("term/<int:term_id>/rescue/", views.log_rescue, name="log_rescue"),
    path("term/<int:term_id>/oil/", oil_views.request_oil, name="request_oil"),
    path("oil/", oil_views.oil_inbox, name="oil_inbox"),
    path("oil/<int:pk>/decide/", oil_views.decide_oil, name="decide_oil"),
]
