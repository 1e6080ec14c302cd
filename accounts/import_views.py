"""CSV import of accounts and contacts: upload, preview, then import all-or-nothing. (Built out in accounts/csv_import.py.)"""
def account_import(request):  # replaced by the CSV import work
    raise NotImplementedError
