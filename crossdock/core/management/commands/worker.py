"""``crossdock worker``: run background tasks from the database queue."""

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand


class Command(DatabaseWorkerCommand):
    help = "Run the Crossdock task worker (Django tasks, database backend)."
