"""Demo knowledge base per handbook tenant: the five standard categories and a dozen published articles.

The article set follows the RAG Fortress handbook's "Knowledge Base Categories" (Getting Started,
Features & Functionality, Troubleshooting, Best Practices, Integration Guides); what each tenant's
product is called and what its customers load and run is tenant data, keyed by slug below.
Called by ``seed_demo`` (ops) with the tenant in context; ops then links resolved demo tickets to
articles (``ops/demo/ticket_article_links.py``: knowledge does not import tickets).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from knowledge.models import Article, ArticleStatus, Category
from knowledge.services import categories_ensure_defaults

# What differs between tenants: product name, what customers bring in, what they run, their sources.
PRODUCT_WORDS: dict[str, dict[str, str]] = {
    "rag-fortress": {
        "product": "RAG Fortress", "items": "documents", "item": "document", "run": "search",
        "runs": "searches", "sources": "SharePoint, Google Drive, Confluence and Amazon S3",
        "portal": "support.ragfortress.com",
    },
    "modular-cs": {
        "product": "the Modular CS platform", "items": "customer records", "item": "customer record",
        "run": "health report", "runs": "health reports", "sources": "Salesforce, Zendesk, Mixpanel and Gainsight",
        "portal": "help.modularcs.example",
    },
    "techcorp": {
        "product": "DataFlow", "items": "data sources", "item": "data source", "run": "IntelliReports dashboard",
        "runs": "IntelliReports dashboards", "sources": "Snowflake, BigQuery, PostgreSQL and Salesforce",
        "portal": "support.techcorp.example",
    },
    "marketingai-pro": {
        "product": "MarketingAI Pro", "items": "campaign assets", "item": "campaign asset",
        "run": "content generation", "runs": "content generations", "sources": "HubSpot, Salesforce, Google Analytics and Slack",
        "portal": "help.marketingaipro.example",
    },
    "agent-factory": {
        "product": "Agent Factory", "items": "knowledge files", "item": "knowledge file", "run": "agent run",
        "runs": "agent runs", "sources": "GitHub, Notion, Slack and Zendesk",
        "portal": "docs.agentfactory.example",
    },
}

# (category slug, title, markdown body). Placeholders: {product} {items} {item} {run} {runs} {sources} {portal};
# a capitalised key ({Product}, {Runs}) gives the capitalised value.
ARTICLES: list[tuple[str, str, str]] = [
    ("getting-started", "Setting up your account and inviting users", """\
This guide walks a new administrator through the first hour in {product}.

## Before you start
- Your welcome email with the workspace URL
- The list of people who need access and their roles

## Steps
1. Sign in with the link in the welcome email and set a strong password.
2. Open **Settings → Workspace** and set your company name, time zone and default language.
3. Open **Settings → Users** and click **Invite users**. Paste one email address per line.
4. Choose a role for each person: *Admin*, *Editor* or *Viewer*.
5. Turn on single sign-on (SSO) if your identity provider supports SAML 2.0 (see *SSO login setup*).

## Common mistakes
- Inviting everyone as Admin: start with Viewer and raise access when needed.
- Forgetting the time zone: reports and SLAs use it.

Related: *Managing user permissions and roles*.
"""),
    ("getting-started", "Your first data ingestion", """\
Bring your first {items} into {product} in under 30 minutes.

## Steps
1. Go to **Sources → Add source** and pick a connector ({sources}) or **Upload files**.
2. Authorize the connector with a service account that can read the {items} you want.
3. Choose a small pilot set first (for example one folder or one project, under 1,000 {items}).
4. Click **Start ingestion**. Progress appears on the source page; large sources run in the background.
5. When the status shows **Ready**, run your first {run} to check the results.

## Tips
- Ingest a pilot set, validate quality, then add the rest.
- Ingestion of more than 100,000 {items} is throttled to protect performance; plan it overnight.

If ingestion stays at 0% for more than 15 minutes, see *Ingestion stuck or failing*.
"""),
    ("getting-started", "Running your first {run}", """\
Once your {items} are ingested you can run your first {run}.

1. Open **Home** and type what you are looking for in plain language.
2. Narrow the results with the filters on the left (source, owner, date).
3. Open a result to see where it came from and why it matched.
4. Save useful {runs} for later (see *Saved searches and alerts*).

Use quotes for an exact phrase, and a minus sign to exclude a word: `"renewal terms" -draft`.
"""),
    ("features", "Advanced search syntax and filters", """\
{Product} understands plain language, and power users can be precise with operators.

| Operator | Example | Meaning |
|---|---|---|
| quotes | `"data retention"` | exact phrase |
| minus | `policy -draft` | exclude a word |
| or | `invoice or receipt` | either word |
| field | `owner:finance` | filter on a metadata field |

Combine filters (source, date range, owner, tags) from the sidebar. Results are ranked by relevance; sort by date from the results header.
"""),
    ("features", "Saved searches and alerts", """\
Save a {run} to return to it with one click, and get an alert when new {items} match.

1. Run the {run} and click **Save**.
2. Name it and choose who can see it: only you, your team or everyone.
3. Turn on **Alert me** to receive a daily or weekly email digest of new matches.

Saved {runs} respect permissions: each person only sees the {items} they are allowed to read.
"""),
    ("features", "Managing user permissions and roles", """\
Permissions in {product} follow your source systems, plus workspace roles.

- **Admin**: manages users, sources, billing and security settings.
- **Editor**: adds sources, curates collections, manages saved {runs}.
- **Viewer**: runs {runs} over the {items} they may read.

Document-level permissions are synced from {sources} on every ingestion run, so a person who loses access at the source loses it here at the next sync (at most 1 hour).

To change a role: **Settings → Users**, pick the person, choose the role, **Save**.
"""),
    ("troubleshooting", "Ingestion stuck or failing", """\
If a source shows **Failed** or stays at 0% for more than 15 minutes, work through these checks.

## Checks
1. **Credentials**: expired tokens are the most common cause. Re-authorize the connector from the source page.
2. **Permissions**: the service account must be able to read every folder you selected.
3. **File types**: unsupported or password-protected files are skipped and listed under **Skipped items**.
4. **Size limits**: single files over 200 MB are skipped.
5. **Rate limits**: the source system may throttle us (HTTP 429); ingestion retries automatically with backoff.

## Still failing?
Open a ticket with the source name, the time of the failure and the error message shown on the source page. Severity 2 if production users are affected.
"""),
    ("troubleshooting", "Common error messages and what they mean", """\
| Error | Meaning | What to do |
|---|---|---|
| `401 Unauthorized` | Your session or API key is invalid | Sign in again or create a new API key |
| `403 Forbidden` | Your role may not do this | Ask an admin for the right role |
| `429 Too Many Requests` | Rate limit reached | Wait and retry; batch API calls |
| `500 Internal Server Error` | Something failed on our side | Retry; if it persists, open a Severity 2 ticket |
| `SSO assertion invalid` | The identity provider's certificate or clock is wrong | Check the SAML certificate and the server clock |

Include the request id shown with the error when you contact support: it lets us find the exact request in our logs.
"""),
    ("troubleshooting", "Slow {runs} and performance optimization", """\
{Runs} normally return in under 2 seconds (p95). If they are slower:

1. Check the status page for an ongoing incident.
2. Narrow very broad {runs} with filters; a {run} over every source is the slowest kind.
3. Reduce the number of {items} re-ingested during business hours: schedule large syncs overnight.
4. Very large collections (over 5 million {items}) benefit from partitioning by source or team.

If latency stays above 5 seconds for all users, that is a Severity 2 ticket: include example queries and times.
"""),
    ("troubleshooting", "SSO login setup and login errors", """\
{Product} supports SAML 2.0 single sign-on (Okta, Azure AD, Google Workspace).

## Setup
1. **Settings → Security → SSO**: copy the ACS URL and entity id.
2. Create a SAML application in your identity provider with these values.
3. Upload the identity provider's metadata XML and click **Test login**.
4. Turn on **Require SSO** only after the test succeeds.

## Login errors
- *SSO assertion invalid*: the signing certificate changed, or the clocks differ by more than 5 minutes.
- *User not provisioned*: the person is not invited yet, or their email differs from the identity provider's.
- Locked out after requiring SSO: an admin can sign in with a password at `/login?local=1`.
"""),
    ("best-practices", "Organizing {items} with a metadata strategy", """\
Good metadata makes {runs} precise and keeps results trustworthy.

- **Agree on a few fields** (owner, department, document type, review date) and use them everywhere.
- **Use controlled vocabularies**: pick values from a list rather than free text.
- **Set a review date** on every {item} and archive what is past it.
- **Tag sensitive {items}** so permissions and retention rules can follow them.

Review the metadata coverage report monthly: aim for more than 90% of {items} with an owner.
"""),
    ("best-practices", "Data maintenance and quality checks", """\
Keep {product} accurate with a light monthly routine.

1. Remove or archive outdated {items} (review date passed, no views in 6 months).
2. Check the duplicate report and keep one canonical {item}.
3. Look at {runs} with no results: they show missing content or vocabulary gaps.
4. Re-run quality validation after large migrations.

Teams that follow this routine see fewer "wrong answer" tickets and higher adoption.
"""),
    ("integration-guides", "REST API quick start", """\
Automate {product} with the REST API.

## Authentication
Create an API key under **Settings → API keys** and send it in a header:

```
Authorization: Bearer <your key>
```

## First call
```
curl -H "Authorization: Bearer $KEY" https://api.example.com/v1/sources/
```

Responses are JSON and paginated (`next` links). Rate limit: 600 requests per minute per key; a `429` response carries `Retry-After`.
"""),
    ("integration-guides", "Connector setup: {sources}", """\
Connectors keep {product} in sync with your systems.

1. **Sources → Add source** and pick the connector.
2. Authorize with a dedicated service account (read-only is enough).
3. Pick what to sync and the schedule (hourly by default).
4. Map fields to your metadata (owner, department, type).

Connectors sync changes and deletions incrementally and carry permissions across. If a sync fails, see *Ingestion stuck or failing*.
"""),
    ("integration-guides", "Configuring webhooks", """\
Webhooks notify your systems when something happens in {product}.

1. **Settings → Webhooks → Add endpoint** and enter an HTTPS URL.
2. Pick the events (for example *source.sync_failed*, *{item}.ingested*).
3. Copy the signing secret and verify the `X-Signature` header (HMAC-SHA256 of the body) on every request.

We retry failed deliveries (non-2xx or timeout after 10 seconds) with exponential backoff for 24 hours. Endpoints failing for 3 days are disabled and admins are emailed.
"""),
]

DRAFT_ARTICLE = ("best-practices", "Search optimization checklist (draft)", """\
Work in progress: a checklist for tuning {runs} per team. To be reviewed by the support operations manager.
""")


def _fill(text: str, words: dict[str, str]) -> str:
    """Substitute the tenant's words; ``{Product}``/``{Runs}`` are the capitalised forms (sentence starts)."""
    capitalised = {key.capitalize(): value[:1].upper() + value[1:] for key, value in words.items()}
    return text.format(**words, **capitalised)


def seed_tenant(ctx) -> None:
    """Standard categories plus ~15 published articles (and one draft) for the tenant in context."""
    categories = {c.slug: c for c in categories_ensure_defaults()}
    if Article.objects.exists():
        ctx.progress("knowledge base: exists, left as it is")
        return
    words = PRODUCT_WORDS.get(ctx.slug, PRODUCT_WORDS["rag-fortress"])
    writers = (ctx.users.get("support_manager") or []) + (ctx.users.get("support_engineer") or [])
    start_of_today = datetime.combine(ctx.today, time(9, 0), tzinfo=ctx.tenant.tzinfo)
    articles = []
    for index, (slug, title, body) in enumerate([*ARTICLES, DRAFT_ARTICLE]):
        category = categories.get(slug) or _first(categories)
        created = start_of_today - timedelta(days=ctx.rng.randint(30, 400), hours=ctx.rng.randint(0, 8))
        updated = min(created + timedelta(days=ctx.rng.randint(0, 120)), start_of_today)
        is_draft = index == len(ARTICLES)
        articles.append(
            Article(
                tenant=ctx.tenant, category=category, title=_fill(title, words)[:200], body=_fill(body, words),
                status=ArticleStatus.DRAFT if is_draft else ArticleStatus.PUBLISHED,
                author=writers[index % len(writers)] if writers else None,
                created_at=created, updated_at=updated, published_at=None if is_draft else created,
            )
        )
    Article.objects.bulk_create(articles)
    ctx.progress(f"knowledge base: {len(categories)} categories, {len(articles)} articles")


def _first(categories: dict[str, Category]) -> Category:
    return next(iter(categories.values()))
