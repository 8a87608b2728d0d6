"""FastAPI's /openapi.json for an app equivalent to Gatehouse's route table in demo mode.

Usage: python openapi_reference.py [ROOT_PATH]
Prints the document FastAPI serves at /openapi.json, fetched through Starlette's
TestClient so that a ROOT_PATH (the prefix nginx strips) adds `servers` exactly as
FastAPI does. The handlers are never called: only their signatures matter.
"""

import http.client
import sys
from datetime import datetime
from typing import Annotated

from fastapi import Depends, FastAPI, Form, Query, Response, Security
from fastapi.security import (
    APIKeyCookie,
    APIKeyHeader,
    APIKeyQuery,
    HTTPAuthorizationCredentials,
    HTTPBasic,
    HTTPBasicCredentials,
    HTTPBearer,
    OAuth2PasswordBearer,
    OAuth2PasswordRequestForm,
    SecurityScopes,
)
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

oauth2_scheme = OAuth2PasswordBearer(
    tokenUrl="token",
    scopes={"me": "Read information about the current user.", "items": "Read items."},
    auto_error=False,
)
api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)
api_key_query = APIKeyQuery(name="api_key", auto_error=False)
api_key_cookie = APIKeyCookie(name="api_key", auto_error=False)
http_basic = HTTPBasic(auto_error=False)
session_cookie = APIKeyCookie(name="gatehouse_session", scheme_name="SessionCookie", auto_error=False)


class HTTPError(BaseModel):
    detail: str


def answers(*errors, alternatives=()):
    """Gatehouse's Route.alternatives and errorStatuses, as FastAPI's `responses=`."""
    declared = {status: {"description": http.client.responses[status]} for status in alternatives}
    declared.update({status: {"model": HTTPError} for status in sorted(errors)})
    return declared


class Token(BaseModel):
    access_token: str
    token_type: str
    refresh_token: str | None = None
    expires_in: int | None = None


class User(BaseModel):
    username: str
    email: str | None = None
    full_name: str | None = None
    disabled: bool | None = None


ScopeToken = Annotated[str, Field(pattern=r"^[!#-\[\]-~]+$", max_length=128)]
RoleName = Annotated[str, Field(pattern=r"^[A-Za-z0-9._@+:-]+$", max_length=64)]
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"


class APIKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[ScopeToken] = []
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class APIKey(BaseModel):
    id: str
    name: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class APIKeyCreated(APIKey):
    key: str


class Session(BaseModel):
    id: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    client_address: str
    user_agent: str
    scopes: list[str]
    current: bool


class TOTPStatus(BaseModel):
    enabled: bool
    enabled_at: datetime | None
    enrolment_pending: bool
    recovery_codes_left: int


class TOTPEnrolment(BaseModel):
    secret: str
    otpauth_uri: str
    qr_svg: str | None


class RecoveryCodes(BaseModel):
    recovery_codes: list[str]


class TOTPProof(BaseModel):
    code: str | None = Field(default=None, min_length=1, max_length=64)
    password: str | None = Field(default=None, min_length=1, max_length=1024, json_schema_extra={"format": "password"})


class TOTPConfirmation(BaseModel):
    code: str = Field(pattern=r"^[0-9]{6}$")


class LoginForm(OAuth2PasswordRequestForm):
    """OAuth2PasswordRequestForm and `otp`, the one-time code of an account with two-factor sign-in."""

    def __init__(
        self,
        *,
        grant_type: Annotated[str | None, Form(pattern="^password$")] = None,
        username: Annotated[str, Form(min_length=1)],
        password: Annotated[str, Form(min_length=1, json_schema_extra={"format": "password"})],
        scope: Annotated[str, Form()] = "",
        client_id: Annotated[str | None, Form()] = None,
        client_secret: Annotated[str | None, Form(json_schema_extra={"format": "password"})] = None,
        otp: Annotated[str | None, Form(max_length=64)] = None,
    ):
        super().__init__(
            grant_type=grant_type, username=username, password=password, scope=scope,
            client_id=client_id, client_secret=client_secret,
        )
        self.otp = otp


class UserRead(BaseModel):
    id: int
    username: str
    email: str | None
    full_name: str | None
    disabled: bool
    scopes: list[str]
    roles: list[str]
    created_at: datetime
    updated_at: datetime


class UserUpdate(BaseModel):
    email: str | None = Field(default=None, max_length=320, pattern=PRINTABLE)
    full_name: str | None = Field(default=None, max_length=200, pattern=PRINTABLE)
    disabled: bool | None = None
    scopes: list[ScopeToken] | None = None
    roles: list[RoleName] | None = None
    password: str | None = Field(default=None, min_length=1, max_length=1024)


class ProfileUpdate(BaseModel):
    current_password: str | None = Field(default=None, min_length=1, max_length=1024)
    password: str | None = Field(default=None, min_length=1, max_length=1024)
    email: str | None = Field(default=None, min_length=3, max_length=254, json_schema_extra={"format": "email"})
    full_name: str | None = Field(default=None, max_length=200, pattern=PRINTABLE)


# The dependency order below is the order of each route's `security` list.


async def reading_user(
    security_scopes: SecurityScopes,
    token: Annotated[str | None, Depends(oauth2_scheme)],
    key_in_header: Annotated[str | None, Depends(api_key_header)],
    key_in_query: Annotated[str | None, Depends(api_key_query)],
    key_in_cookie: Annotated[str | None, Depends(api_key_cookie)],
    basic: Annotated[HTTPBasicCredentials | None, Depends(http_basic)],
):
    """Gatehouse `Schemes.user(readOnly: true)`."""


async def me_user(
    security_scopes: SecurityScopes,
    token: Annotated[str | None, Depends(oauth2_scheme)],
    key_in_header: Annotated[str | None, Depends(api_key_header)],
    key_in_query: Annotated[str | None, Depends(api_key_query)],
    key_in_cookie: Annotated[str | None, Depends(api_key_cookie)],
    basic: Annotated[HTTPBasicCredentials | None, Depends(http_basic)],
    session: Annotated[str | None, Depends(session_cookie)],
):
    """Gatehouse `Schemes.user(scopes: ["me"], sessionCookie: true)`."""


async def active_reading_user(user: Annotated[User, Security(reading_user, scopes=["me"])]):
    """tutorial005's get_current_active_user."""


async def writing_user(
    security_scopes: SecurityScopes,
    token: Annotated[str | None, Depends(oauth2_scheme)],
    key_in_header: Annotated[str | None, Depends(api_key_header)],
    basic: Annotated[HTTPBasicCredentials | None, Depends(http_basic)],
):
    """Gatehouse `Schemes.user(readOnly: false)`."""


async def login_user(
    security_scopes: SecurityScopes,
    token: Annotated[str | None, Depends(oauth2_scheme)],
    basic: Annotated[HTTPBasicCredentials | None, Depends(http_basic)],
    session: Annotated[str | None, Depends(session_cookie)],
):
    """Gatehouse `Schemes.login`."""


async def token_user(
    token: Annotated[str | None, Depends(oauth2_scheme)],
    session: Annotated[str | None, Depends(session_cookie)],
):
    """Gatehouse `Schemes.token(orCookie: true)`."""


async def checking_user(
    security_scopes: SecurityScopes,
    token: Annotated[str | None, Depends(oauth2_scheme)],
    key_in_header: Annotated[str | None, Depends(api_key_header)],
    key_in_query: Annotated[str | None, Depends(api_key_query)],
    key_in_cookie: Annotated[str | None, Depends(api_key_cookie)],
    basic: Annotated[HTTPBasicCredentials | None, Depends(http_basic)],
    session: Annotated[str | None, Depends(session_cookie)],
):
    """Gatehouse `Schemes.user(…, sessionCookie: true)`."""


async def admin_user(
    token: Annotated[str | None, Depends(oauth2_scheme)],
    key_in_header: Annotated[str | None, Depends(api_key_header)],
    basic: Annotated[HTTPBasicCredentials | None, Depends(http_basic)],
):
    """Gatehouse `Schemes.admin`."""


app = FastAPI(title="Gatehouse", version="0.1.0")


@app.post("/token", response_model=Token, responses=answers(400, 503))
async def login_for_access_token(form_data: Annotated[LoginForm, Depends()]):
    pass


@app.get("/users/me/", response_model=User, responses=answers(400, 401, 503))
async def read_users_me(user: Annotated[User, Security(me_user, scopes=["me"])]):
    pass


@app.patch("/users/me/", response_model=User, responses=answers(400, 401, 403, 429, 503))
async def update_users_me(body: ProfileUpdate, user: Annotated[User, Security(login_user, scopes=["me"])]):
    pass


@app.get("/users/me/api-keys", response_model=list[APIKey], responses=answers(400, 401, 503))
async def list_api_keys(user: Annotated[User, Security(login_user, scopes=["me"])]):
    pass


@app.post("/users/me/api-keys", response_model=APIKeyCreated, status_code=201, responses=answers(400, 401, 403, 503))
async def create_api_key(body: APIKeyCreate, user: Annotated[User, Security(login_user, scopes=["me"])]):
    pass


@app.delete("/users/me/api-keys/{key_id}", status_code=204, responses=answers(400, 401, 403, 404, 503))
async def revoke_api_key(key_id: str, user: Annotated[User, Security(login_user, scopes=["me"])]):
    pass


@app.get("/users/me/totp", response_model=TOTPStatus, responses=answers(400, 401, 503))
async def read_totp(user: Annotated[User, Security(login_user, scopes=["me"])]):
    pass


@app.post("/users/me/totp", response_model=TOTPEnrolment, responses=answers(400, 401, 403, 503))
async def start_totp_enrolment(body: TOTPProof, user: Annotated[User, Security(login_user, scopes=["me"])]):
    pass


@app.post("/users/me/totp/confirm", response_model=RecoveryCodes, responses=answers(400, 401, 403, 503))
async def confirm_totp(body: TOTPConfirmation, user: Annotated[User, Security(login_user, scopes=["me"])]):
    pass


@app.delete("/users/me/totp", status_code=204, responses=answers(400, 401, 403, 503))
async def disable_totp(body: TOTPProof, user: Annotated[User, Security(login_user, scopes=["me"])]):
    pass


@app.post("/logout", status_code=204, responses=answers(400, 401, 403, 503, alternatives=[303]))
async def logout(user: Annotated[User, Depends(token_user)]):
    pass


@app.get("/login", response_class=HTMLResponse)
async def sign_in_page(rd: str | None = None):
    pass


@app.post("/login", status_code=303, response_class=Response, responses=answers(403, 503, alternatives=[200, 401, 429]))
async def sign_in(
    username: Annotated[str, Form(min_length=1)],
    password: Annotated[str, Form(min_length=1, json_schema_extra={"format": "password"})],
    rd: Annotated[str, Form()] = "/",
):
    pass


@app.post("/login/code", status_code=303, response_class=Response, responses=answers(403, 503, alternatives=[401, 429]))
async def sign_in_code(
    pending: Annotated[str, Form(min_length=1, max_length=64)],
    otp: Annotated[str, Form(min_length=1, max_length=64)],
    rd: Annotated[str, Form()] = "/",
):
    pass


@app.post("/revoke", response_class=Response, responses=answers(400, 503))
async def revoke_token(token: Annotated[str, Form(min_length=1)], token_type_hint: Annotated[str | None, Form()] = None):
    pass


@app.get("/users/me/sessions", response_model=list[Session], responses=answers(400, 401, 503))
async def list_sessions(user: Annotated[User, Security(login_user, scopes=["me"])]):
    pass


@app.delete("/users/me/sessions", status_code=204, responses=answers(400, 401, 403, 503))
async def end_other_sessions(user: Annotated[User, Security(login_user, scopes=["me"])]):
    pass


@app.delete("/users/me/sessions/{session_id}", status_code=204, responses=answers(400, 401, 403, 404, 503))
async def end_session(session_id: str, user: Annotated[User, Security(login_user, scopes=["me"])]):
    pass


@app.get("/users/", response_model=list[UserRead], responses=answers(400, 401, 403, 503))
async def list_users(
    user: Annotated[User, Depends(admin_user)],
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
):
    pass


@app.get("/users/{user_id}", response_model=UserRead, responses=answers(400, 401, 403, 404, 503))
async def read_user(user_id: int, user: Annotated[User, Depends(admin_user)]):
    pass


@app.patch("/users/{user_id}", response_model=UserRead, responses=answers(400, 401, 403, 404, 503, alternatives=[204]))
async def update_user(user_id: int, body: UserUpdate, user: Annotated[User, Depends(admin_user)]):
    pass


@app.delete("/users/{user_id}", status_code=204, responses=answers(400, 401, 403, 404, 503))
async def delete_user(user_id: int, user: Annotated[User, Depends(admin_user)]):
    pass


@app.get("/check", status_code=204, responses=answers(401, 403, 503))
async def check(
    caller: Annotated[User, Depends(checking_user)],
    scope: str | None = None,
    role: str | None = None,
    permission: str | None = None,
    user: str | None = None,
    mfa: str | None = None,
    verified: str | None = None,
):
    return None


@app.post("/token/introspect", responses=answers(400, 401, 403, 503))
async def introspect_token(
    token: Annotated[str, Form(min_length=1)],
    caller: Annotated[User, Depends(admin_user)],
    token_type_hint: Annotated[str | None, Form()] = None,
):
    return {}


@app.get("/health")
async def health():
    pass


@app.get("/.well-known/jwks.json")
async def jwks():
    pass


@app.get("/users/me/items/", responses=answers(400, 401, 503))
async def read_own_items(user: Annotated[User, Security(active_reading_user, scopes=["items"])]):
    pass


@app.get("/status/", responses=answers(401, 503))
async def read_system_status(user: Annotated[User, Depends(reading_user)]):
    pass


if __name__ == "__main__":
    root_path = sys.argv[1] if len(sys.argv) > 1 else ""
    client = TestClient(app, root_path=root_path)
    response = client.get("/openapi.json")
    response.raise_for_status()
    sys.stdout.write(response.text)
