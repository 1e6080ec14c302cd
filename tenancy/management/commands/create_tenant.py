from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from tenancy.services import tenant_create


class Command(BaseCommand):
    help = "Create a tenant with its first admin."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-password", required=True)
        parser.add_argument("--timezone", default="UTC")
        parser.add_argument("--currency", default="USD")

    def handle(self, *args, **opts):
        try:
            tenant = tenant_create(
                slug=opts["slug"], name=opts["name"], admin_email=opts["admin_email"],
                admin_password=opts["admin_password"], timezone_name=opts["timezone"], currency=opts["currency"],
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Created tenant {tenant.slug} (id {tenant.pk}) with admin {opts['admin_email']}"))
