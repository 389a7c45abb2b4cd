#!/usr/bin/env python3
"""The web admin's flows in a real headless Chromium (selenium + Debian's chromedriver).

Run by Tests/IntegrationTests/WebAdminBrowserTests.swift against a live `smokeflow serve`
(web admin and API on loopback). Every flow asserts on what the page shows and on the store
afterwards, read through the REST API. Screenshots go to --artefacts. Exits non-zero on the
first failure, naming the flow; prints one line per flow passed."""
import argparse, http.server, json, os, sys, threading, time, urllib.request
import html5lib
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait
from selenium.common.exceptions import NoAlertPresentException, StaleElementReferenceException, WebDriverException
from selenium.webdriver.support import expected_conditions

parser = argparse.ArgumentParser()
parser.add_argument("--base", required=True)
parser.add_argument("--api", required=True)
parser.add_argument("--token", required=True)
parser.add_argument("--password", required=True)
parser.add_argument("--artefacts", required=True)
parser.add_argument("--site-list", required=True, help="a Tranco-style CSV to import")
args = parser.parse_args()
os.makedirs(args.artefacts, exist_ok=True)

def fail(flow, message):
    print(f"FAILED {flow}: {message}", file=sys.stderr)
    try:
        driver.save_screenshot(os.path.join(args.artefacts, f"failed-{flow}.png"))
        print(f"page: {driver.current_url}\n{driver.page_source[:3000]}", file=sys.stderr)
    except Exception:
        pass
    sys.exit(1)

def check(flow, condition, message):
    if not condition: fail(flow, message)

def api_targets():
    request = urllib.request.Request(args.api + "/targets", headers={"Authorization": "Bearer " + args.token})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["targets"]

def by_name(name):
    return next((t for t in api_targets() if t["name"] == name), None)

options = webdriver.ChromeOptions()
options.binary_location = os.environ.get("SMOKEFLOW_CHROMIUM", "/usr/bin/chromium")
for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1000",
             "--no-first-run", "--disable-extensions", "--disable-background-networking"]:
    options.add_argument(flag)
options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(service=Service(os.environ.get("SMOKEFLOW_CHROMEDRIVER", "/usr/bin/chromedriver")), options=options)
driver.set_page_load_timeout(30)
wait = WebDriverWait(driver, 10)
checked_pages = set()

def console_errors():
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]

def page_checks(flow):
    """No console error, and the page's own HTML (as served) parses strictly."""
    errors = console_errors()
    check(flow, not errors, f"console errors on {driver.current_url}: {errors}")
    path = driver.current_url.split("#")[0]
    if path in checked_pages: return
    checked_pages.add(path)
    cookie = driver.get_cookie("smokeflow_session")
    request = urllib.request.Request(path, headers={"Cookie": f"smokeflow_session={cookie['value']}"} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
            kind = response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        body, kind = error.read(), error.headers.get("Content-Type", "")
    if "text/html" in kind:
        try:
            html5lib.HTMLParser(strict=True).parse(body)
        except Exception as error:
            fail(flow, f"{path} is not valid HTML: {error}")

def replaced(old):
    """True once `old` is out of the document. Chromium answers a query on a node of the page
    being replaced as stale or, mid-navigation, "Node with given id does not belong to the
    document" (a plain WebDriverException, seen with Chromium 156): both mean it was replaced."""
    def check(_):
        try:
            old.is_enabled()
            return False
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            if "does not belong to the document" in str(error):
                return True
            raise
    return check

def go(element, confirm=False):
    """Clicks what submits a form or follows a link, and waits for the next page to replace this
    one: a check right after a click must never race the request it sent."""
    old = driver.find_element(By.TAG_NAME, "html")
    element.click()
    if confirm:
        WebDriverWait(driver, 10).until(expected_conditions.alert_is_present())
        driver.switch_to.alert.accept()
    WebDriverWait(driver, 15).until(replaced(old))

def submit(form_field_locator):
    driver.find_element(*form_field_locator).click()

def passed(flow):
    print(f"passed {flow}", flush=True)

# --- sign in: bad, fixation, next ------------------------------------------------------------
flow = "login"
driver.get(args.base + "/targets")
check(flow, "/login" in driver.current_url, "an anonymous visit is sent to the login page")
page_checks(flow)
before = driver.get_cookie("smokeflow_session")["value"]
driver.find_element(By.NAME, "username").send_keys("admin")
driver.find_element(By.NAME, "password").send_keys("wrong")
go(driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button"))
check(flow, "Wrong user or password" in driver.page_source, "a bad password says so")
driver.get_log("browser")  # the 401 of the refused sign-in is logged; it is meant
driver.get(args.base + "/login?next=//evil.example/")
driver.find_element(By.NAME, "username").send_keys("admin")
driver.find_element(By.NAME, "password").send_keys(args.password)
go(driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button"))
check(flow, driver.current_url == args.base + "/", f"next=//evil.example/ must land on / (at {driver.current_url})")
after = driver.get_cookie("smokeflow_session")
check(flow, after["value"] != before, "the session id changes at login (fixation)")
check(flow, after["httpOnly"], "the session cookie is HttpOnly")
check(flow, after.get("sameSite") == "Lax", "the session cookie is SameSite=Lax")
page_checks(flow)
driver.save_screenshot(os.path.join(args.artefacts, "dashboard.png"))
passed(flow)

# --- add, edit, toggle, delete -----------------------------------------------------------------
flow = "add-target"
driver.get(args.base + "/targets/new")
page_checks(flow)
driver.find_element(By.NAME, "host").send_keys("127.0.0.1")
go(driver.find_element(By.CSS_SELECTOR, "button[value=check]"))
check(flow, "127.0.0.1" in driver.find_element(By.ID, "host-answer").text, "the host's answer is shown before saving")
check(flow, by_name("browser_one") is None, "checking saves nothing")
name = driver.find_element(By.NAME, "name")
name.clear(); name.send_keys("browser_one")
driver.find_element(By.NAME, "title").send_keys("Browser one")
Select(driver.find_element(By.NAME, "category")).select_by_value("default")
go(driver.find_element(By.CSS_SELECTOR, "button[value=save]"))
check(flow, "/targets/" in driver.current_url and "Browser one" in driver.page_source, "saving shows the new target")
stored = by_name("browser_one")
check(flow, stored and stored["host"] == "127.0.0.1" and stored["probe"] == "FPing", f"the store has it with probe FPing: {stored}")
page_checks(flow)
passed(flow)

flow = "edit-target"
driver.get(args.base + f"/targets/{stored['id']}/edit")
title = driver.find_element(By.NAME, "title")
title.clear(); title.send_keys("Browser one, edited")
go(driver.find_element(By.CSS_SELECTOR, "button[value=save]"))
check(flow, "Browser one, edited" in driver.page_source, "the detail page shows the edit")
check(flow, by_name("browser_one")["title"] == "Browser one, edited", "the store has the edit")
passed(flow)

flow = "toggle-target"
driver.get(args.base + "/targets?q=browser_one")
go(driver.find_element(By.CSS_SELECTOR, f"tr[data-id='{stored['id']}'] button.toggle"))
check(flow, by_name("browser_one")["is_active"] is False, "the store has it inactive")
check(flow, "Activate" in driver.find_element(By.CSS_SELECTOR, f"tr[data-id='{stored['id']}'] button.toggle").text, "the row offers Activate")
passed(flow)

flow = "delete-target"
driver.get(args.base + "/targets?q=browser_one")
go(driver.find_element(By.CSS_SELECTOR, f"tr[data-id='{stored['id']}'] button.danger"), confirm=True)
wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, f"tr[data-id='{stored['id']}']"))
check(flow, by_name("browser_one") is None, "the store no longer has it")
page_checks(flow)
passed(flow)

# --- bulk ---------------------------------------------------------------------------------------
flow = "bulk-move-and-delete"
names = [t["name"] for t in api_targets() if t["name"].startswith("bulk_")]
check(flow, len(names) >= 3, f"the test prepared bulk_ targets: {names}")
driver.get(args.base + "/targets?q=bulk_&sort=name")
driver.save_screenshot(os.path.join(args.artefacts, "targets.png"))
page_checks(flow)
boxes = driver.find_elements(By.CSS_SELECTOR, "input[name=ids]")
boxes[0].click(); boxes[1].click()
Select(driver.find_element(By.NAME, "action")).select_by_value("move")
Select(driver.find_element(By.CSS_SELECTOR, "#bulk .bulk select[name=category]")).select_by_value("moved")
go(driver.find_element(By.CSS_SELECTOR, "#bulk .bulk button"), confirm=True)
moved = [t["name"] for t in api_targets() if t.get("category") == "moved"]
check(flow, moved == names[:2], f"the first two moved: {moved}")
driver.get(args.base + "/targets?q=bulk_&sort=name")
driver.find_element(By.ID, "select-all").click()
Select(driver.find_element(By.NAME, "action")).select_by_value("delete")
go(driver.find_element(By.CSS_SELECTOR, "#bulk .bulk button"), confirm=True)
check(flow, not [t for t in api_targets() if t["name"].startswith("bulk_")], "every bulk_ target deleted")
passed(flow)

# --- CSV import ----------------------------------------------------------------------------------
flow = "csv-import"
before_names = sorted(t["name"] for t in api_targets())
bad = "name,host,title,category,probe,active\ncsv_ok,127.0.0.5,ok,default,FPing,true\ncsv_bad,127.0.0.6,bad,no_such_category,FPing,true\n"
driver.get(args.base + "/targets/import")
driver.find_element(By.NAME, "csv").send_keys(bad)
go(driver.find_element(By.CSS_SELECTOR, "form[enctype] button"))
problems = driver.find_element(By.ID, "import-problems").text
check(flow, "line 3" in problems and "no_such_category" in problems, f"the bad row is named: {problems}")
check(flow, sorted(t["name"] for t in api_targets()) == before_names, "nothing written")
driver.get_log("browser")  # the preview's 422 is meant
good = "name,host,title,category,probe,active\ncsv_one,127.0.0.5,one,default,FPing,true\ncsv_two,127.0.0.6,two,default,FPing,false\n"
textarea = driver.find_element(By.CSS_SELECTOR, "form[enctype] textarea[name=csv]")
textarea.clear(); textarea.send_keys(good)
go(driver.find_element(By.CSS_SELECTOR, "form[enctype] button"))
check(flow, "2 new targets" in driver.find_element(By.ID, "import-preview").text, "the preview counts the rows")
check(flow, by_name("csv_one") is None, "a preview writes nothing")
go(driver.find_element(By.CSS_SELECTOR, "#import-preview button"))
check(flow, by_name("csv_one") and by_name("csv_two") and by_name("csv_two")["is_active"] is False, "both imported")
page_checks(flow)
passed(flow)

# --- site list ----------------------------------------------------------------------------------
flow = "site-list"
driver.get(args.base + "/sites")
driver.find_element(By.NAME, "file").send_keys(args.site_list)
top = driver.find_element(By.NAME, "top"); top.clear(); top.send_keys("3")
Select(driver.find_element(By.NAME, "category")).select_by_value("websites")
go(driver.find_element(By.CSS_SELECTOR, "form[enctype] button"))
review = driver.find_element(By.ID, "site-review").text
check(flow, "3 domains" in review, f"the top 3 are reviewed: {review}")
go(driver.find_element(By.CSS_SELECTOR, "#site-review button"))
sites = [t for t in api_targets() if t.get("category") == "websites"]
check(flow, len(sites) == 3, f"3 targets in websites: {[t['name'] for t in sites]}")
# The same list again: nothing duplicated.
driver.get(args.base + "/sites")
driver.find_element(By.NAME, "file").send_keys(args.site_list)
top = driver.find_element(By.NAME, "top"); top.clear(); top.send_keys("3")
Select(driver.find_element(By.NAME, "category")).select_by_value("websites")
go(driver.find_element(By.CSS_SELECTOR, "form[enctype] button"))
go(driver.find_element(By.CSS_SELECTOR, "#site-review button"))
check(flow, len([t for t in api_targets() if t.get("category") == "websites"]) == 3, "a second merge duplicates nothing")
passed(flow)

# --- apply configuration -------------------------------------------------------------------------
flow = "apply-configuration"
driver.get(args.base + "/")
go(driver.find_element(By.CSS_SELECTOR, "form[action='/apply'] button"))
check(flow, "Generated" in driver.page_source or "Nothing generated" in driver.page_source, "the result of the apply is shown")
check(flow, "Generated" in driver.page_source, f"the files were generated: {driver.find_element(By.CSS_SELECTOR, 'p.flash').text}")
passed(flow)

# --- stored XSS in every text field --------------------------------------------------------------
flow = "stored-xss"
payload = "<img src=x onerror=\"window.__xss=1\"><script>window.__xss=1</script>"
driver.get(args.base + "/targets/new")
driver.find_element(By.NAME, "host").send_keys("127.0.0.7")
driver.find_element(By.NAME, "name").send_keys("xss_target")
for field in ["title", "site", "cachegroup"]:
    driver.find_element(By.NAME, field).send_keys(payload)
go(driver.find_element(By.CSS_SELECTOR, "button[value=save]"))
check(flow, by_name("xss_target") is not None, "the hostile target was saved (as text)")
driver.get(args.base + "/categories")
driver.find_element(By.NAME, "name").send_keys("xss_category")
driver.find_element(By.NAME, "display_name").send_keys(payload)
driver.find_element(By.NAME, "description").send_keys(payload)
go(driver.find_element(By.CSS_SELECTOR, "form.catalog-form button"))
xss_id = by_name("xss_target")["id"]
for path in ["/", "/targets", "/targets?q=xss", f"/targets/{xss_id}", f"/targets/{xss_id}/edit", "/categories"]:
    driver.get(args.base + path)
    check(flow, driver.execute_script("return window.__xss === undefined"), f"{path} ran a stored script")
    check(flow, payload in driver.find_element(By.TAG_NAME, "body").text or path.endswith("/edit") or path == "/", f"{path} shows the payload as text")
passed(flow)

# --- a forged cross-site post (no token, wrong token) --------------------------------------------
flow = "cross-site-post"
victim = by_name("xss_target")
class Attacker(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        token_field = "" if "no-token" in self.path else "<input name='csrf_token' value='0123456789abcdef'>"
        page = f"<!DOCTYPE html><html><body><form id=f method=post action='{args.base}/targets/{victim['id']}/delete'>{token_field}</form><script>document.getElementById('f').submit()</script></body></html>"
        self.send_response(200); self.send_header("Content-Type", "text/html"); self.end_headers(); self.wfile.write(page.encode())
    def log_message(self, *a): pass
attacker = http.server.HTTPServer(("127.0.0.1", 0), Attacker)
threading.Thread(target=attacker.serve_forever, daemon=True).start()
# localhost and 127.0.0.1 are different sites to the browser.
for variant in ["no-token", "wrong-token"]:
    driver.get(f"http://localhost:{attacker.server_address[1]}/{variant}")
    # The forged form posts itself: wait until the admin has answered it (the login page or a 403).
    WebDriverWait(driver, 15).until(lambda d: d.current_url.startswith(args.base) and d.execute_script("return document.readyState") == "complete")
    check(flow, by_name("xss_target") is not None, f"a cross-site post ({variant}) deleted the target")
attacker.shutdown()
driver.get_log("browser")  # the attacker's refused page may log; it is not ours
passed(flow)

# --- graphs ------------------------------------------------------------------------------------
flow = "graph-page"
graphed = by_name("graphed")
if graphed:
    driver.get(args.base + f"/targets/{graphed['id']}")
    wait.until(lambda d: all(d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", img) for img in d.find_elements(By.CSS_SELECTOR, "section.graph img")))
    driver.save_screenshot(os.path.join(args.artefacts, "graph-page.png"))
    page_checks(flow)
    passed(flow)

# --- lockout last: it locks this address out of signing in -------------------------------------
flow = "lockout"
driver.delete_all_cookies()
for attempt in range(6):
    driver.get(args.base + "/login")
    driver.find_element(By.NAME, "username").send_keys("admin")
    driver.find_element(By.NAME, "password").send_keys(f"wrong-{attempt}")
    go(driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button"))
check(flow, "Too many failed sign-ins" in driver.page_source, "the sixth attempt is locked out")
driver.get(args.base + "/login")
driver.find_element(By.NAME, "username").send_keys("admin")
driver.find_element(By.NAME, "password").send_keys(args.password)
go(driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button"))
check(flow, "Too many failed sign-ins" in driver.page_source, "even the right password waits out the lockout")
driver.get_log("browser")
passed(flow)
driver.quit()
print("all flows passed")
