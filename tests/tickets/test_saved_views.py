"""Saved queue views (moved with ``QueueView`` from knowledge to tickets; the assertions are unchanged)."""

from __future__ import annotations

import pytest

from base.errors import DomainError
from tenancy.models import Role
from tests.transactional_support import autocommit, committed  # noqa: F401 (fixture)
from tickets.models import QueueView
from tickets.services import saved_views


@pytest.mark.django_db
def test_queue_views_save_overwrite_delete(in_tenant, alice, member):
    other = member()
    view = saved_views.queue_view_save(actor=alice, name="Sev1 mine", query="?severity=1&mine=1")
    assert view.query == "severity=1&mine=1"
    saved_views.queue_view_save(actor=alice, name="Sev1 mine", query="severity=1")
    saved_views.queue_view_save(actor=other, name="Sev1 mine", query="severity=2")
    assert QueueView.objects.filter(user=alice).get().query == "severity=1"
    assert saved_views.queue_view_delete(actor=other, pk=view.pk) is False  # not theirs
    assert saved_views.queue_view_delete(actor=alice, pk=view.pk) is True
    with pytest.raises(DomainError):
        saved_views.queue_view_save(actor=alice, name=" ", query="")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("autocommit")
def test_saved_queue_views_commit(in_tenant, member):
    engineer = member(Role.SUPPORT_ENGINEER)
    view = saved_views.queue_view_save(actor=engineer, name="Mine", query="?assignee=me")
    saved_views.queue_view_save(actor=engineer, name="Mine", query="?severity=sev1")
    assert committed(lambda: list(QueueView.all_tenants.values_list("name", "query"))) == [("Mine", "severity=sev1")]
    assert saved_views.queue_view_delete(actor=engineer, pk=view.pk) is True
    assert committed(lambda: QueueView.all_tenants.count()) == 0
