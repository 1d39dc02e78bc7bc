from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("crossdock.api.urls")),
    path("approvals/", include("crossdock.approvals.urls")),
    path("insight/queues/", include("crossdock.insight.queue_urls")),
    path("insight/", include("crossdock.insight.urls")),
    path("inventory/", include("crossdock.inventory.urls")),
    path("accounting/", include("crossdock.accounting.urls")),
    path("prices/", include("crossdock.masterdata.price_urls")),
    path("planning/", include("crossdock.planning.urls")),
    path("purchasing/", include("crossdock.purchasing.urls")),
    path("quality/", include("crossdock.quality.urls")),
    path("sales/returns/", include("crossdock.sales.return_urls")),
    path("sales/", include("crossdock.sales.urls")),
    path("service/", include("crossdock.service.urls")),
    path("", include("crossdock.web.urls")),
]
