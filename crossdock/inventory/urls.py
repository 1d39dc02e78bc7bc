"""Warehouse screens under ``/inventory/``."""

from django.urls import path
from django.views.generic import RedirectView

from crossdock.inventory import count_views, flow_views, fulfilment_views, views

app_name = "inventory"
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="inventory:transfer_list"), name="index"),
    path("transfers/", views.transfer_list, name="transfer_list"),
    path("transfers/<int:pk>/", views.transfer_detail, name="transfer_detail"),
    path("transfers/<int:pk>/process/", views.transfer_process, name="transfer_process"),
    path("transfers/<int:pk>/return/", flow_views.transfer_return, name="transfer_return"),
    path("transfers/<int:pk>/arrive/", flow_views.transfer_arrive, name="transfer_arrive"),
    path("dispatch/", flow_views.dispatch, name="dispatch"),
    path("scrap/", flow_views.scrap, name="scrap"),
    path("putaway/", flow_views.putaway_list, name="putaway_list"),
    path("putaway/new/", flow_views.putaway_edit, name="putaway_new"),
    path("putaway/<int:pk>/", flow_views.putaway_edit, name="putaway_edit"),
    path("putaway/<int:pk>/delete/", flow_views.putaway_delete, name="putaway_delete"),
    path("transfers/<int:pk>/pack/", fulfilment_views.transfer_pack, name="transfer_pack"),
    path("transfers/<int:pk>/ship/", fulfilment_views.transfer_ship, name="transfer_ship"),
    path(
        "transfers/<int:pk>/delivery-note.pdf",
        fulfilment_views.delivery_note,
        name="delivery_note",
    ),
    path("waves/", fulfilment_views.wave_list, name="wave_list"),
    path("waves/<int:pk>/", fulfilment_views.wave_pick, name="wave_pick"),
    path("transfers/<int:pk>/<slug:action>/", views.transfer_action, name="transfer_action"),
    path("stock/", views.stock, name="stock"),
    path("lots/", views.lot_list, name="lot_list"),
    path("lots/<int:pk>/", views.lot_trace, name="lot_trace"),
    path("availability/", views.availability, name="availability"),
    path("valuation/", views.valuation, name="valuation"),
    path("counts/", count_views.count_list, name="count_list"),
    path("counts/new/", count_views.count_create, name="count_create"),
    path("counts/<int:pk>/", count_views.count_detail, name="count_detail"),
    path("counts/<int:pk>/count/", count_views.count_screen, name="count_screen"),
    path("counts/<int:pk>/<slug:action>/", count_views.count_action, name="count_action"),
]
