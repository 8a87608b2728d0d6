"""Drives the demo site (or /docs) in headless Chromium through selenium, as a person would.

Usage: python drive.py site|docs|docs-missing --base http://127.0.0.1:PORT --driver http://127.0.0.1:PORT --out DIR

The chromedriver at --driver is the test's own (started and stopped by BrowserTests).
Each step leaves a screenshot NN-name.png in --out; the browser's console must stay free
of errors from the first page to the last. Exits non-zero, with what went wrong on
standard error, at the first step that fails.
"""

import argparse
import json
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

WAIT_SECONDS = 10


class Browser:
    def __init__(self, driver_url, out):
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=["site", "docs", "docs-missing"])
    parser.add_argument("--base", required=True)
    parser.add_argument("--driver", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    b = Browser(args.driver, args.out)
    try:
        {"site": site, "docs": docs, "docs-missing": docs_missing}[args.scenario](b, args.base)
    except AssertionError as error:
        print(f"{args.scenario}: {error}", file=sys.stderr)
        return 1
    finally:
        b.quit()
    print(f"{args.scenario}: {b.step} steps, screenshots in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
