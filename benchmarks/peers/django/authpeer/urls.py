from django.urls import path

from bench import views

urlpatterns = [
    path('api/me', views.ME_VIEWS[views.SCHEME].as_view()),
    path('api/auth/login', views.LOGIN_VIEWS[views.SCHEME]),
    path('__bench__/sample', views.sample),
]
