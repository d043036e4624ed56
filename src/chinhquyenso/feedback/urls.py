from django.urls import path

from chinhquyenso.feedback import views

app_name = "feedback"
urlpatterns = [
    path("", views.public_list, name="public_list"),
    path("cong-khai/<str:code>/", views.public_detail, name="public_detail"),
    path("gui/", views.submit, name="submit"),
    path("da-gui/", views.submitted, name="submitted"),
    path("tra-cuu/", views.track, name="track"),
    path("tep/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path("cua-toi/", views.my_list, name="my_list"),
    path("cua-toi/<str:code>/", views.my_detail, name="my_detail"),
    path("cua-toi/<str:code>/<slug:action>/", views.my_action, name="my_action"),
    path("can-bo/", views.inbox, name="inbox"),
    path("can-bo/<str:code>/", views.officer_detail, name="officer_detail"),
    path("can-bo/<str:code>/<slug:action>/", views.officer_action, name="officer_action"),
]
