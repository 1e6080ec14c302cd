"""The workspace pages keep their paths and names in the ``accounts`` namespace (``accounts:detail``,
``accounts:my_tasks``...): config/urls.py includes ``account_urlpatterns`` with accounts' own under
``accounts/``. The dashboard is the site root (``dashboard``)."""

from django.urls import path

from workspace import views

account_urlpatterns = [
    path("tasks/", views.my_tasks, name="my_tasks"),
    path("tasks/<int:pk>/status/", views.task_status, name="task_status"),
    path("<int:pk>/", views.account_detail, name="detail"),
    path("<int:pk>/timeline/", views.account_timeline, name="timeline"),
    path("<int:pk>/contacts/", views.account_contacts, name="contacts"),
    path("<int:pk>/tasks/", views.account_tasks, name="tasks"),
]
