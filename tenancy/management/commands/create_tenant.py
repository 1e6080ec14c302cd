from django.core.management.base import BaseCommand, CommandError

from base.errors import DomainError
from tenancy.models import User
from tenancy.services import tenant_create


class Command(BaseCommand):
    help = (
        "Create a tenant with its first admin. An email that already has an account gets the admin membership "
        "and keeps its password (--admin-password is then not needed and not used)."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-password", help="the new admin's password (required unless the email has an account)")
        parser.add_argument("--timezone", default="UTC")
        parser.add_argument("--currency", default="USD")

    def handle(self, *args, **opts):
        email = opts["admin_email"].strip().lower()
        existing = User.objects.filter(email__iexact=email).exists()
        if not existing and not opts["admin_password"]:
            raise CommandError(f"{email} has no account yet: give --admin-password for it.")
        try:
            tenant = tenant_create(
                slug=opts["slug"], name=opts["name"], admin_email=email,
                admin_password=None if existing else opts["admin_password"],
                timezone_name=opts["timezone"], currency=opts["currency"],
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Created tenant {tenant.slug} (id {tenant.pk}) with admin {email}"))
        if existing:
            self.stdout.write(
                f"A user {email} already exists: they were made admin of {tenant.slug}; their password was not changed"
                + (" (--admin-password ignored)." if opts["admin_password"] else ".")
            )
