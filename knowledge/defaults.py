"""The knowledge-base categories every tenant starts with (RAG Fortress handbook, "Knowledge Base Categories").

They are tenant data: a tenant may rename, reorder or add categories; these are only the seed.
"""

from __future__ import annotations

DEFAULT_CATEGORIES: list[dict] = [
    {"slug": "getting-started", "name": "Getting Started",
     "description": "Account setup, first data ingestion, basic queries, user management."},
    {"slug": "features", "name": "Features & Functionality",
     "description": "Advanced search, saved searches, user permissions, integrations."},
    {"slug": "troubleshooting", "name": "Troubleshooting",
     "description": "Common issues, error messages, performance optimization, data quality checks."},
    {"slug": "best-practices", "name": "Best Practices",
     "description": "Document organization, metadata strategy, search optimization, data maintenance."},
    {"slug": "integration-guides", "name": "Integration Guides",
     "description": "API documentation, connector setup, webhook configuration, custom integrations."},
]
