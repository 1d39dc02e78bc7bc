from django.apps import AppConfig


class MasterdataConfig(AppConfig):
    name = "crossdock.masterdata"
    label = "masterdata"
    verbose_name = "Master data"

    def ready(self) -> None:
        from crossdock.core.permissions import register_access_provider
        from crossdock.masterdata.selectors import access_for_user

        register_access_provider(access_for_user)
