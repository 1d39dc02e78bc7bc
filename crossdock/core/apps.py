from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "crossdock.core"
    label = "core"
    verbose_name = "Crossdock core"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from crossdock.core.roles import sync_roles

        post_migrate.connect(sync_roles, dispatch_uid="crossdock.sync_roles")
