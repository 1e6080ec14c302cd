"""The VP portfolio page (+ CSV) and a CSM's book (thin: the figures come from ``dashboards.portfolio_page``)."""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

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
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="portfolio-{context["today"]:%Y-%m-%d}.csv"'
    writer = csv.writer(response)
    for row in portfolio_csv_rows(context):
        writer.writerow(row)
    return response


@login_required
@tenant_required
@require_GET
def my_book(request):
    return render(request, "dashboards/my_book.html", book_context(request))
