"""Knowledge-base pages: home (categories, search), category, article, create/edit, publish/unpublish.

Everyone in the tenant reads published articles; members with ``kb.write`` also see drafts and write.
A draft is a 404 for everyone else, like another tenant's article.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from base.errors import DomainError
from knowledge import selectors, services
from knowledge.access import access_article, access_category
from knowledge.forms import ArticleForm, CategoryForm
from knowledge.models import ArticleStatus
from knowledge.rendering import render_markdown
from tenancy.decorators import capability_required, member_can, tenant_required
from tenancy.permissions import KB_WRITE

SEARCH_PAGE_SIZE = 20
CATEGORY_PAGE_SIZE = 50
LINKED_TICKETS_SHOWN = 10


def kb_write_post(view):
    """A POST that changes the knowledge base: a member whose role has ``kb.write``."""
    return login_required(tenant_required(capability_required(KB_WRITE)(require_POST(view))))


def _can_write(request) -> bool:
    return member_can(request, KB_WRITE)


def _form_error(form, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, str(exc))


@login_required
@tenant_required
@vary_on_headers("HX-Request")
def kb_home(request):
    can_write = _can_write(request)
    q = request.GET.get("q", "").strip()[:200]
    context = {"q": q, "can_write": can_write, "results": None, "page": None}
    if q:
        page = Paginator(selectors.article_search(q=q, include_drafts=can_write), SEARCH_PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        results = list(page.object_list)
        for article in results:
            article.snippet = selectors.snippet_html(article.snippet_raw)
        context |= {"page": page, "results": results}
    if request.htmx and request.htmx.target == "kb-results":
        return render(request, "knowledge/home.html#results", context)
    context |= {
        "categories": list(selectors.categories_with_counts()),
        "recent": None if q else list(selectors.recent_articles(include_drafts=can_write)),
        "category_form": CategoryForm() if can_write else None,
    }
    return render(request, "knowledge/home.html", context)


@login_required
@tenant_required
def category_detail(request, slug: str):
    category = access_category(slug, principal=request.principal)
    can_write = _can_write(request)
    status = request.GET.get("status", "") if can_write else ""
    status = status if status in ArticleStatus.values else ""
    articles = selectors.article_list(category=category, include_drafts=can_write, status=status)
    page = Paginator(articles, CATEGORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "knowledge/category.html",
        {"category": category, "page": page, "can_write": can_write, "status": status},
    )


@login_required
@tenant_required
def article_detail(request, pk: int):
    article = access_article(pk, principal=request.principal)
    links = selectors.article_ticket_links(article=article, limit=LINKED_TICKETS_SHOWN)
    related = (
        selectors.article_list(category=article.category, include_drafts=False).exclude(pk=article.pk)[:5]
    )
    return render(
        request, "knowledge/article.html",
        {
            "article": article,
            "body_html": render_markdown(article.body),
            "links": links,
            "related": list(related),
            "can_write": _can_write(request),
        },
    )


@login_required
@tenant_required
@capability_required(KB_WRITE)
@require_http_methods(["GET", "POST"])
def article_create(request):
    if not selectors.categories_exist():
        messages.info(request, "Create the knowledge-base categories first.")
        return redirect("knowledge:home")
    initial = {}
    if request.GET.get("category"):
        initial["category"] = selectors.category_by_slug(slug=request.GET["category"])
    form = ArticleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            article = services.article_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"Article “{article.title}” saved as {article.get_status_display().lower()}.")
            return redirect("knowledge:article", pk=article.pk)
    return render(request, "knowledge/article_form.html", {"form": form, "article": None})


@login_required
@tenant_required
@capability_required(KB_WRITE)
@require_http_methods(["GET", "POST"])
def article_edit(request, pk: int):
    article = access_article(pk, principal=request.principal)
    form = ArticleForm(request.POST) if request.method == "POST" else ArticleForm.for_article(article)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                locked = access_article(pk, principal=request.principal, for_write=True)
                services.article_update(article=locked, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Article saved.")
            return redirect("knowledge:article", pk=article.pk)
    return render(request, "knowledge/article_form.html", {"form": form, "article": article})


@kb_write_post
def article_status(request, pk: int):
    """Publish (``status=published``) or unpublish (``status=draft``)."""
    try:
        with transaction.atomic():
            article = access_article(pk, principal=request.principal, for_write=True)
            changed = services.article_set_status(
                article=article, status=request.POST.get("status", ""), actor=request.user
            )
    except DomainError as exc:
        return HttpResponse(str(exc), status=400)
    if changed:
        messages.success(request, "Published." if article.is_published else "Unpublished: now a draft.")
    return redirect("knowledge:article", pk=article.pk)


@kb_write_post
def article_preview(request):
    """The sanitised HTML of a markdown body (the editor's live preview)."""
    return HttpResponse(render_markdown(request.POST.get("body", "")[:200_000]))


@kb_write_post
def category_create(request):
    form = CategoryForm(request.POST)
    if form.is_valid():
        try:
            category = services.category_create(**form.cleaned_data)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Category {category.name} added.")
    else:
        messages.error(request, "A category needs a name (at most 100 characters).")
    return redirect("knowledge:home")


@kb_write_post
def categories_defaults(request):
    services.categories_ensure_defaults()
    messages.success(request, "Standard categories created.")
    return redirect("knowledge:home")
