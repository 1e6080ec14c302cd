from django.core.management.base import BaseCommand, CommandError

from base.errors import DomainError
from tenancy.models import Tenant
from tenancy.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key for a tenant. The key is printed once, alone on the last line."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", default="API key")
        parser.add_argument("--scopes", default="read,write", help="Comma-separated: read, write")

    def handle(self, *args, **opts):
        tenant = Tenant.objects.filter(slug=opts["slug"]).first()
        if tenant is None:
            raise CommandError(f"No tenant with slug {opts['slug']!r}.")
        try:
            key, raw = api_key_create(tenant=tenant, name=opts["name"], scopes=opts["scopes"].split(","))
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Created key {key.name!r} ({key.prefix}…) for {tenant.slug} with scopes {','.join(key.scopes)}.")
        self.stdout.write("Store it now; it is not shown again:")
        self.stdout.write(raw)
