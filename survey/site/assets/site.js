/* Survey site behaviour: the comparison table (sort, filter, picks, side by side, all kept in the address),
   scroll cues on wide figures and tables, chart labels on tap, and a language switch that stays on the page
   and section. Plain JavaScript, no libraries; it loads nothing from elsewhere, and it puts card text into
   the page only as text (textContent), never as markup. */
(function () {
  "use strict";

  function each(list, fn) { Array.prototype.forEach.call(list, fn); }

  function siteRoot() {
    var config = document.getElementById("__config");
    var base = ".";
    try { base = JSON.parse(config.textContent).base || "."; } catch (e) { /* keep "." */ }
    return new URL(base.replace(/\/?$/, "/"), window.location.href);
  }

  /* --- sorting ------------------------------------------------------------------------------ */

  function cellKey(row, index, type) {
    var cell = row.cells[index];
    var raw = cell ? (cell.getAttribute("data-sort") || cell.textContent || "") : "";
    if (type === "number") {
      var n = parseFloat(raw);
      return isNaN(n) ? null : n;
    }
    return raw.toLowerCase();
  }

  function sortRows(table, index, type, direction) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      if (index < 0) return a.svOrder - b.svOrder;
      var x = cellKey(a, index, type), y = cellKey(b, index, type);
      if (x === null && y === null) return a.svOrder - b.svOrder;
      if (x === null) return 1;   /* unknown values sink, whichever the direction */
      if (y === null) return -1;
      if (x === y) return a.svOrder - b.svOrder;  /* ties keep the catalog's order either way */
      return (x < y ? -1 : 1) * (direction === "ascending" ? 1 : -1);
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  function setSort(table, key, direction) {
    var heads = table.tHead.rows[0].cells, index = -1, type = "text";
    each(heads, function (th, i) {
      var on = key && th.getAttribute("data-key") === key;
      th.setAttribute("aria-sort", on ? direction : "none");
      if (on) { index = i; type = th.getAttribute("data-type") || "text"; }
    });
    sortRows(table, index, type, direction);
  }

  function numberRows(table) {
    each(table.tBodies[0].rows, function (row, i) { row.svOrder = i; });
  }

  /* --- scroll cues ---------------------------------------------------------------------------- */

  /* A frame (.sv-frame) around something that scrolls sideways (.sv-scroll): shadows on the sides where
     more lies beyond, and a hint while anything is off to the right. */
  function setUpScrollCue(frame) {
    var box = frame.querySelector(".sv-scroll");
    var hint = frame.querySelector(".sv-scroll-hint");
    if (!box) return;
    function update() {
      var more = box.scrollWidth - box.clientWidth;
      var right = more > 1 && box.scrollLeft < more - 1;
      frame.classList.toggle("sv-more-left", box.scrollLeft > 1);
      frame.classList.toggle("sv-more-right", right);
      if (hint) hint.hidden = !right;
    }
    box.addEventListener("scroll", update, { passive: true });
    window.addEventListener("resize", update);
    if (window.ResizeObserver) new ResizeObserver(update).observe(box);
    update();
  }

  /* --- a header row that stays in view ------------------------------------------------------- */

  /* The table scrolls sideways inside its frame, and an element inside a scrolling box cannot stick to
     the window in CSS. So the header cells are moved down by as much as the table's top has gone under the
     site's header, as the page scrolls. */
  function setUpStickyHead(table) {
    var head = table.tHead;
    var bar = document.querySelector(".md-header");
    var cells = head.rows[0].cells;
    var shift = -1;
    function update() {
      var top = bar ? Math.max(0, bar.getBoundingClientRect().bottom) : 0;
      var box = table.getBoundingClientRect();
      var next = Math.round(Math.max(0, Math.min(top - box.top, box.height - head.offsetHeight)));
      if (next === shift) return;
      shift = next;
      each(cells, function (th) { th.style.transform = shift ? "translateY(" + shift + "px)" : ""; });
      head.classList.toggle("sv-stuck", shift > 0);
    }
    var queued = false;
    function later() {
      if (queued) return;
      queued = true;
      window.requestAnimationFrame(function () { queued = false; update(); });
    }
    window.addEventListener("scroll", later, { passive: true });
    window.addEventListener("resize", later);
    table.svUpdateHead = update;
    update();
  }

  /* Material wraps each Markdown table in a box that scrolls sideways; give it the same frame and cue. */
  var HINT = { zh: "左右滑动查看更多列", en: "Scroll sideways for more columns" };
  function frameTables() {
    var lang = (document.documentElement.lang || "en").slice(0, 2) === "zh" ? "zh" : "en";
    each(document.querySelectorAll(".md-typeset__scrollwrap"), function (box) {
      if (box.closest(".sv-frame")) return;
      var frame = document.createElement("div");
      frame.className = "sv-frame";
      var hint = document.createElement("p");
      hint.className = "sv-scroll-hint";
      hint.hidden = true;
      hint.textContent = HINT[lang] + " →";
      box.parentNode.insertBefore(frame, box);
      frame.appendChild(hint);
      frame.appendChild(box);
      box.classList.add("sv-scroll");
    });
  }

  /* --- the comparison ------------------------------------------------------------------------- */

  function setUpCompare(root) {
    var form = root.querySelector("form.sv-filters");
    var table = root.querySelector("table");
    var counter = root.querySelector(".sv-count");
    var textBox = form.querySelector("[data-filter-text]");
    var selects = form.querySelectorAll("select[data-filter]");
    var picker = root.querySelector(".sv-picker");
    var side = root.querySelector(".sv-side");
    var maxPicks = parseInt(picker.getAttribute("data-max"), 10) || 4;
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var boxes = table.querySelectorAll("input.sv-pick");
    var typing = false;
    numberRows(table);
    setUpStickyHead(table);

    function picks() {
      var out = [];
      each(boxes, function (box) { if (box.checked) out.push(box.value); });
      return out;
    }

    function sortState() {
      var on = table.querySelector("th[aria-sort=ascending], th[aria-sort=descending]");
      return on ? { key: on.getAttribute("data-key"), dir: on.getAttribute("aria-sort") } : null;
    }

    /* The view as an address: ?text=…&size=…&sort=params&dir=desc&pick=a,b&view=side */
    function toQuery() {
      var query = new URLSearchParams();
      if (textBox.value.trim()) query.set("text", textBox.value.trim());
      each(selects, function (select) { if (select.value) query.set(select.getAttribute("data-filter"), select.value); });
      var sort = sortState();
      if (sort) { query.set("sort", sort.key); query.set("dir", sort.dir === "ascending" ? "asc" : "desc"); }
      var picked = picks();
      if (picked.length) query.set("pick", picked.join(","));
      if (!side.hidden) query.set("view", "side");
      var text = query.toString();
      return text ? "?" + text : "";
    }

    function save(kind) {
      var url = window.location.pathname + toQuery() + window.location.hash;
      if (url === window.location.pathname + window.location.search + window.location.hash) return;
      if (kind === "typing" && typing) window.history.replaceState(null, "", url);
      else window.history.pushState(null, "", url);
      typing = kind === "typing";
    }

    function filter() {
      var terms = textBox.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      rows.forEach(function (row) {
        var text = row.getAttribute("data-text") || "";
        var ok = terms.every(function (term) { return text.indexOf(term) !== -1; }) &&
          Array.prototype.every.call(selects, function (select) {
            if (!select.value) return true;
            var have = (row.getAttribute("data-" + select.getAttribute("data-filter")) || "").split(" ");
            return have.indexOf(select.value) !== -1;
          });
        row.hidden = !ok;
        if (ok) shown += 1;
      });
      counter.textContent = counter.getAttribute("data-template")
        .replace("{shown}", String(shown)).replace("{total}", String(rows.length));
      if (table.svUpdateHead) table.svUpdateHead();
    }

    function updatePicker() {
      var picked = picks();
      each(boxes, function (box) { box.disabled = !box.checked && picked.length >= maxPicks; });
      picker.querySelector(".sv-picked").textContent = picker.getAttribute("data-template")
        .replace("{n}", String(picked.length)).replace("{max}", String(maxPicks));
      picker.querySelector(".sv-side-show").disabled = picked.length < 2;
      picker.querySelector(".sv-side-clear").disabled = picked.length === 0;
      if (picked.length < 2) side.hidden = true;
    }

    function load(query) {
      textBox.value = query.get("text") || "";
      each(selects, function (select) {
        var want = query.get(select.getAttribute("data-filter")) || "";
        var known = Array.prototype.some.call(select.options, function (o) { return o.value === want; });
        select.value = known ? want : "";
      });
      var key = query.get("sort");
      setSort(table, key && table.querySelector('th[data-key="' + CSS.escape(key) + '"]') ? key : null,
        query.get("dir") === "desc" ? "descending" : "ascending");
      var wanted = (query.get("pick") || "").split(",").filter(Boolean).slice(0, maxPicks);
      each(boxes, function (box) { box.checked = wanted.indexOf(box.value) !== -1; });
      filter();
      updatePicker();
      if (query.get("view") === "side" && picks().length >= 2) showSide(); else side.hidden = true;
    }

    /* side by side */
    var data = null;
    function showSide() {
      side.hidden = false;
      var body = side.querySelector(".sv-side-body");
      if (!data) {
        body.textContent = side.getAttribute("data-loading");
        data = fetch(new URL(picker.getAttribute("data-data"), siteRoot())).then(function (r) {
          if (!r.ok) throw new Error(String(r.status));
          return r.json();
        });
      }
      data.then(function (d) { drawSide(body, d, picks()); })
        .catch(function () { body.textContent = side.getAttribute("data-failed"); data = null; });
    }

    function el(tag, className, text) {
      var node = document.createElement(tag);
      if (className) node.className = className;
      if (text) node.textContent = text;
      return node;
    }

    function safeHref(url) { return /^(https?:\/\/|\.\.?\/|[a-z0-9])/i.test(url) && !/^(javascript|data):/i.test(url); }

    function drawSide(body, d, ids) {
      var models = ids.map(function (id) { return d.models[id]; }).filter(Boolean);
      var tableEl = el("table", "sv-table sv-side-table");
      var head = tableEl.createTHead().insertRow();
      head.appendChild(el("th", "", side.getAttribute("data-field")));
      models.forEach(function (m) {
        var th = el("th");
        var a = el("a", "", m.name);
        if (safeHref(m.url)) a.href = m.url;
        th.appendChild(a);
        head.appendChild(th);
      });
      var tbody = tableEl.createTBody();
      d.fields.forEach(function (field) {
        var row = tbody.insertRow();
        row.appendChild(el("th", "", field[1]));
        models.forEach(function (m) {
          var td = row.insertCell();
          (m.cells[field[0]] || []).forEach(function (value) {
            var item = el("div", "sv-side-value", value.text);
            if (value.surveyed) item.appendChild(el("span", "sv-surveyed", " " + value.surveyed));
            if (value.note) item.appendChild(el("div", "sv-side-note", value.note));
            (value.sources || []).forEach(function (source) {
              var link = el(source[1] ? "a" : "span", "sv-side-source", source[0]);
              if (source[1] && /^https?:\/\//i.test(source[1])) link.href = source[1];
              item.appendChild(link);
            });
            td.appendChild(item);
          });
        });
      });
      body.textContent = "";
      body.appendChild(tableEl);
    }

    /* wiring */
    textBox.addEventListener("input", function () { filter(); save("typing"); });
    each(selects, function (select) { select.addEventListener("change", function () { filter(); save(); }); });
    form.addEventListener("reset", function () {
      setTimeout(function () { setSort(table, null, "ascending"); filter(); save(); }, 0);
    });
    each(table.tHead.rows[0].cells, function (th) {
      var button = th.querySelector(".sv-sort");
      button.addEventListener("click", function () {
        setSort(table, th.getAttribute("data-key"), th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending");
        save();
      });
    });
    each(boxes, function (box) {
      box.addEventListener("change", function () {
        updatePicker();
        if (!side.hidden) showSide();
        save();
      });
    });
    picker.querySelector(".sv-side-show").addEventListener("click", function () {
      showSide();
      save();
      side.scrollIntoView({ block: "start" });
    });
    picker.querySelector(".sv-side-clear").addEventListener("click", function () {
      each(boxes, function (box) { box.checked = false; });
      updatePicker();
      save();
    });
    side.querySelector(".sv-side-close").addEventListener("click", function () { side.hidden = true; save(); });
    window.addEventListener("popstate", function () { load(new URLSearchParams(window.location.search)); });
    load(new URLSearchParams(window.location.search));
  }

  /* --- charts ---------------------------------------------------------------------------------- */

  /* A dot whose name is not drawn shows it in a label on the first tap or click, with a link; the second
     opens the page. Mouse users also get the name on hover (the dot's <title>). */
  function setUpChart(figure) {
    var tip = figure.querySelector(".sv-tip");
    if (!tip) return;
    var current = null;
    function hide() { tip.hidden = true; current = null; }
    each(figure.querySelectorAll("a.sv-point"), function (point) {
      point.addEventListener("click", function (event) {
        if (point.classList.contains("sv-labelled") || current === point) return;
        event.preventDefault();
        current = point;
        tip.textContent = "";
        var link = document.createElement("a");
        link.href = point.getAttribute("href");
        link.textContent = point.getAttribute("data-name");
        tip.appendChild(link);
        var info = point.getAttribute("data-info");
        if (info) { var more = document.createElement("span"); more.textContent = " " + info; tip.appendChild(more); }
        tip.hidden = false;
        var box = figure.getBoundingClientRect(), dot = point.getBoundingClientRect();
        var left = Math.max(0, Math.min(dot.left - box.left - 8, box.width - tip.offsetWidth));
        tip.style.left = left + "px";
        tip.style.top = (dot.bottom - box.top + 4) + "px";
      });
    });
    document.addEventListener("click", function (event) {
      if (current && !figure.contains(event.target)) hide();
    });
  }

  /* Colour the charts by base family or by openness of the weights. */
  function setUpColourSwitch(form) {
    each(form.querySelectorAll("input"), function (input) {
      input.addEventListener("change", function () {
        each(document.querySelectorAll(".sv-colourable"), function (node) { node.setAttribute("data-colour", input.value); });
      });
    });
  }

  /* --- language links ------------------------------------------------------------------------- */

  /* The language links in the header lead to the other language's home page; keep the reader on the
     same page and section instead. Both languages have the same page paths and section ids. */
  function setUpLanguageLinks() {
    var root = siteRoot();
    var here = window.location.href.split("#")[0].split("?")[0];
    var within = here.indexOf(root.href) === 0 ? here.slice(root.href.length) : "";
    each(document.querySelectorAll("a[hreflang]"), function (link) {
      if (!link.hasAttribute("data-sv-root")) link.setAttribute("data-sv-root", link.getAttribute("href"));
      var target = new URL(link.getAttribute("data-sv-root"), window.location.href);
      var page = target.href.replace(/\/?$/, "/") + within;
      function point() { link.setAttribute("href", page + window.location.search + window.location.hash); }
      link.setAttribute("data-sv-same-page", "true");
      point();
      link.addEventListener("pointerdown", point);
      link.addEventListener("focus", point);
      link.addEventListener("click", point);
      window.addEventListener("hashchange", point);
      window.addEventListener("popstate", point);
    });
  }

  function start() {
    document.querySelectorAll(".sv-compare").forEach(setUpCompare);
    frameTables();
    document.querySelectorAll(".sv-frame").forEach(setUpScrollCue);
    document.querySelectorAll("figure.sv-chart").forEach(setUpChart);
    document.querySelectorAll("form.sv-colour-by").forEach(setUpColourSwitch);
    setUpLanguageLinks();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
