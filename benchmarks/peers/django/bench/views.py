"""
One view per scheme for `GET /api/me` (the same body as the app's) and the
login that issues that scheme's credential, as each package documents it.
"""
import resource

from django.conf import settings
from django.contrib.auth import authenticate, login
from django.http import JsonResponse
from rest_framework import status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.views import TokenObtainPairView

from .middleware import COUNTS

SCHEME = settings.SCHEME


def me(request):
    user = request.user
    return Response({'id': user.id, 'username': user.username, 'email': user.email})


class TokenMe(APIView):
    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]
    get = staticmethod(me)


class JwtMe(APIView):
    authentication_classes = [JWTAuthentication]
    permission_classes = [IsAuthenticated]
    get = staticmethod(me)


class SessionMe(APIView):
    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAuthenticated]
    get = staticmethod(me)


class SessionLogin(APIView):
    """Django's own login(): a new session row and the `sessionid` cookie (no CSRF check before one exists)."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def post(self, request):
        user = authenticate(request, username=request.data.get('username'), password=request.data.get('password'))
        if user is None:
            return Response({'detail': 'Unable to log in with provided credentials.'}, status=status.HTTP_400_BAD_REQUEST)
        login(request, user)
        return Response({'id': user.id, 'username': user.username, 'email': user.email})


ME_VIEWS = {'token': TokenMe, 'jwt': JwtMe, 'session': SessionMe}
LOGIN_VIEWS = {'token': obtain_auth_token, 'jwt': TokenObtainPairView.as_view(), 'session': SessionLogin.as_view()}


def sample(request):
    """The worker's CPU time and counters, for the harness between rounds (never during one)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return JsonResponse(
        {
            'cpuMicros': round((usage.ru_utime + usage.ru_stime) * 1e6),
            'rss': usage.ru_maxrss * 1024,
            **COUNTS,
        }
    )
