"""The VP portfolio page (+ CSV) and a CSM's book (thin: the figures come from ``dashboards.portfolio_page``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from base.http import csv_response
from dashboards.portfolio_page import book_context, portfolio_context, portfolio_csv_rows
from tenancy.decorators import tenant_required


@login_required
@tenant_required
@require_GET
@vary_on_headers("HX-Request")
def portfolio(request):
    context = portfolio_context(request)
    template = "dashboards/portfolio.html#results" if request.htmx else "dashboards/portfolio.html"
    return render(request, template, context)


@login_required
@tenant_required
@require_GET
def portfolio_export(request):
    context = portfolio_context(request)
    return csv_response(f"portfolio-{context['today']:%Y-%m-%d}.csv", portfolio_csv_rows(context))


@login_required
@tenant_required
@require_GET
def my_book(request):
    return render(request, "dashboards/my_book.html", book_context(request))
