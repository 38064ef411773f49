#!/usr/bin/env python3
"""Checks a `dial report` page in a real browser: headless Chromium.

    check_report.py [--widths 1280,390] [--expect NAME,...] [--model]
                    [--save-screenshots DIR] PAGE.html[:NAME,...] ...
    check_report.py --self-test        # the fixtures in tests/report/fixtures/

One headless Chromium, driven over the DevTools protocol on a pipe, renders
the pages one after the other: for each width the page is laid out in a
window that wide (a phone's 390 px too: --window-size cannot go under 500),
loaded from its file, and once its own script has run the checker reads the
DOM, the box of every plot's svg and every console message and request, then
takes screenshots of the window and of each plot's box. Chromium runs with
the network unreachable (`unshare -n`, else a proxy on a closed port) and
keeps a net-log. What must hold (docs/report.md holds the markup contract):

- the file names nothing outside itself: every src=, href= and CSS url() is a
  #fragment or a data: URI (a file: subresource leaves no trace in Chromium's
  net-log, hence this reading of the text as well);
- no request leaves the page: neither the DevTools events nor the net-log
  show a request the page started (file: subresources included);
- no console message: the report's script has no reason to write to the
  console, so a thrown error, console.error or any other message fails;
- every figure.plot holds one svg with at least one mark (circle, rect, line,
  polyline, path, text), a nonzero box that fits the window, and a box that is
  not one colour in its screenshot; the window is not one colour, the page
  not wider than it, and it has a viewport meta tag (a phone needs it);
- every standard plot is drawn or explained by a p.plot-missing; the plots
  given with --expect (every page) or after PAGE.html: (that page) are
  drawn; a study page has table#trials, section#settings and section#best
  with a <code>; a model page (--model) section#settings and table#knobs.

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

SKIP = 77
MARKS = {"circle", "rect", "line", "polyline", "path", "text"}
STUDY_PLOTS = ["history", "parallel", "contour", "importance", "intermediate"]
MODEL_PLOTS = ["feature-importance", "tree", "coefficients"]
URL_ATTRIBUTES = {"src", "href", "xlink:href", "srcset", "poster", "action", "formaction", "data", "background"}
PAGE_EXPECT = re.compile(r"\.html?:[A-Za-z0-9_,-]*$")
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]*)", re.IGNORECASE)
CSS_IMPORT = re.compile(r"@import\s+['\"]([^'\"]*)", re.IGNORECASE)
# The tallest whole-page screenshot --save-screenshots keeps (Chromium's
# textures have a size limit).
MAX_HEIGHT = 16384

# Evaluated in the page once it has loaded and its script has run: the box of
# every plot's svg (of the figure when it has none), where the figure ends
# (caption included) and the page's size.
PROBE = """JSON.stringify({
  height: Math.ceil(document.documentElement.scrollHeight),
  width: Math.ceil(document.documentElement.scrollWidth),
  figures: Array.from(document.querySelectorAll('figure.plot')).map(function (figure) {
    var box = (figure.querySelector('svg') || figure).getBoundingClientRect();
    return {id: figure.id, box: [box.left + window.scrollX, box.top + window.scrollY, box.width, box.height].map(Math.round),
            bottom: Math.ceil(figure.getBoundingClientRect().bottom + window.scrollY)};
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
    """The prefix that runs Chromium with no network, and the flags that go
    with it: a network namespace of its own (root's, else one in a user
    namespace), else every request sent to a closed local port."""
    unshare = shutil.which("unshare")
    for prefix in ([unshare, "-n"], [unshare, "-r", "-n"]) if unshare else ():
        if subprocess.run(prefix + ["true"], capture_output=True).returncode == 0:
            return prefix, []
    return [], ["--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>"]


# ---------------------------------------------------------------- PNG ----

def png_filtered_rows(data):
    """The IHDR facts and the inflated image data of an 8-bit, non-interlaced
    PNG (what Chromium writes): (width, height, bytes per pixel, data), the
    data being each row's filter type byte and its filtered bytes."""
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
    return width, height, channels, zlib.decompress(b"".join(chunks))


def predict(kind, left, up, upper_left):
    """The PNG filter's prediction of a byte from its left, upper and upper
    left neighbours (PNG specification, section 9)."""
    if kind == 0:
        return 0
    if kind == 1:
        return left
    if kind == 2:
        return up
    if kind == 3:
        return (left + up) >> 1
    if kind == 4:
        estimate = left + up - upper_left
        to_left, to_up, to_corner = abs(estimate - left), abs(estimate - up), abs(estimate - upper_left)
        if to_left <= to_up and to_left <= to_corner:
            return left
        return up if to_up <= to_corner else upper_left
    raise ValueError(f"unknown PNG filter type {kind}")


def unfilter(kind, line, previous, bpp):
    out = bytearray(line)
    for i in range(len(out)):
        left = out[i - bpp] if i >= bpp else 0
        upper_left = previous[i - bpp] if i >= bpp else 0
        out[i] = (out[i] + predict(kind, left, previous[i], upper_left)) & 255
    return bytes(out)


def png_is_one_colour(data):
    """Whether every pixel of the PNG is the colour of the first, read
    without decoding the image: the first row is decoded, and under a row of
    one colour P the filtered bytes of the same row again are known for each
    filter type (None: P repeated; Sub: P then zeros; Up and Paeth: zeros;
    Average: P - P/2 then zeros). A row that differs from them is another
    row, so the answer comes at the first row that differs: a page or a
    plot with something drawn costs a few comparisons, made by C loops."""
    width, height, bpp, raw = png_filtered_rows(data)
    stride = width * bpp
    first = unfilter(raw[0], raw[1:1 + stride], bytes(stride), bpp)
    pixel = first[:bpp]
    if first != pixel * width:
        return False
    rest = bytes(stride - bpp)
    same_again = {0: pixel * width, 1: pixel + rest, 2: bytes(stride),
                  3: bytes((value - (value >> 1)) & 255 for value in pixel) + rest, 4: bytes(stride)}
    view = memoryview(raw)
    for y in range(1, height):
        start = y * (stride + 1)
        if view[start + 1:start + 1 + stride] != same_again.get(raw[start]):
            return False
    return True


def encode_png(rows, bpp, kinds):
    """A PNG of rows (bytes, bpp bytes per pixel: 3 RGB, 4 RGBA), row y
    filtered with the filter type kinds[y % len(kinds)]: for the self-test
    of png_is_one_colour under each filter."""
    raw, previous = bytearray(), bytes(len(rows[0]))
    for y, row in enumerate(rows):
        kind = kinds[y % len(kinds)]
        raw.append(kind)
        for i in range(len(row)):
            left = row[i - bpp] if i >= bpp else 0
            upper_left = previous[i - bpp] if i >= bpp else 0
            raw.append((row[i] - predict(kind, left, previous[i], upper_left)) & 255)
        previous = row

    def chunk(name, body):
        return struct.pack(">I", len(body)) + name + body + struct.pack(">I", zlib.crc32(name + body))
    header = struct.pack(">IIBBBBB", len(rows[0]) // bpp, len(rows), 8, {3: 2, 4: 6}[bpp], 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(raw)))
            + chunk(b"IEND", b""))


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

    def screenshot(self, x, y, width, height):
        """A PNG of the page's box (x, y, width, height) in CSS px, as drawn."""
        shot = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                         clip={"x": x, "y": y, "width": width, "height": height, "scale": 1})
        return base64.b64decode(shot["data"])

    def render(self, url, width):
        """Lays the page out in a width x 800 px window and loads it; returns
        (dom after the page's script ran, probe, console messages, URLs
        requested other than the page). screenshot() then shows it."""
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=800, deviceScaleFactor=1, mobile=False)
        self.events = []
        self.call("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")
        # A frame and a moment more, for what the script does after load.
        self.evaluate("new Promise(done => requestAnimationFrame(() => setTimeout(done, 50)))")
        probe = json.loads(self.evaluate(PROBE))
        dom = self.evaluate("document.documentElement.outerHTML")
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
        return dom, probe, console, requests

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

def check_page(browser, path, widths, expect, model, save_dir=None):
    """Every failed assertion about one page but its net-log's (see
    check_in_one_browser), as lines. With save_dir, the screenshots are kept
    there as PAGE-WIDTH.png."""
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
    for width in widths:
        saved = os.path.join(save_dir, f"{os.path.splitext(name)[0]}-{width}.png") if save_dir else None
        failures += check_rendering(browser, url, width, f"{name} at {width} px", static, expect, model, saved)
    return failures


def check_in_one_browser(chromium, workdir, paths, widths, expect, model, save_dir=None):
    """check_page for each page, in one Chromium (its start costs more than
    a page), then its net-log: a request in it is blamed on the page when
    there was one, else on the pages together (the DevTools events have
    already named the page). Returns the failures, as lines."""
    failures = []
    try:
        browser = Browser(chromium, tempfile.mkdtemp(dir=workdir))
    except (OSError, RuntimeError) as error:
        return [f"Chromium did not start: {error}"]
    try:
        for argument in paths:
            path, own = argument, []
            if PAGE_EXPECT.search(argument):
                path, _, names = argument.rpartition(":")
                own = [name for name in names.split(",") if name]
            try:
                failures += check_page(browser, path, widths, expect + own, model, save_dir)
            except RuntimeError as error:
                failures.append(f"{os.path.basename(path)}: Chromium failed on it: {error}")
                break  # the browser is in no state to go on
    finally:
        started = browser.close()
    paths = [path.rpartition(":")[0] if PAGE_EXPECT.search(path) else path for path in paths]
    pages = {"file://" + os.path.abspath(path) for path in paths}
    names = ", ".join(os.path.basename(path) for path in paths)
    for request in sorted(set(started) - pages):
        failures.append(f"{names}: the net-log shows a request to {request} (the page must open with no network)")
    return failures


def check_rendering(browser, url, width, where, static, expect, model, saved):
    dom, probe, console, requests = browser.render(url, width)
    if saved:
        with open(saved, "wb") as out:
            out.write(browser.screenshot(0, 0, width, max(1, min(probe["height"], MAX_HEIGHT))))
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
    # A screenshot of the window as it opens, then one of each plot's box:
    # a blank page is blank at its top, and a box alone is a small picture.
    if png_is_one_colour(browser.screenshot(0, 0, width, 800)):
        found.append(f"{where}: the window shows one colour (a blank page)")
    for figure in probe["figures"]:
        x, y, box_width, box_height = figure["box"]
        label = f"{where}: figure#{figure['id'] or '(no id)'}"
        if box_width <= 0 or box_height <= 0:
            found.append(f"{label}: its svg has no size on screen ({box_width}x{box_height} px)")
        elif x < 0 or x + box_width > width:
            found.append(f"{label}: its svg ({box_width} px wide from x={x}) does not fit the {width} px window")
        elif png_is_one_colour(browser.screenshot(x, y, box_width, box_height)):
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
    for plot in MODEL_PLOTS if model else STUDY_PLOTS:
        if f"plot-{plot}" not in drawn and f"missing-{plot}" not in reader.missing:
            found.append(f"{where}: plot '{plot}' is neither drawn (figure#plot-{plot}) "
                         f"nor explained (p.plot-missing#missing-{plot})")
    for plot in expect:
        if f"plot-{plot}" not in drawn:
            found.append(f"{where}: expected figure#plot-{plot}, not drawn"
                         + (" (the page says it is missing)" if f"missing-{plot}" in reader.missing else ""))
    wanted = [("settings", "section")] + ([("knobs", "table")] if model else [("trials", "table"), ("best", "section")])
    for element_id, tag in wanted:
        if reader.ids.get(element_id) != tag:
            found.append(f"{where}: no {tag}#{element_id}")
    if not model and reader.ids.get("best") == "section" and not reader.code_in_best:
        found.append(f"{where}: section#best has no <code> with the refit command")
    return found


def check_pages(paths, widths, expect, model, save_dir):
    chromium = find_chromium()
    if chromium is None:
        print("SKIP: chromium is not installed (scripts/install-deps.sh browser installs it; make test does)")
        return SKIP
    with tempfile.TemporaryDirectory(prefix="check_report.") as workdir:
        failures = check_in_one_browser(chromium, workdir, paths, widths, expect, model, save_dir)
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
    "bad-blank-page.html": ["at 1280 px: the window shows one colour (a blank page)",
                            "figure#plot-contour: its svg box"],
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


def png_self_test():
    """png_is_one_colour on PNGs of known pixels, under every filter type
    and a mix of them; the problems found, as lines."""
    problems = []
    for bpp in (3, 4):
        plain = [bytes([200, 17, 99, 255][:bpp]) * 6 for _ in range(5)]
        changed_last = plain[:-1] + [plain[-1][:-1] + bytes([plain[-1][-1] ^ 1])]
        changed_first = [bytes([201, 17, 99, 255][:bpp]) + plain[0][bpp:]] + plain[1:]
        for kinds in ([0], [1], [2], [3], [4], [0, 1, 2, 3, 4], [4, 3, 2, 1, 0]):
            for rows, want in ((plain, True), (changed_last, False), (changed_first, False)):
                if png_is_one_colour(encode_png(rows, bpp, kinds)) != want:
                    problems.append(f"png_is_one_colour is wrong on {'one colour' if want else 'two colours'}"
                                    f" with filters {kinds}, {bpp} bytes per pixel")
    return problems


def self_test():
    problems = png_self_test()
    chromium = find_chromium()
    if chromium is None:
        for line in problems:
            print(f"FAIL: {line}")
        print("SKIP: chromium is not installed (scripts/install-deps.sh browser installs it; make test does)")
        return 1 if problems else SKIP
    with tempfile.TemporaryDirectory(prefix="check_report.") as workdir:
        good = check_in_one_browser(chromium, workdir, [os.path.join(FIXTURES, "good.html")], [1280, 390], [], False)
        problems += [f"good.html must pass, but: {line}" for line in good]
        # The bad pages share a browser, so its net-log's lines name them all.
        bad = check_in_one_browser(chromium, workdir, [os.path.join(FIXTURES, name) for name in BAD_FIXTURES],
                                   [1280], [], False)
        for fixture, expected_failures in BAD_FIXTURES.items():
            found = [line for line in bad if fixture in line.split(": ")[0]]
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
    parser.add_argument("--save-screenshots", metavar="DIR", help="keep each screenshot as DIR/PAGE-WIDTH.png")
    parser.add_argument("--self-test", action="store_true", help="check the checker on tests/report/fixtures")
    arguments = parser.parse_args()
    if arguments.self_test:
        return self_test()
    if not arguments.pages:
        parser.error("no page to check")
    widths = [int(width) for width in arguments.widths.split(",") if width]
    expect = [name for name in arguments.expect.split(",") if name]
    return check_pages(arguments.pages, widths, expect, arguments.model, arguments.save_screenshots)


if __name__ == "__main__":
    sys.exit(main())
