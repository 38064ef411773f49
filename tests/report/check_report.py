#!/usr/bin/env python3
"""Checks a `dial report` page in a real browser: headless Chromium.

    check_report.py [--widths 1280,390] [--expect NAME,...] [--model] PAGE.html ...
    check_report.py --self-test        # the fixtures in tests/report/fixtures/

For each page, one headless Chromium is driven over the DevTools protocol
(on a pipe): for each width the page is laid out in a window that wide, loaded
from its file, and once its own script has run the checker reads the DOM, the
box of every plot's svg, a screenshot of the whole page and every console
message and request. Chromium runs with the network unreachable (`unshare -n`,
else a proxy on a closed port) and keeps a net-log. What must hold
(docs/report.md holds the markup contract):

- the file names nothing outside itself: every src=, href= and CSS url() is a
  #fragment or a data: URI (a file: subresource leaves no trace in Chromium's
  net-log, hence this reading of the text as well);
- no request leaves the page: neither the DevTools events nor the net-log
  show a request the page started (file: subresources included);
- no console message: the report's script has no reason to write to the
  console, so a thrown error, console.error or any other message fails;
- every figure.plot holds one svg with at least one mark (circle, rect, line,
  polyline, path, text), a nonzero box that fits the window, and a box that is
  not one colour in the screenshot; the page is not one colour, not wider
  than the window, and has a viewport meta tag (a phone needs it);
- every standard plot is drawn or explained by a p.plot-missing; the plots
  given with --expect are drawn; a study page has table#trials,
  section#settings and section#best with a <code> (a model page, --model,
  needs only section#settings).

Exit status: 0 when every page passes, 1 when one fails (one line per failed
assertion), 77 (CTest's skip) when Chromium is not installed; the way to
install it is `scripts/install-deps.sh browser`, which `make test` runs.
Standard library only.
"""
import argparse
import base64
import html.parser
import json
import os
import re
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from itertools import accumulate

SKIP = 77
MARKS = {"circle", "rect", "line", "polyline", "path", "text"}
STUDY_PLOTS = ["history", "parallel", "contour", "importance", "intermediate"]
URL_ATTRIBUTES = {"src", "href", "xlink:href", "srcset", "poster", "action", "formaction", "data", "background"}
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]*)", re.IGNORECASE)
CSS_IMPORT = re.compile(r"@import\s+['\"]([^'\"]*)", re.IGNORECASE)
# The tallest window asked of Chromium: a longer page is checked on its top.
MAX_HEIGHT = 16384

# Evaluated in the page once it has loaded and its script has run: the box of
# every plot's svg (of the figure when it has none) and the page's size.
PROBE = """JSON.stringify({
  height: Math.ceil(document.documentElement.scrollHeight),
  width: Math.ceil(document.documentElement.scrollWidth),
  figures: Array.from(document.querySelectorAll('figure.plot')).map(function (figure) {
    var box = (figure.querySelector('svg') || figure).getBoundingClientRect();
    return {id: figure.id, box: [box.left + window.scrollX, box.top + window.scrollY, box.width, box.height].map(Math.round)};
  })
})"""

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--force-device-scale-factor=1",
    "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-sync",
    "--disable-background-networking", "--disable-component-update", "--disable-default-apps",
    "--disable-features=Translate,OptimizationHints,MediaRouter,SpellCheck,NetworkTimeServiceQuerying",
    "--enable-logging=stderr", "--v=0",  # into chromium.log, read when it fails
]


def find_chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def network_jail():
    """The prefix that runs Chromium with no network, and the flags that go with it."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0:
        return [unshare, "-n"], []
    # Without a network namespace every request goes to a closed local port.
    return [], ["--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>"]


# ---------------------------------------------------------------- PNG ----

def read_png(data):
    """Decodes an 8-bit, non-interlaced PNG (what Chromium writes) into
    (width, height, bytes per pixel, rows as bytes)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("the screenshot is not a PNG file")
    position, chunks, header = 8, [], None
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        elif kind == b"IEND":
            break
    if header is None:
        raise ValueError("the screenshot has no IHDR chunk")
    width, height, depth, colour, _, _, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(colour)
    if depth != 8 or interlace != 0 or channels is None:
        raise ValueError(f"the screenshot is an unsupported PNG (depth {depth}, colour type {colour}, interlace {interlace})")
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    rows, previous = [], bytes(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], raw[start + 1:start + 1 + stride]
        rows.append(unfilter(kind, line, previous, channels))
        previous = rows[-1]
    return width, height, channels, rows


def unfilter(kind, line, previous, bpp):
    # None, Sub and Up are done a channel or a row at a time by the C loops
    # behind map and accumulate; Average and Paeth depend on the byte just
    # decoded, so they go byte by byte.
    if kind == 0:
        return bytes(line)
    if kind == 1:
        out = bytearray(line)
        for channel in range(bpp):
            out[channel::bpp] = bytes(map((255).__and__, accumulate(line[channel::bpp])))
        return bytes(out)
    if kind == 2:
        return bytes(map((255).__and__, map(int.__add__, line, previous)))
    out = bytearray(line)
    if kind == 3:
        for i in range(len(out)):
            left = out[i - bpp] if i >= bpp else 0
            out[i] = (out[i] + ((left + previous[i]) >> 1)) & 255
        return bytes(out)
    if kind != 4:
        raise ValueError(f"unknown PNG filter type {kind}")
    for i in range(bpp):
        out[i] = (line[i] + previous[i]) & 255
    for i in range(bpp, len(out)):
        left, up, corner = out[i - bpp], previous[i], previous[i - bpp]
        if up == corner:  # the common case, a flat row above: Paeth picks left
            out[i] = (line[i] + left) & 255
            continue
        to_left = up - corner if up > corner else corner - up
        to_up = left - corner if left > corner else corner - left
        to_corner = abs(left + up - corner - corner)
        if to_left <= to_up and to_left <= to_corner:
            out[i] = (line[i] + left) & 255
        elif to_up <= to_corner:
            out[i] = (line[i] + up) & 255
        else:
            out[i] = (line[i] + corner) & 255
    return bytes(out)


def colours_in_box(image, box):
    """The number of colours in the box (x, y, width, height), clipped to the
    image, counting up to two: all that the checks need to know."""
    width, height, channels, rows = image
    x0, y0 = max(0, box[0]), max(0, box[1])
    x1, y1 = min(width, box[0] + box[2]), min(height, box[1] + box[3])
    if x1 <= x0 or y1 <= y0:
        return 0
    first = rows[y0][x0 * channels:(x0 + 1) * channels]
    plain = first * (x1 - x0)
    for y in range(y0, y1):
        if rows[y][x0 * channels:x1 * channels] != plain:
            return 2
    return 1


# ---------------------------------------------------------------- HTML ---

class PageReader(html.parser.HTMLParser):
    """Collects what the checks read from a page: the plots and the marks of
    their svg, the ids present, and every URL the page names."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = {}
        self.figures = []  # dicts: id, box, svgs, marks
        self.ids = {}  # id -> tag
        self.missing = set()
        self.urls = []
        self.code_in_best = False
        self.open = []  # stack of (tag, figure or None, in best)
        self.in_style = False

    def handle_starttag(self, tag, attributes):
        attributes = dict(attributes)
        if tag == "html":
            self.root = attributes
        element_id = attributes.get("id")
        if element_id:
            self.ids[element_id] = tag
        classes = (attributes.get("class") or "").split()
        figure = self.open[-1][1] if self.open else None
        in_best = (self.open[-1][2] if self.open else False) or element_id == "best"
        if tag == "figure" and "plot" in classes:
            figure = {"id": element_id or "(no id)", "svgs": 0, "marks": 0}
            self.figures.append(figure)
        elif figure is not None and tag == "svg":
            figure["svgs"] += 1
        elif figure is not None and tag in MARKS:
            figure["marks"] += 1
        if tag == "p" and "plot-missing" in classes and element_id:
            self.missing.add(element_id)
        if tag == "code" and in_best:
            self.code_in_best = True
        for name, value in attributes.items():
            if name in URL_ATTRIBUTES and value is not None:
                self.urls.append((f"{tag} {name}=", value))
            if name == "style" and value:
                self.css(value, f"{tag} style=")
        self.in_style = tag == "style"
        if tag not in VOID:
            self.open.append((tag, figure, in_best))

    def handle_startendtag(self, tag, attributes):
        self.handle_starttag(tag, attributes)
        if tag not in VOID and self.open and self.open[-1][0] == tag:
            self.open.pop()

    def handle_endtag(self, tag):
        self.in_style = False
        for depth in range(len(self.open) - 1, -1, -1):
            if self.open[depth][0] == tag:
                del self.open[depth:]
                break

    def handle_data(self, data):
        if self.in_style:
            self.css(data, "<style>")

    def css(self, text, where):
        for pattern in (CSS_URL, CSS_IMPORT):
            for url in pattern.findall(text):
                self.urls.append((f"{where} url()", url))


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def read_page(text):
    reader = PageReader()
    reader.feed(text)
    reader.close()
    return reader


def outside_urls(reader):
    """The URLs a page names that are neither a #fragment nor a data: URI."""
    bad = []
    for where, url in reader.urls:
        url = url.strip()
        if url and not url.startswith("#") and not url.lower().startswith("data:"):
            bad.append(f"{where}'{url}'")
    return bad


# ------------------------------------------------------------ Chromium ---

def page_requests(net_log_path):
    """The URLs of the requests a page started, from Chromium's net-log (the
    browser's own requests, such as its component updater's, carry no
    initiator and are left out; file: loads do not go through the network
    stack and never show here)."""
    try:
        with open(net_log_path) as log_file:
            text = log_file.read()
    except OSError:
        return []
    try:
        log = json.loads(text)
    except ValueError:
        # A net-log cut short still lists its events one per line.
        text = text.rstrip().rstrip(",")
        try:
            log = json.loads(text + "]}")
        except ValueError:
            return []
    start_job = log.get("constants", {}).get("logEventTypes", {}).get("URL_REQUEST_START_JOB")
    urls = []
    for event in log.get("events", []):
        parameters = event.get("params") or {}
        if event.get("type") == start_job and parameters.get("initiator") not in (None, "not an origin"):
            urls.append(parameters.get("url", "?"))
    return urls


class Browser:
    """One headless Chromium driven over the DevTools protocol on a pipe
    (--remote-debugging-pipe: commands go in on its fd 3, answers and events
    come out of its fd 4, each a JSON text ended by a NUL byte). The protocol
    is needed for the phone width: a --window-size under 500 px is cropped,
    not laid out, while a device-metrics override lays the page out at 390."""

    def __init__(self, chromium, workdir):
        self.net_log = os.path.join(workdir, "net-log.json")
        self.stderr = open(os.path.join(workdir, "chromium.log"), "w")
        jail, jail_flags = network_jail()
        command_in, self.commands = os.pipe()
        self.answers, answer_out = os.pipe()

        def as_fd_3_and_4():
            # dup first: the pipe ends may themselves be fd 3 or 4.
            reader, writer = os.dup(command_in), os.dup(answer_out)
            os.dup2(reader, 3)
            os.dup2(writer, 4)

        self.process = subprocess.Popen(
            jail + [chromium] + CHROMIUM_FLAGS + jail_flags + [
                "--remote-debugging-pipe", f"--user-data-dir={os.path.join(workdir, 'profile')}",
                f"--log-net-log={self.net_log}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.stderr,
            preexec_fn=as_fd_3_and_4, pass_fds=(3, 4))
        os.close(command_in)
        os.close(answer_out)
        self.buffer, self.next_id, self.events, self.session = b"", 0, [], None
        pages = [target for target in self.call("Target.getTargets")["targetInfos"] if target["type"] == "page"]
        if not pages:
            raise RuntimeError("Chromium opened no page")
        self.session = self.call("Target.attachToTarget", targetId=pages[0]["targetId"], flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.call(f"{domain}.enable")

    def receive(self, deadline):
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.answers], [], [], left)[0]:
                raise RuntimeError(f"Chromium did not answer in time (its log: {self.stderr.name})")
            chunk = os.read(self.answers, 1 << 20)
            if not chunk:
                raise RuntimeError(f"Chromium closed the pipe (exit {self.process.poll()}; its log: {self.stderr.name})")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, timeout=60, **parameters):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": parameters}
        if self.session and not method.startswith(("Target.", "Browser.")):
            message["sessionId"] = self.session
        os.write(self.commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self.receive(deadline)
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error'].get('message')}")
                return answer.get("result", {})
            self.events.append(answer)

    def wait_for(self, method, timeout=60):
        deadline = time.monotonic() + timeout
        while not any(event.get("method") == method for event in self.events):
            self.events.append(self.receive(deadline))

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"the probe failed: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def render(self, url, width):
        """Lays the page out in a width x 800 px window and loads it; returns
        (dom after the page's script ran, probe, screenshot PNG bytes,
        console messages, URLs requested other than the page)."""
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=800, deviceScaleFactor=1, mobile=False)
        self.events = []
        self.call("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")
        # A frame and a moment more, for what the script does after load.
        self.evaluate("new Promise(done => requestAnimationFrame(() => setTimeout(done, 50)))")
        probe = json.loads(self.evaluate(PROBE))
        dom = self.evaluate("document.documentElement.outerHTML")
        height = max(1, min(probe["height"], MAX_HEIGHT))
        shot = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                         clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1})
        console, requests = [], []
        for event in self.events:
            parameters = event.get("params", {})
            if event.get("method") == "Runtime.consoleAPICalled":
                text = " ".join(str(argument.get("value", argument.get("description", "")))
                                for argument in parameters.get("args", []))
                console.append(f"console.{parameters.get('type')}: {text}")
            elif event.get("method") == "Runtime.exceptionThrown":
                details = parameters.get("exceptionDetails", {})
                description = details.get("exception", {}).get("description", details.get("text", ""))
                console.append(f"uncaught exception at line {details.get('lineNumber', 0) + 1}: {description.splitlines()[0] if description else ''}")
            elif event.get("method") == "Log.entryAdded":
                entry = parameters.get("entry", {})
                if entry.get("level") in ("error", "warning"):
                    console.append(f"{entry.get('source')} {entry.get('level')}: {entry.get('text')} {entry.get('url', '')}".rstrip())
            elif event.get("method") == "Network.requestWillBeSent":
                requested = parameters.get("request", {}).get("url", "")
                if requested != url and not requested.startswith("data:"):
                    requests.append(requested)
        return dom, probe, base64.b64decode(shot["data"]), console, requests

    def close(self):
        """Ends Chromium; returns the requests the page started, from the net-log."""
        try:
            self.call("Browser.close", timeout=10)
        except RuntimeError:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self.commands)
        os.close(self.answers)
        self.stderr.close()
        return page_requests(self.net_log)


# --------------------------------------------------------------- checks --

def check_page(chromium, workdir, path, widths, expect, model):
    """Every failed assertion about one page, as lines."""
    name = os.path.basename(path)
    try:
        with open(path, encoding="utf-8") as page:
            text = page.read()
    except (OSError, UnicodeDecodeError) as error:
        return [f"{name}: cannot read it as UTF-8: {error}"]
    failures = []
    static = read_page(text)
    if static.root.get("lang") != "en":
        failures.append(f"{name}: <html> has no lang=\"en\"")
    if not re.search(r"<meta[^>]+name=[\"']?viewport[^>]+width=device-width", text, re.IGNORECASE):
        failures.append(f"{name}: no <meta name=\"viewport\" content=\"width=device-width\">"
                        " (a phone lays the page out 980 px wide without it)")
    for url in outside_urls(static):
        failures.append(f"{name}: names something outside the page: {url} (only #fragments and data: URIs)")
    if static.figures and all(figure["marks"] == 0 for figure in static.figures):
        failures.append(f"{name}: no plot has a mark without the page's script (it must read fully without it)")

    url = "file://" + os.path.abspath(path)
    run = tempfile.mkdtemp(dir=workdir)
    browser = Browser(chromium, run)
    try:
        for width in widths:
            failures += check_rendering(browser, url, width, f"{name} at {width} px", static, expect, model)
    finally:
        started = browser.close()
    for request in sorted(set(started)):
        if request != url:
            failures.append(f"{name}: the net-log shows a request to {request} (the page must open with no network)")
    return failures


def check_rendering(browser, url, width, where, static, expect, model):
    dom, probe, png, console, requests = browser.render(url, width)
    found = [f"{where}: {line}" for line in dict.fromkeys(console)]
    for request in dict.fromkeys(requests):
        found.append(f"{where}: request to {request} (the page must open with no network)")
    reader = read_page(dom)
    for reference in outside_urls(reader):
        if reference not in outside_urls(static):
            found.append(f"{where}: its script added a reference outside the page: {reference}")
    found += check_dom(reader, where, expect, model)
    if probe["width"] > width:
        found.append(f"{where}: the page is {probe['width']} px wide, wider than the window (it scrolls sideways)")
    image = read_png(png)
    if colours_in_box(image, (0, 0, image[0], image[1])) < 2:
        found.append(f"{where}: the screenshot is one colour (a blank page)")
    for figure in probe["figures"]:
        x, y, box_width, box_height = figure["box"]
        label = f"{where}: figure#{figure['id'] or '(no id)'}"
        if box_width <= 0 or box_height <= 0:
            found.append(f"{label}: its svg has no size on screen ({box_width}x{box_height} px)")
        elif x < 0 or x + box_width > width:
            found.append(f"{label}: its svg ({box_width} px wide from x={x}) does not fit the {width} px window")
        elif y >= image[1]:
            found.append(f"{label}: starts at y={y}, below the {image[1]} px screenshot")
        elif colours_in_box(image, figure["box"]) < 2:
            found.append(f"{label}: its svg box {box_width}x{box_height} at ({x},{y}) is one colour"
                         " in the screenshot (nothing drawn)")
    return found


def check_dom(reader, where, expect, model):
    found = []
    drawn = {figure["id"] for figure in reader.figures}
    for figure in reader.figures:
        label = f"{where}: figure#{figure['id']}"
        if not figure["id"].startswith("plot-"):
            found.append(f"{label}: a plot's id must be plot-NAME")
        if figure["svgs"] != 1:
            found.append(f"{label}: holds {figure['svgs']} svg elements, expected exactly one")
        elif figure["marks"] == 0:
            found.append(f"{label}: its svg has no mark (circle, rect, line, polyline, path or text)")
    if not model:
        for plot in STUDY_PLOTS:
            if f"plot-{plot}" not in drawn and f"missing-{plot}" not in reader.missing:
                found.append(f"{where}: plot '{plot}' is neither drawn (figure#plot-{plot}) "
                             f"nor explained (p.plot-missing#missing-{plot})")
    for plot in expect:
        if f"plot-{plot}" not in drawn:
            found.append(f"{where}: expected figure#plot-{plot}, not drawn"
                         + (" (the page says it is missing)" if f"missing-{plot}" in reader.missing else ""))
    wanted = [("settings", "section")] + ([] if model else [("trials", "table"), ("best", "section")])
    for element_id, tag in wanted:
        if reader.ids.get(element_id) != tag:
            found.append(f"{where}: no {tag}#{element_id}")
    if not model and reader.ids.get("best") == "section" and not reader.code_in_best:
        found.append(f"{where}: section#best has no <code> with the refit command")
    return found


def check_pages(paths, widths, expect, model):
    chromium = find_chromium()
    if chromium is None:
        print("SKIP: chromium is not installed (scripts/install-deps.sh browser installs it; make test does)")
        return SKIP
    failures = []
    with tempfile.TemporaryDirectory(prefix="check_report.") as workdir:
        for path in paths:
            failures += check_page(chromium, workdir, path, widths, expect, model)
    for line in failures:
        print(f"FAIL: {line}")
    if not failures:
        print(f"{len(paths)} page(s) pass at {', '.join(map(str, widths))} px")
    return 1 if failures else 0


# ------------------------------------------------------------ self-test --

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
# Each bad fixture, and pieces of the failures it must give (nothing may fail
# on good.html). bad-fetch's request is made by its script, out of sight of
# the reading of the text: only the browser can catch it, and the self-test
# asks both witnesses, the DevTools events and the net-log.
BAD_FIXTURES = {
    "bad-blank-plot.html": ["figure#plot-history: its svg box"],
    "bad-no-marks.html": ["figure#plot-parallel: its svg has no mark"],
    "bad-external-img.html": ["names something outside the page: img src='https://example.com/dial-logo.png'",
                              "at 1280 px: request to https://example.com/dial-logo.png",
                              "the net-log shows a request to https://example.com/dial-logo.png"],
    "bad-fetch.html": ["at 1280 px: request to https://example.com/trials.json",
                       "the net-log shows a request to https://example.com/trials.json"],
    "bad-relative-css.html": ["names something outside the page: link href='report.css'",
                              "/fixtures/report.css (the page must open with no network)"],
    "bad-script-throws.html": ["uncaught exception at line 81: TypeError: Cannot read properties of null"],
    "bad-missing-figure.html": ["plot 'history' is neither drawn (figure#plot-history) nor explained"],
}


def self_test():
    chromium = find_chromium()
    if chromium is None:
        print("SKIP: chromium is not installed (scripts/install-deps.sh browser installs it; make test does)")
        return SKIP
    problems = []
    with tempfile.TemporaryDirectory(prefix="check_report.") as workdir:
        good = check_page(chromium, workdir, os.path.join(FIXTURES, "good.html"), [1280, 390], [], False)
        problems += [f"good.html must pass, but: {line}" for line in good]
        for fixture, expected_failures in BAD_FIXTURES.items():
            found = check_page(chromium, workdir, os.path.join(FIXTURES, fixture), [1280], [], False)
            for expected in expected_failures:
                if not any(expected in line for line in found):
                    problems.append(f"{fixture} must fail with '{expected}'; it gave: {found or 'no failure'}")
                else:
                    print(f"ok: {fixture} rejected: {next(line for line in found if expected in line)}")
    for line in problems:
        print(f"FAIL: {line}")
    if not problems:
        print(f"the checker passes good.html and rejects {len(BAD_FIXTURES)} bad pages")
    return 1 if problems else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="*")
    parser.add_argument("--widths", default="1280,390", help="window widths in px, comma-separated")
    parser.add_argument("--expect", default="", help="plot NAMEs that must be drawn, comma-separated")
    parser.add_argument("--model", action="store_true", help="the pages are model reports, not study reports")
    parser.add_argument("--self-test", action="store_true", help="check the checker on tests/report/fixtures")
    arguments = parser.parse_args()
    if arguments.self_test:
        return self_test()
    if not arguments.pages:
        parser.error("no page to check")
    widths = [int(width) for width in arguments.widths.split(",") if width]
    expect = [name for name in arguments.expect.split(",") if name]
    return check_pages(arguments.pages, widths, expect, arguments.model)


if __name__ == "__main__":
    sys.exit(main())
