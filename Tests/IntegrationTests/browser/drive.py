"""Drives the demo site (or /docs) in headless Chromium through selenium, as a person would.

Usage: python drive.py SCENARIO --base http://127.0.0.1:PORT --driver http://127.0.0.1:PORT --out DIR [--mail DIR]

SCENARIO is site, docs, docs-missing, accounts, invite, two-factor or reset. The chromedriver at
--driver is the test's own (started and stopped by BrowserTests); --mail is the folder
where Gatehouse's file transport writes each message as an .eml file.
Each step leaves a screenshot NN-name.png in --out; the browser's console must stay free
of errors from the first page to the last. Exits non-zero, with what went wrong on
standard error, at the first step that fails.
"""

import argparse
import email
import email.policy
import json
import os
import re
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import pyotp
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

WAIT_SECONDS = 10


class Browser:
    def __init__(self, driver_url, out, base, mail):
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        self.profile = tempfile.TemporaryDirectory(prefix="gatehouse-chromium-")
        for arg in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                    "--window-size=1280,1100", f"--user-data-dir={self.profile.name}", "--password-store=basic",
                    "--no-first-run", "--no-default-browser-check", "--disable-extensions"]:
            options.add_argument(arg)
        # No password manager: its leak check would otherwise look "secret" up.
        options.add_experimental_option("prefs", {
            "credentials_enable_service": False, "profile.password_manager_enabled": False,
            "profile.password_manager_leak_detection": False,
        })
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Remote(command_executor=driver_url, options=options)
        self.out = out
        self.base = base
        self.mail = Mailbox(mail)
        self.step = 0
        self.console = []

    def quit(self):
        try:
            self.driver.quit()
        finally:
            self.profile.cleanup()

    def wait(self, condition, what):
        try:
            return WebDriverWait(self.driver, WAIT_SECONDS).until(condition)
        except Exception as error:
            self.shot("failed")
            raise AssertionError(f"{what}: not so after {WAIT_SECONDS} s (at {self.driver.current_url})") from error

    def find(self, css):
        return self.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, css)), f"{css} is shown")

    def click(self, css):
        self.wait(EC.element_to_be_clickable((By.CSS_SELECTOR, css)), f"{css} can be clicked").click()

    def text_in(self, css, text):
        self.wait(EC.text_to_be_present_in_element((By.CSS_SELECTOR, css), text), f"{css} says {text!r}")

    def at(self, path_and_query):
        def arrived(driver):
            url = urllib.parse.urlsplit(driver.current_url)
            here = url.path + ("?" + url.query if url.query else "")
            return here == path_and_query and driver.execute_script("return document.readyState") == "complete"
        self.wait(arrived, f"the browser is at {path_and_query}")

    def shot(self, name):
        self.step += 1
        path = f"{self.out}/{self.step:02d}-{name}.png"
        self.driver.save_screenshot(path)
        self.read_console()
        return path

    def read_console(self):
        # chromedriver's log endpoint (webdriver.Remote has no get_log of its own).
        entries = self.driver.execute("getLog", {"type": "browser"})["value"]
        self.console += [entry for entry in entries if entry.get("level") == "SEVERE"]

    def expect_refusals(self, *answers):
        """The console's errors since the last check are exactly these refused requests,
        (path, status) each, which the page showed: Chromium logs every 4xx a fetch gets."""
        self.read_console()
        seen = sorted(entry["message"] for entry in self.console)
        wanted = sorted(f"{self.base}{path} - Failed to load resource: the server responded with a status of {status} ({reason})"
                        for path, status, reason in answers)
        self.console = []
        expect(seen == wanted, f"console errors: {seen}, expected {wanted}")

    def assert_console_clean(self):
        self.read_console()
        if self.console:
            raise AssertionError("console errors:\n" + "\n".join(entry["message"] for entry in self.console))


def http(base, method, path, headers=None, data=None):
    """One request outside the browser: (status, body)."""
    request = urllib.request.Request(base + path, method=method, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


class Mailbox:
    """The file transport's folder: each message once, as a person reads their mail."""

    def __init__(self, folder):
        self.folder = folder
        self.read = set()

    def link(self, to, start):
        """The link starting with `start` in the first unread message to `to` (waits for its delivery)."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            names = sorted(os.listdir(self.folder)) if os.path.isdir(self.folder) else []
            for name in names:
                if not name.endswith(".eml") or name in self.read:
                    continue
                with open(os.path.join(self.folder, name), "rb") as file:
                    message = email.message_from_binary_file(file, policy=email.policy.default)
                text = message.get_body(preferencelist=("plain",))
                found = re.search(re.escape(start) + r"[A-Za-z0-9_\-]+", text.get_content()) if text else None
                if not found:
                    continue  # still being written
                self.read.add(name)
                expect(message["To"].addresses[0].addr_spec == to, f"{name} is to {to}: {message['To']}")
                return found.group(0)
            time.sleep(0.2)
        raise AssertionError(f"no message to {to} with a link at {start} in {self.folder} after {WAIT_SECONDS} s")


def sign_in(b, username, password, code=None):
    """The sign-in page from /account/: its password step, and its code step when `code` is given."""
    b.driver.get(b.base + "/account/")
    b.at("/auth/login?rd=/account/")
    b.find("#username").send_keys(username)
    b.find("#password").send_keys(password)
    b.click("button[type=submit]")
    if code is not None:
        b.find("#otp").send_keys(code())
        b.shot("sign-in-code-step")
        b.click("button[type=submit]")
    b.at("/account/")
    b.text_in("#account-title", f"Signed in as {username}")


def password_signs_in(base, username, password):
    """Whether /token takes the password, outside the browser; a refusal is tutorial005's 400."""
    data = urllib.parse.urlencode({"username": username, "password": password, "scope": "me"}).encode()
    status, body = http(base, "POST", "/auth/token", {"Content-Type": "application/x-www-form-urlencoded"}, data)
    if status == 200:
        return True
    expect((status, body) == (400, '{"detail":"Incorrect username or password"}'), f"/token refused {username}: {status} {body}")
    return False


def site(b, base):
    d = b.driver
    # Another session of johndoe's (a script's), for the page to list and end.
    status, body = http(base, "POST", "/auth/token", {"Content-Type": "application/x-www-form-urlencoded"},
                        b"username=johndoe&password=secret&scope=me")
    expect(status == 200, f"a token for the other session: {status} {body}")
    other_token = json.loads(body)["access_token"]

    d.get(base + "/")
    b.find("#sign-in")
    b.shot("home")
    b.click("#sign-in")
    b.at("/auth/login?rd=/account/")
    b.find("#username").send_keys("johndoe")
    b.find("#password").send_keys("secret")
    b.shot("sign-in-page")
    b.click("button[type=submit]")

    b.at("/account/")
    b.text_in("#account-title", "Signed in as johndoe")
    b.text_in("dd[data-field=email]", "johndoe@example.com")
    b.text_in("dd[data-field=full_name]", "John Doe")
    expect(d.execute_script("return document.cookie") == "", "the session cookie is HttpOnly: JavaScript sees no cookie")
    expect(d.execute_script("return localStorage.length + sessionStorage.length") == 0, "nothing is kept in storage")
    b.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#sessions tr")) == 2, "two sessions are listed")
    b.shot("account")

    d.get(base + "/private/")
    b.text_in("#private-title", "A private page")
    b.shot("private-page")

    d.get(base + "/account/")
    b.text_in("#account-title", "Signed in as johndoe")
    b.find("#key-name").send_keys("selenium")
    b.click("#create-key")
    key_input = b.find("#new-key-value")
    b.wait(lambda d: key_input.get_attribute("value").startswith("gh_"), "the new key is shown once")
    key = key_input.get_attribute("value")
    b.text_in("#keys tr th", "selenium")
    b.text_in("#keys tr td.status", "Active")
    b.shot("key-created")
    expect(http(base, "GET", "/auth/users/me/", {"X-API-Key": key})[0] == 200, "the new key opens /users/me/")
    b.click("#dismiss-key")
    b.click("#keys tr button.danger")
    b.text_in("#keys tr td.status", "Revoked")
    b.shot("key-revoked")
    expect(http(base, "GET", "/auth/users/me/", {"X-API-Key": key})[0] == 401, "the revoked key opens nothing")

    expect(http(base, "GET", "/auth/users/me/", {"Authorization": "Bearer " + other_token})[0] == 200,
           "the other session's token works before it is ended")
    b.click("#sessions tr:not(.is-current) button.danger")
    b.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#sessions tr")) == 1, "one session is left")
    b.text_in("#sessions tr.is-current", "This session")
    b.shot("session-ended")
    expect(http(base, "GET", "/auth/users/me/", {"Authorization": "Bearer " + other_token})[0] == 401,
           "the ended session's token opens nothing")

    b.click("#logout")
    b.at("/auth/login")
    b.find("#username")
    b.shot("signed-out")
    d.get(base + "/private/")
    b.at("/auth/login?rd=/private/")
    b.find("#username").send_keys("johndoe")
    b.shot("private-asks-to-sign-in")
    b.find("#password").send_keys("secret")
    b.click("button[type=submit]")
    b.at("/private/")
    b.text_in("#private-title", "A private page")
    b.shot("back-at-private")

    status, body = http(base, "POST", "/auth/token", {"Content-Type": "application/x-www-form-urlencoded"},
                        b"username=johndoe&password=secret&scope=me")
    expect(status == 200, f"a token for another session: {status} {body}")
    another_token = json.loads(body)["access_token"]
    d.get(base + "/account/")
    b.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#sessions tr")) == 2, "two sessions are listed again")
    b.click("#sign-out-everywhere")
    b.at("/auth/login")
    b.shot("signed-out-everywhere")
    expect(http(base, "GET", "/auth/users/me/", {"Authorization": "Bearer " + another_token})[0] == 401,
           "signing out everywhere ended the other session too")
    d.get(base + "/account/")
    b.at("/auth/login?rd=/account/")
    b.assert_console_clean()


def docs(b, base):
    d = b.driver
    d.get(base + "/auth/docs")
    b.find(".swagger-ui .information-container .title")
    b.text_in(".swagger-ui .information-container .title", "Gatehouse")
    b.shot("swagger-ui")
    b.click(".swagger-ui .auth-wrapper .btn.authorize")
    b.find("#oauth_username").send_keys("johndoe")
    b.find("#oauth_password").send_keys("secret")
    for box in d.find_elements(By.CSS_SELECTOR, ".modal-ux .scopes input[type=checkbox]"):
        if box.get_attribute("data-value") == "me" and not box.is_selected():
            d.execute_script("arguments[0].click()", box)
    b.shot("authorize-dialog")
    b.click(".modal-ux .auth-btn-wrapper .btn.modal-btn.auth.authorize")
    b.wait(lambda d: any(button.text == "Logout" for button in d.find_elements(By.CSS_SELECTOR, ".modal-ux .auth-btn-wrapper button")),
           "Authorize got a token (the dialog offers Logout)")
    b.shot("authorized")
    b.click(".modal-ux .btn-done")

    operation = "#operations-default-read_users_me_users_me__get"
    b.click(operation + " .opblock-summary")
    b.click(operation + " .try-out__btn")
    b.click(operation + " .btn.execute")
    b.text_in(operation + " .live-responses-table tbody .response-col_status", "200")
    b.text_in(operation + " .live-responses-table tbody .response-col_description", '"username": "johndoe"')
    b.shot("users-me-200")
    b.assert_console_clean()


def docs_missing(b, base):
    d = b.driver
    d.get(base + "/auth/docs")
    b.text_in("#docs-missing", "Swagger UI's files were not found at /auth/docs/")
    link = b.find("#docs-missing a")
    expect(link.get_attribute("href") == base + "/auth/openapi.json", f"the note links the schema: {link.get_attribute('href')}")
    b.shot("docs-without-swagger-ui")
    b.read_console()
    missing = sorted(entry["message"].split(" ")[0] for entry in b.console)
    expect(missing == [base + "/auth/docs/" + name for name in ["favicon-32x32.png", "swagger-ui-bundle.js", "swagger-ui.css"]],
           "the only console errors are the missing files: " + "; ".join(entry["message"] for entry in b.console))


def accounts(b, base):
    """Register (the link mailed, and again on request), verify through the mailed link (a
    second time refused), sign in, change the password (the old one is refused, so is a wrong
    current password), change the email and verify the new one."""
    d = b.driver
    d.get(base + "/")
    b.click("#register-link")
    b.at("/register")
    b.find("#register-username").send_keys("ann")
    b.find("#register-email").send_keys("ann@example.com")
    b.find("#register-full-name").send_keys("Ann Example")
    b.find("#register-password").send_keys("annpass1")
    b.shot("register")
    b.click("#register")
    b.text_in("#registered-message", "Account ann created, for ann@example.com.")
    b.shot("registered")
    b.mail.link("ann@example.com", base + "/verify?token=ghv_")  # mailed at registration
    b.click("#send-verification")
    b.text_in("#verification-sent", "A new link is on its way to ann@example.com.")
    b.shot("verification-sent-again")

    link = b.mail.link("ann@example.com", base + "/verify?token=ghv_")
    d.get(link)
    b.text_in("#verify-state", "Your email ann@example.com is verified, ann.")
    expect(urllib.parse.urlsplit(d.current_url).path == "/verify" and "ghv_" not in d.current_url,
           f"the token is off the address bar: {d.current_url}")
    b.shot("verified")
    b.click("#verified-account")
    b.at("/auth/login?rd=/account/")
    d.get(link)
    b.text_in("#verify-state", "This link does not verify anything: it was used, it expired, or the email changed since.")
    b.text_in("#page-error", "HTTP 400 Bad Request — VERIFY_USER_BAD_TOKEN")
    b.find("#verify-email")
    b.shot("link-used-twice")
    b.expect_refusals(("/auth/verify", 400, "Bad Request"))
    d.get(base + "/account/")
    b.at("/auth/login?rd=/account/")
    b.find("#username").send_keys("ann")
    b.find("#password").send_keys("annpass1")
    b.click("button[type=submit]")
    b.at("/account/")
    b.text_in("#account-title", "Signed in as ann")
    b.text_in("dd[data-field=full_name]", "Ann Example")
    b.wait(lambda d: d.find_element(By.ID, "profile-email").get_attribute("value") == "ann@example.com",
           "the form shows the current email")
    b.shot("account")

    b.find("#profile-password").send_keys("annpass2")
    b.find("#profile-current-password").send_keys("annpass1")
    b.click("#save-profile")
    b.text_in("#profile-status", "Your password is changed; your other sessions are signed out.")
    b.shot("password-changed")
    expect(not password_signs_in(base, "ann", "annpass1"), "the old password is refused")
    expect(password_signs_in(base, "ann", "annpass2"), "the new password signs in")
    d.refresh()
    b.text_in("#account-title", "Signed in as ann")  # this session lived on
    b.find("#profile-password").send_keys("annpass3")
    b.find("#profile-current-password").send_keys("annpass1")
    b.click("#save-profile")
    b.text_in("#profile-error", "HTTP 400 Bad Request — UPDATE_USER_BAD_CURRENT_PASSWORD")
    b.shot("wrong-current-password")
    b.expect_refusals(("/auth/users/me/", 400, "Bad Request"))
    expect(password_signs_in(base, "ann", "annpass2"), "a wrong current password changed nothing")
    b.find("#profile-password").clear()
    b.find("#profile-current-password").clear()

    email_input = b.find("#profile-email")
    b.wait(lambda d: email_input.get_attribute("value") == "ann@example.com", "the form shows the current email")
    email_input.clear()
    email_input.send_keys("ann@example.org")
    b.find("#profile-current-password").send_keys("annpass2")
    b.click("#save-profile")
    b.text_in("#profile-status", "Your email is now ann@example.org: follow the link mailed there to verify it.")
    b.text_in("dd[data-field=email]", "ann@example.org")
    b.shot("email-changed")
    d.get(b.mail.link("ann@example.org", base + "/verify?token=ghv_"))
    b.text_in("#verify-state", "Your email ann@example.org is verified, ann.")
    b.shot("new-email-verified")
    d.get(base + "/account/")
    b.click("#logout")
    b.at("/auth/login")
    b.assert_console_clean()


def invite(b, base):
    """Registration by invitation: refused without the code, done with the mailed link's."""
    d = b.driver

    def register():
        b.find("#register-username").send_keys("bob")
        b.find("#register-email").send_keys("bob@example.com")
        b.find("#register-password").send_keys("bobpass1")
        b.click("#register")

    d.get(base + "/register")
    expect(not b.driver.find_element(By.ID, "register-invited").is_displayed(), "no invitation is mentioned without a code")
    register()
    b.text_in("#page-error", "HTTP 400 Bad Request — REGISTER_INVALID_INVITE")
    b.shot("register-without-invitation")
    b.expect_refusals(("/auth/register", 400, "Bad Request"))

    d.get(b.mail.link("bob@example.com", base + "/register?invite=ghi_"))
    b.at("/register")
    b.find("#register-invited")
    b.shot("invited")
    register()
    b.text_in("#registered-message", "Account bob created, for bob@example.com.")
    b.shot("registered-by-invitation")
    expect(password_signs_in(base, "bob", "bobpass1"), "the invited account signs in")
    b.assert_console_clean()


def two_factor(b, base):
    """Turn two-factor sign-in on with a code pyotp computes from the key the page shows,
    keep the recovery codes, sign in through the code step, turn it off (not with a wrong
    password; with a recovery code)."""
    d = b.driver
    sign_in(b, "johndoe", "secret")
    b.text_in("#totp-state", "Off")
    b.click("#totp-start")
    secret_input = b.find("#totp-secret")
    b.wait(lambda d: secret_input.get_attribute("value") != "", "the key for manual entry is shown")
    secret = secret_input.get_attribute("value")
    qr = b.find("#totp-qr svg")
    expect(qr.get_attribute("role") == "img" and len(d.find_elements(By.CSS_SELECTOR, "#totp-qr svg > rect")) == 1
           and len(d.find_elements(By.CSS_SELECTOR, "#totp-qr svg > path")) == 1, "the QR code is an SVG image of a rect and a path")
    expect(qr.size["width"] > 100 and qr.size["height"] == qr.size["width"], f"the QR code is drawn: {qr.size}")
    b.shot("two-factor-enrolment")
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8" viewBox="0 0 2 2" shape-rendering="crispEdges">'
    hostile = [
        svg.replace('<svg ', '<svg onload="document.title=1" ') + '</svg>',
        svg + '<script>document.title = 1</script></svg>',
        svg + '<a href="javascript:document.title=1"><path fill="#000" d="M0 0h1v1h-1z"/></a></svg>',
        svg + '<path fill="url(http://evil.example/#x)" d="M0 0h1v1h-1z"/></svg>',
        svg + '<path fill="#000" d="M0 0h1v1h-1z" style="fill:red"/></svg>',
        svg + '<foreignObject width="2" height="2"><p xmlns="http://www.w3.org/1999/xhtml">hi</p></foreignObject></svg>',
        svg + '<svg width="1" height="1"/></svg>',
        '<html xmlns="http://www.w3.org/1999/xhtml"><body>not an SVG</body></html>',
        'not XML at all',
    ]
    b.assert_console_clean()
    drawn = d.execute_script("return arguments[0].map((text) => qrCode(text, 'x') === null)", hostile)
    expect(drawn == [True] * len(hostile), f"only a QR code's rects and paths are drawn, nothing else: {drawn}")
    # Parsing them (into a document never shown) already meets the page's CSP, which blocks
    # their handler and styles and says so: the only console errors here, and expected.
    b.read_console()
    blocked, b.console = b.console, []
    expect(blocked and all("violates the following Content Security Policy directive" in entry["message"] for entry in blocked),
           "the CSP blocked what parsing met: " + "; ".join(entry["message"] for entry in blocked))
    expect(d.execute_script("return qrCode(arguments[0], 'x') instanceof SVGSVGElement",
                            svg + '<rect width="2" height="2" fill="#fff"/><path fill="#000" d="M0 0h1v1h-1z"/></svg>'),
           "a QR code's shape is drawn")
    totp = pyotp.TOTP(secret)
    b.find("#totp-code").send_keys(totp.now())
    b.click("#totp-confirm")
    b.text_in("#totp-recovery", "Two-factor sign-in is on")
    codes = [item.text for item in d.find_elements(By.CSS_SELECTOR, "#totp-recovery-codes li")]
    expect(len(codes) == 10 and len(set(codes)) == 10 and all(codes), f"ten recovery codes are shown: {codes}")
    expect(secret_input.get_attribute("value") == "", "the key is gone from the page")
    b.shot("recovery-codes")

    b.click("#totp-sign-in")
    b.at("/auth/login?rd=/account/")
    b.shot("sessions-ended")
    # The confirmation spent the current step's code; the next step's is within the skew Gatehouse allows.
    sign_in(b, "johndoe", "secret", code=lambda: totp.at(time.time() + 30))
    b.text_in("#totp-state", "On since")
    b.text_in("#totp-state", "10 recovery codes left.")
    b.shot("signed-in-with-code")

    b.find("#totp-disable-password").send_keys("not-the-password")
    b.click("#totp-disable")
    b.text_in("#totp-error", "HTTP 400 Bad Request — Incorrect one-time code or password")
    b.shot("two-factor-not-off-with-a-wrong-password")
    b.expect_refusals(("/auth/users/me/totp", 400, "Bad Request"))
    b.find("#totp-disable-password").clear()
    b.find("#totp-disable-code").send_keys(codes[0])
    b.click("#totp-disable")
    b.text_in("#totp-done", "Two-factor sign-in is off.")
    b.shot("two-factor-off")
    b.click("#totp-off-sign-in")
    sign_in(b, "johndoe", "secret")
    b.text_in("#totp-state", "Off")
    b.shot("signed-in-without-code")
    b.assert_console_clean()


def reset(b, base):
    """Forgot password from the home page, the mailed link, a new password, sign in with it."""
    d = b.driver
    d.get(base + "/")
    b.click("#forgot-link")
    b.at("/forgot-password")
    b.find("#forgot-email").send_keys("johndoe@example.com")
    b.shot("forgot-password")
    b.click("#forgot")
    b.text_in("#forgot-sent", "If an account has this address, a link is on its way to it")
    b.shot("reset-link-sent")

    link = b.mail.link("johndoe@example.com", base + "/reset-password?token=ghpw_")
    d.get(link)
    b.at("/reset-password")
    expect("ghpw_" not in d.current_url, f"the token is off the address bar: {d.current_url}")
    b.find("#reset-password").send_keys("brand-new-secret")
    b.find("#reset-password-again").send_keys("brand-new-secret")
    b.shot("reset-password")
    b.click("#reset-submit")
    b.text_in("#reset-done", "Your password is changed.")
    b.shot("password-reset")
    d.get(link)
    b.find("#reset-password").send_keys("another-new-secret")
    b.find("#reset-password-again").send_keys("another-new-secret")
    b.click("#reset-submit")
    b.text_in("#page-error", "HTTP 400 Bad Request — RESET_PASSWORD_BAD_TOKEN")
    b.find("#reset-again a")
    b.shot("reset-link-used-twice")
    b.expect_refusals(("/auth/reset-password", 400, "Bad Request"))
    d.get(base + "/reset-password")
    b.text_in("#page-error", "This address carries no reset token")
    expect(not password_signs_in(base, "johndoe", "another-new-secret"), "a spent reset link changes nothing")
    expect(not password_signs_in(base, "johndoe", "secret"), "the old password is refused")
    d.get(base + "/account/")
    b.at("/auth/login?rd=/account/")
    b.find("#username").send_keys("johndoe")
    b.find("#password").send_keys("brand-new-secret")
    b.click("button[type=submit]")
    b.at("/account/")
    b.text_in("#account-title", "Signed in as johndoe")
    b.shot("signed-in-with-new-password")
    b.assert_console_clean()


def main():
    parser = argparse.ArgumentParser()
    scenarios = {"site": site, "docs": docs, "docs-missing": docs_missing, "accounts": accounts, "invite": invite,
                 "two-factor": two_factor, "reset": reset}
    parser.add_argument("scenario", choices=list(scenarios))
    parser.add_argument("--base", required=True)
    parser.add_argument("--driver", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--mail", default="")
    args = parser.parse_args()
    b = Browser(args.driver, args.out, args.base, args.mail)
    try:
        scenarios[args.scenario](b, args.base)
    except AssertionError as error:
        print(f"{args.scenario}: {error}", file=sys.stderr)
        return 1
    finally:
        b.quit()
    print(f"{args.scenario}: {b.step} steps, screenshots in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
