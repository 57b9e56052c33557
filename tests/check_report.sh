#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# tests/check_report.sh: checks a soundmatch report in headless Chromium, offline, as a reader
# would open it after moving or zipping its folder.
#
# usage: tests/check_report.sh REPORT_DIR [SHOT_DIR]
#
# The report folder's page, its media/ and its other top-level files (not runs/ or targets/)
# are zipped, unzipped into a new folder elsewhere, and opened there with Debian's chromium
# (apt-get install -y chromium) driven through its DevTools protocol. The check fails on:
#   - a console error or an uncaught exception;
#   - a request that is not a local file or a data: URI (the page must work offline), or a
#     request that fails;
#   - an image that does not load (every image is forced to load, lazy ones included);
#   - an audio player whose file does not load (each player is asked for its metadata);
#   - a link that does not resolve in the moved copy (a relative file, or an #anchor).
# Screenshots of the whole page go into SHOT_DIR (default REPORT_DIR/screenshots), in slices
# of 4,000 pixels. Exit status: 0 when every check passes, 1 when one fails (each problem is
# printed), 2 for bad usage, 77 when chromium or python3 is missing (the test is skipped).
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
    sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
    [ $# -ge 1 ] && { [ "$1" = "-h" ] || [ "$1" = "--help" ]; } && exit 0
    exit 2
fi
REPORT=$1
SHOTS=${2:-$REPORT/screenshots}
if [ ! -f "$REPORT/index.html" ]; then
    echo "check_report: $REPORT/index.html: no such file" >&2
    exit 2
fi
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
PYTHON=${PYTHON:-$(command -v python3 || true)}
if [ -z "$CHROMIUM" ] || [ -z "$PYTHON" ]; then
    echo "check_report: skipped: needs chromium and python3 (apt-get install -y chromium)" >&2
    exit 77
fi
mkdir -p "$SHOTS"
exec "$PYTHON" - "$REPORT" "$SHOTS" "$CHROMIUM" <<'PYEOF'
import base64, json, os, random, re, shutil, socket, struct, subprocess, sys, tempfile
import time, urllib.parse, zipfile

report, shots, chromium = sys.argv[1], sys.argv[2], sys.argv[3]
problems = []

# ---- the moved copy: zip the report, unzip it elsewhere ----
work = tempfile.mkdtemp(prefix="check_report.")
zpath = os.path.join(work, "report.zip")
with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as z:
    for name in sorted(os.listdir(report)):
        p = os.path.join(report, name)
        if os.path.isfile(p) and not name.startswith("."):
            z.write(p, os.path.join("report", name))
    media = os.path.join(report, "media")
    if os.path.isdir(media):
        for name in sorted(os.listdir(media)):
            z.write(os.path.join(media, name), os.path.join("report", "media", name))
moved = os.path.join(work, "moved")
with zipfile.ZipFile(zpath) as z:
    z.extractall(moved)
page_dir = os.path.join(moved, "report")
page_url = "file://" + urllib.parse.quote(os.path.join(page_dir, "index.html"))

# ---- chromium, headless, offline, with its DevTools protocol ----
profile = os.path.join(work, "profile")
proc = subprocess.Popen(
    [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
     "--no-default-browser-check", "--disable-background-networking",
     "--disable-component-update", "--disable-sync", "--mute-audio",
     "--autoplay-policy=no-user-gesture-required", "--proxy-server=127.0.0.1:9",
     "--remote-debugging-port=0", "--remote-allow-origins=*", "--user-data-dir=" + profile,
     "about:blank"],
    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

def finish(code):
    try:
        proc.kill()
        proc.wait(timeout=10)
    except Exception:
        pass
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(code)

port = None
deadline = time.time() + 60
while time.time() < deadline:
    line = proc.stderr.readline().decode("utf-8", "replace")
    if not line:
        break
    m = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line)
    if m:
        port = int(m.group(1))
        break
if port is None:
    print("check_report: chromium did not start its DevTools server", file=sys.stderr)
    finish(1)
# keep draining chromium's stderr so that it never blocks
import threading
threading.Thread(target=lambda: [None for _ in iter(proc.stderr.readline, b"")],
                 daemon=True).start()

def http_get(path):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" % path)
              .encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    m = re.search(rb"(?i)content-length:\s*(\d+)", head)
    while m and len(body) < int(m.group(1)):
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    s.close()
    return json.loads(body)

targets = [t for t in http_get("/json/list") if t.get("type") == "page"]
if not targets:
    print("check_report: chromium shows no page", file=sys.stderr)
    finish(1)
ws_url = urllib.parse.urlparse(targets[0]["webSocketDebuggerUrl"])

# ---- a minimal WebSocket client (RFC 6455): text frames, client-masked ----
sock = socket.create_connection(("127.0.0.1", port), timeout=120)
key = base64.b64encode(os.urandom(16)).decode()
sock.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
              "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
              % (ws_url.path, port, key)).encode())
head = b""
while b"\r\n\r\n" not in head:
    head += sock.recv(1)
if b" 101 " not in head.split(b"\r\n")[0]:
    print("check_report: the DevTools WebSocket was refused", file=sys.stderr)
    finish(1)

def recv_exact(n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("DevTools connection closed")
        buf += chunk
    return buf

def ws_send(obj):
    data = json.dumps(obj).encode()
    hdr = bytes([0x81])
    n = len(data)
    if n < 126:
        hdr += bytes([0x80 | n])
    elif n < 65536:
        hdr += bytes([0x80 | 126]) + struct.pack(">H", n)
    else:
        hdr += bytes([0x80 | 127]) + struct.pack(">Q", n)
    mask = os.urandom(4)
    sock.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

def ws_recv():
    message = b""
    while True:
        b0, b1 = recv_exact(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack(">H", recv_exact(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", recv_exact(8))[0]
        payload = recv_exact(n)
        if b0 & 0x0F == 0x8:
            raise EOFError("DevTools connection closed")
        if b0 & 0x0F in (0x9, 0xA):
            continue
        message += payload
        if b0 & 0x80:
            return json.loads(message)

next_id = [0]
def on_event(msg):
    method, p = msg.get("method"), msg.get("params", {})
    if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
        text = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
        problems.append("console error: " + text)
    elif method == "Runtime.exceptionThrown":
        d = p.get("exceptionDetails", {})
        problems.append("uncaught exception: %s" % d.get("exception", {}).get(
            "description", d.get("text")))
    elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
        problems.append("console error: %s (%s)" % (p["entry"].get("text"),
                                                    p["entry"].get("url", "")))
    elif method == "Network.requestWillBeSent":
        url = p.get("request", {}).get("url", "")
        if not (url.startswith("file://") or url.startswith("data:")):
            problems.append("a request that is not offline: " + url)
    elif method == "Network.loadingFailed" and not p.get("canceled"):
        problems.append("a request failed: %s" % p.get("errorText"))

def call(method, **params):
    next_id[0] += 1
    ws_send({"id": next_id[0], "method": method, "params": params})
    while True:
        msg = ws_recv()
        if msg.get("id") == next_id[0]:
            if "error" in msg:
                raise RuntimeError("%s: %s" % (method, msg["error"]))
            return msg.get("result", {})
        on_event(msg)

def wait_event(name, timeout):
    end = time.time() + timeout
    while time.time() < end:
        msg = ws_recv()
        if msg.get("method") == name:
            return msg
        on_event(msg)
    raise TimeoutError(name)

try:
    for domain in ("Runtime", "Log", "Page", "Network"):
        call(domain + ".enable")
    call("Emulation.setDeviceMetricsOverride", width=1280, height=900, deviceScaleFactor=1,
         mobile=False)
    call("Page.navigate", url=page_url)
    wait_event("Page.loadEventFired", 120)
    check_js = r"""
(async () => {
  const bad = [];
  const imgs = [...document.images];
  imgs.forEach(i => { i.loading = 'eager'; });
  await Promise.all(imgs.map(i => i.decode().then(() => {
      if (!(i.naturalWidth > 0)) bad.push('image without pixels: ' + i.getAttribute('src').slice(0, 80));
    }, () => bad.push('image does not load: ' + i.getAttribute('src').slice(0, 80)))));
  const auds = [...document.querySelectorAll('audio')];
  await Promise.all(auds.map(a => new Promise(done => {
    const name = (a.getAttribute('src') || '').slice(0, 80);
    const t = setTimeout(() => { bad.push('audio does not load in 30 s: ' + name); done(); }, 30000);
    a.addEventListener('loadedmetadata', () => {
      clearTimeout(t);
      if (!(a.duration > 0)) bad.push('audio of no length: ' + name);
      done();
    }, {once: true});
    a.addEventListener('error', () => {
      clearTimeout(t);
      bad.push('audio does not load: ' + name + ' (error ' + (a.error ? a.error.code : '?') + ')');
      done();
    }, {once: true});
    a.preload = 'auto';
    a.load();
  })));
  const links = [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'));
  for (const h of links)
    if (h.startsWith('#') && !document.getElementById(decodeURIComponent(h.slice(1))))
      bad.push('link to a missing anchor: ' + h);
  return JSON.stringify({bad, links, images: imgs.length, audio: auds.length,
                         height: document.documentElement.scrollHeight});
})()
"""
    r = call("Runtime.evaluate", expression=check_js, awaitPromise=True, returnByValue=True,
             timeout=600000)
    if "exceptionDetails" in r:
        problems.append("the check itself failed: %s" % r["exceptionDetails"])
        result = {"bad": [], "links": [], "images": 0, "audio": 0, "height": 900}
    else:
        result = json.loads(r["result"]["value"])
    problems.extend(result["bad"])
    for h in result["links"]:
        if h.startswith("#") or h.startswith("data:"):
            continue
        u = urllib.parse.urlparse(h)
        if u.scheme or u.netloc or h.startswith("/"):
            problems.append("a link that is not relative to the report: " + h[:120])
            continue
        target = os.path.normpath(os.path.join(page_dir, urllib.parse.unquote(u.path)))
        if not target.startswith(page_dir + os.sep) or not os.path.exists(target):
            problems.append("a link broken in the moved copy: " + h[:120])
    # screenshots of the whole page, in slices
    height = int(result.get("height", 900))
    call("Emulation.setDeviceMetricsOverride", width=1280, height=min(height, 4000),
         deviceScaleFactor=1, mobile=False)
    n = 0
    for y in range(0, height, 4000):
        h = min(4000, height - y)
        shot = call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                    clip={"x": 0, "y": y, "width": 1280, "height": h, "scale": 1})
        n += 1
        with open(os.path.join(shots, "page-%02d.png" % n), "wb") as f:
            f.write(base64.b64decode(shot["data"]))
    # let late events (failed loads) arrive
    sock.settimeout(1.0)
    try:
        while True:
            on_event(ws_recv())
    except (socket.timeout, TimeoutError):
        pass
    sock.settimeout(120)
except Exception as e:
    problems.append("the check could not finish: %s" % e)
    result = {"images": 0, "audio": 0, "links": []}
    n = 0

print("check_report: %s: %d images, %d players, %d links checked in a moved copy; "
      "%d screenshot(s) in %s" % (report, result.get("images", 0), result.get("audio", 0),
                                   len(result.get("links", [])), n, shots))
for p in problems:
    print("check_report: FAIL: " + p)
finish(1 if problems else 0)
PYEOF
