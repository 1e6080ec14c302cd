"""Pages (`urlpatterns`, mounted under /onboarding/ with namespace "onboarding") and API routes
(`api_urlpatterns`, under /api/v1/)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from onboarding import api, views

router = SimpleRouter(trailing_slash=True)
router.register("onboarding-templates", api.OnboardingTemplateViewSet, basename="api-onboarding-template")
router.register("onboarding-plans", api.OnboardingPlanViewSet, basename="api-onboarding-plan")
router.register("onboarding-tasks", api.OnboardingTaskViewSet, basename="api-onboarding-task")

api_urlpatterns = router.urls

urlpatterns = [
    path("", views.board, name="board"),
    path("my-tasks/", views.my_tasks, name="my_tasks"),
    path("plans/new/", views.plan_start, name="plan_start"),
    path("plans/<int:pk>/", views.plan_detail, name="plan"),
    path("plans/<int:pk>/handoff/", views.plan_handoff, name="plan_handoff"),
    path("plans/<int:pk>/notes/", views.plan_notes, name="plan_notes"),
    path("plans/<int:pk>/criteria/", views.criterion_add, name="criterion_add"),
    path("plans/<int:pk>/first-value/", views.plan_first_value, name="plan_first_value"),
    path("plans/<int:pk>/go-live/", views.plan_go_live, name="plan_go_live"),
    path("plans/<int:pk>/complete/", views.plan_complete, name="plan_complete"),
    path("criteria/<int:pk>/", views.criterion_update, name="criterion_update"),
    path("tasks/<int:pk>/status/", views.task_status, name="task_status"),
    path("tasks/<int:pk>/checklist/<int:index>/", views.task_checklist, name="task_checklist"),
    path("templates/", views.templates, name="templates"),
    path("templates/new/", views.template_create, name="template_create"),
    path("templates/<int:pk>/", views.template_edit, name="template_edit"),
    path("templates/<int:pk>/default/", views.template_default, name="template_default"),
    path("templates/<int:pk>/delete/", views.template_delete, name="template_delete"),
]
