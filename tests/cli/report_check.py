"""Checks a page of dial report against the markup contract of
docs/report.md with the standard library's HTML parser.

usage: report_check.py PAGE.html [EXPECT...]
       report_check.py --code PAGE.html   (prints the best trial's <code>)
Each EXPECT is one of:
  figure:NAME        <figure class="plot" id="plot-NAME"> with one <svg>
                     (a viewBox, width 100%), a <figcaption>, and marks
  marks:NAME:N       that figure's svg holds at least N marks
  missing:NAME       <p class="plot-missing" id="missing-NAME">
  text:TEXT          the page's text (tags left out, entities read) holds TEXT
  setting:KEY=VALUE  the settings block has a row KEY whose cell is VALUE
  code:TEXT          the <code> of <section id="best"> is exactly TEXT
  rows:N             the table id="trials" has N body rows
Always checked: HTML5 doctype, <html lang="en">, UTF-8, one <style>, at most
one <script>, no src=, href= or CSS url( naming anything but #fragment or
data:, no "http:", "https:" or "file:" anywhere, every id unique, each figure
id either drawn or missing (never both), the size under 5 MiB.
Prints one line per failure and exits 1 when any; else prints "ok".
"""
import html.parser
import re
import sys

MARKS = {"circle", "rect", "line", "polyline", "path", "text"}
LIMIT = 5 * 1024 * 1024


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.ids = []
        self.figures = {}  # name -> {"svgs", "viewbox", "width", "caption", "marks"}
        self.missing = set()
        self.styles = self.scripts = 0
        self.lang = None
        self.charset = False
        self.links = []
        self.text = []
        self.settings = {}
        self.codes = []
        self.rows = 0
        self._figure = None
        self._in_svg = 0
        self._cell = None
        self._row = None
        self._section = []
        self._code = None
        self._tbody_trials = False
        self._table_ids = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.stack.append(tag)
        if "id" in a:
            self.ids.append(a["id"])
        for key in ("src", "href", "xlink:href", "action", "poster"):
            if key in a:
                self.links.append(a[key] or "")
        if "style" in a and "url(" in a["style"]:
            self.links.extend(re.findall(r"url\(\s*['\"]?([^'\")]*)", a["style"]))
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "meta" and (a.get("charset", "").lower() == "utf-8"):
            self.charset = True
        if tag == "style":
            self.styles += 1
        if tag == "script":
            self.scripts += 1
        if tag == "section":
            self._section.append(a.get("id"))
        if tag == "table":
            self._table_ids.append(a.get("id"))
        if tag == "tr" and self._table_ids and self._table_ids[-1] == "trials" and "tbody" in self.stack:
            self.rows += 1
        if tag == "figure" and "plot" in a.get("class", "").split():
            name = a.get("id", "")[len("plot-"):]
            self._figure = self.figures.setdefault(
                name, {"svgs": 0, "viewbox": False, "width": False, "caption": False, "marks": 0})
        if tag == "p" and "plot-missing" in a.get("class", "").split():
            self.missing.add(a.get("id", "")[len("missing-"):])
        if self._figure is not None:
            if tag == "svg":
                self._figure["svgs"] += 1
                self._figure["viewbox"] = bool(a.get("viewbox"))
                self._figure["width"] = a.get("width") == "100%"
                self._in_svg += 1
            elif tag in MARKS and self._in_svg:
                self._figure["marks"] += 1
            elif tag == "figcaption":
                self._figure["caption"] = True
        if tag in ("th", "td"):
            self._cell = []
        if tag == "tr":
            self._row = []
        if tag == "code" and "best" in self._section:
            self._code = []

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag == "svg" and self._in_svg:
            self._in_svg -= 1
        if tag == "figure":
            self._figure = None
        if tag == "section" and self._section:
            self._section.pop()
        if tag == "table" and self._table_ids:
            self._table_ids.pop()
        if tag in ("th", "td") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        if tag == "tr" and self._row is not None:
            if "settings" in self._section and len(self._row) == 2:
                self.settings[self._row[0]] = self._row[1]
            self._row = None
        if tag == "code" and self._code is not None:
            self.codes.append("".join(self._code))
            self._code = None
        while self.stack and self.stack[-1] != tag:
            self.stack.pop()
        if self.stack:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._code is not None:
            self._code.append(data)


def main():
    if sys.argv[1] == "--code":
        page = Page()
        page.feed(open(sys.argv[2], encoding="utf-8").read())
        print("\n".join(page.codes))
        return
    path, expects = sys.argv[1], sys.argv[2:]
    raw = open(path, "rb").read()
    errors = []
    if len(raw) >= LIMIT:
        errors.append("the page is %d bytes, not under %d" % (len(raw), LIMIT))
    source = raw.decode("utf-8")
    if not source.startswith("<!DOCTYPE html>"):
        errors.append("no HTML5 doctype")
    for scheme in ("http:", "https:", "file:", "ftp:"):
        if scheme in source:
            errors.append("the page names a %s URL" % scheme)
    page = Page()
    page.feed(source)
    page.close()
    if page.lang != "en":
        errors.append('<html lang="en"> missing')
    if not page.charset:
        errors.append("no UTF-8 charset")
    if page.styles != 1:
        errors.append("%d <style> elements, not one" % page.styles)
    if page.scripts > 1:
        errors.append("%d <script> elements" % page.scripts)
    for link in page.links:
        if not (link.startswith("#") or link.startswith("data:")):
            errors.append("a src/href/url( names %r" % link)
    for url in re.findall(r"url\(\s*['\"]?([^'\")]*)", source):
        if not (url.startswith("#") or url.startswith("data:")):
            errors.append("CSS url(%s)" % url)
    duplicates = {i for i in page.ids if page.ids.count(i) > 1}
    if duplicates:
        errors.append("ids used twice: %s" % sorted(duplicates))
    for name in set(page.figures) & page.missing:
        errors.append("plot %s is both drawn and missing" % name)
    for name, f in page.figures.items():
        if f["svgs"] != 1 or not f["viewbox"] or not f["width"] or not f["caption"]:
            errors.append("figure %s: %d svgs, viewBox %s, width 100%% %s, caption %s"
                          % (name, f["svgs"], f["viewbox"], f["width"], f["caption"]))
        if f["marks"] == 0:
            errors.append("figure %s has no marks" % name)
    text = re.sub(r"\s+", " ", "".join(page.text))
    for expect in expects:
        kind, _, rest = expect.partition(":")
        if kind == "figure" and rest not in page.figures:
            errors.append("no figure plot-%s (figures: %s; missing: %s)"
                          % (rest, sorted(page.figures), sorted(page.missing)))
        elif kind == "marks":
            name, _, n = rest.rpartition(":")
            got = page.figures.get(name, {}).get("marks", 0)
            if got < int(n):
                errors.append("figure %s has %d marks, fewer than %s" % (name, got, n))
        elif kind == "missing" and rest not in page.missing:
            errors.append("no missing-%s (missing: %s)" % (rest, sorted(page.missing)))
        elif kind == "text" and rest not in text:
            errors.append("the page's text lacks %r" % rest)
        elif kind == "setting":
            key, _, value = rest.partition("=")
            if page.settings.get(key) != value:
                errors.append("setting %s is %r, expected %r" % (key, page.settings.get(key), value))
        elif kind == "code" and rest not in page.codes:
            errors.append("best trial's code is %r, expected %r" % (page.codes, rest))
        elif kind == "rows" and page.rows != int(rest):
            errors.append("the trial table has %d rows, expected %s" % (page.rows, rest))
    for error in errors:
        print("%s: %s" % (path, error))
    if not errors:
        print("ok")
    sys.exit(1 if errors else 0)


main()
