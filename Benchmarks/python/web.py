#!/usr/bin/env python3
"""The web admin with 10,000 targets (scripts/bench web): the targets page (first page, a search,
a sort by host) against the REST API's GET /targets of the same 100 rows, as server time and
bytes, measured in the same run; and login-to-dashboard in headless Chromium.
Usage: web.py WEB_BASE API_BASE TOKEN PASSWORD ROUNDS"""
import http.cookiejar, json, os, re, statistics, sys, time, urllib.parse, urllib.request

web, api, token, password, rounds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])

bulk = {"operations": [{"action": "create", "target": {"name": f"t{i:05d}", "host": f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}",
                                                     "title": f"Target {i}", "category": "default", "probe": "FPing", "site": f"site{i % 20}"}}
                       for i in range(10000)]}
request = urllib.request.Request(api + "/targets/bulk", data=json.dumps(bulk).encode(), method="POST",
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
urllib.request.urlopen(request, timeout=300).read()

jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
login = opener.open(web + "/login").read().decode()
csrf = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
opener.open(web + "/login", data=urllib.parse.urlencode({"csrf_token": csrf, "username": "admin", "password": password, "next": "/"}).encode()).read()

def measure(label, fetch):
    times, size = [], 0
    for _ in range(rounds):
        start = time.perf_counter()
        size = len(fetch())
        times.append(time.perf_counter() - start)
    p50 = statistics.median(times) * 1000
    print(f"{label:<36} p50 {p50:7.1f} ms  max {max(times) * 1000:7.1f} ms  {size:>8} bytes")
    return p50

api_get = lambda path: urllib.request.urlopen(urllib.request.Request(api + path, headers={"Authorization": "Bearer " + token})).read()
page = measure("web /targets (100 of 10,000)", lambda: opener.open(web + "/targets").read())
json_page = measure("api GET /targets?limit=100", lambda: api_get("/targets?limit=100"))
measure("web /targets?q=t0999 (search)", lambda: opener.open(web + "/targets?q=t0999").read())
measure("web /targets?sort=-host (sorted)", lambda: opener.open(web + "/targets?sort=-host").read())
measure("web /targets?offset=9900 (last page)", lambda: opener.open(web + "/targets?offset=9900").read())
measure("web / (dashboard)", lambda: opener.open(web + "/").read())
print(f"targets_page_vs_api_json {page / json_page:.2f}x")

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    print("login_to_dashboard skipped: no selenium")
    sys.exit(0)
options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"]:
    options.add_argument(flag)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
samples = []
for _ in range(5):
    driver.delete_all_cookies()
    driver.get(web + "/login")
    driver.find_element(By.NAME, "username").send_keys("admin")
    driver.find_element(By.NAME, "password").send_keys(password)
    start = time.perf_counter()
    driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button").click()
    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.ID, "target-count") and d.execute_script("return document.readyState") == "complete")
    samples.append(time.perf_counter() - start)
driver.quit()
print(f"login_to_dashboard_ms p50 {statistics.median(samples) * 1000:.0f} max {max(samples) * 1000:.0f} (Chromium, 10,000 targets)")
