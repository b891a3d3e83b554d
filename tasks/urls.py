"""The phone pages, under /m/."""

from django.urls import path

from tasks import views

app_name = "phone"
urlpatterns = [
    path("", views.my_tasks, name="my_tasks"),
    path("tasks/<int:task_id>/", views.task_page, name="task"),
    path("tasks/<int:task_id>/<str:action_name>/", views.act, name="act"),
    path("files/<int:attachment_id>/", views.attachment, name="attachment"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:notification_id>/read/", views.read, name="read"),
]
