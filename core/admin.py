"""The admin bases every app registers its tenant-owned models with (defined in tenancy, beside
``TenantModel``, whose own admin uses them too: tenancy sits below core)."""

from tenancy.admin_base import CrossTenantAdmin, CrossTenantReadOnlyAdmin

__all__ = ["CrossTenantAdmin", "CrossTenantReadOnlyAdmin"]
