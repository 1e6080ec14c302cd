"""CSV import of accounts and contacts: upload -> preview -> import (all or nothing).

One page at ``accounts:import``:
- GET shows the upload form; ``?sample=accounts|contacts`` downloads a sample file.
- POST ``step=preview`` (with the file) parses and checks it and shows the preview: first rows,
  detected and ignored columns, every bad row by line number, how many rows create or update.
  A file without errors is kept under ``imports/<tenant_id>/<token>.csv`` (default storage,
  MEDIA_ROOT on disk) and its token put in the session, so importing needs no second upload.
- POST ``step=import`` (with the token) re-checks and writes it in one transaction, then deletes it.
- POST ``step=cancel`` deletes it.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts import csv_import, imports
from accounts.csv_import import ACCOUNTS, CONTACTS
from tenancy.decorators import capability_required, tenant_required
from tenancy.permissions import ACCOUNTS_WRITE

SESSION_KEY = "csv_import"
MAX_ERRORS_SHOWN = 500


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[(ACCOUNTS, "Accounts"), (CONTACTS, "Contacts")], widget=forms.RadioSelect, initial=ACCOUNTS,
        label="What the file holds",
    )
    file = forms.FileField(label="CSV file", widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > csv_import.MAX_BYTES:
            raise forms.ValidationError(f"The file is larger than {csv_import.MAX_BYTES // (1024 * 1024)} MB; split it.")
        return upload


@login_required
@tenant_required
@capability_required(ACCOUNTS_WRITE)
@require_http_methods(["GET", "POST"])
def account_import(request):
    if request.method == "GET":
        if "sample" in request.GET:
            return _sample(request, request.GET["sample"])
        kind = request.GET.get("kind") if request.GET.get("kind") in csv_import.KINDS else ACCOUNTS
        return _upload_page(request, ImportUploadForm(initial={"kind": kind}))
    step = request.POST.get("step", "preview")
    if step == "import":
        return _import(request)
    if step == "cancel":
        _forget(request)
        messages.info(request, "Import cancelled; nothing was written.")
        return redirect("accounts:import")
    return _preview(request)


def _upload_page(request, form: ImportUploadForm, status: int = 200):
    context = {"form": form, "columns": {kind: csv_import.COLUMNS[kind].items() for kind in csv_import.KINDS}}
    return render(request, "accounts/import.html", context, status=status)


def _sample(request, kind: str) -> HttpResponse:
    if kind not in csv_import.KINDS:
        raise Http404("No such sample")
    response = HttpResponse(csv_import.sample_csv(kind, csm_email=request.user.email), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="sample-{kind}.csv"'
    return response


def _preview(request):
    form = ImportUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _upload_page(request, form, status=400)
    upload = form.cleaned_data["file"]
    parsed = csv_import.parse_upload(form.cleaned_data["kind"], upload.read())
    validated = imports.import_validate(parsed)
    _forget(request)
    token = None
    if validated.ok:
        token = imports.import_store(parsed=parsed)
        request.session[SESSION_KEY] = {"token": token, "kind": parsed.kind, "filename": upload.name}
    return _preview_page(request, validated, token=token, filename=upload.name)


def _preview_page(request, validated, *, token: str | None, filename: str, rejected: str = ""):
    context = {
        "v": validated,
        "token": token,
        "filename": filename,
        "rejected": rejected,
        "errors": validated.errors[:MAX_ERRORS_SHOWN],
        "hidden_errors": max(0, len(validated.errors) - MAX_ERRORS_SHOWN),
        "rows": validated.preview_rows(10),
    }
    return render(request, "accounts/import_preview.html", context)


def _import(request):
    state = request.session.get(SESSION_KEY) or {}
    token = request.POST.get("token", "")
    if not token or state.get("token") != token:
        raise Http404("No such import")
    parsed = imports.import_load(kind=state.get("kind", ""), token=token)
    if parsed is None:
        _forget(request)
        raise Http404("No such import")
    try:
        result = imports.import_apply(parsed=parsed, actor=request.user, source_name=state.get("filename", ""))
    except imports.ImportRejected as exc:
        return _preview_page(request, exc.validated, token=None, filename=state.get("filename", ""), rejected=str(exc))
    finally:
        _forget(request)
    noun = "accounts" if result.kind == ACCOUNTS else "contacts"
    messages.success(request, f"Imported {result.total} {noun}: {result.created} created, {result.updated} updated.")
    return redirect("accounts:list")


def _forget(request) -> None:
    """Drop the session's previewed file, if any."""
    state = request.session.pop(SESSION_KEY, None)
    if state and state.get("token"):
        imports.import_discard(token=state["token"])
