/* Survey site behaviour: sortable and filterable tables, and a language switch that stays on the page.
   Plain JavaScript, no libraries, nothing fetched. */
(function () {
  "use strict";

  function cellKey(row, index, type) {
    var cell = row.cells[index];
    var raw = cell ? (cell.getAttribute("data-sort") || cell.textContent || "") : "";
    if (type === "number") {
      var n = parseFloat(raw);
      return isNaN(n) ? null : n;
    }
    return raw.toLowerCase();
  }

  function sortTable(table, index, type, direction) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.forEach(function (row, i) { row.setAttribute("data-order", String(i)); });
    rows.sort(function (a, b) {
      var x = cellKey(a, index, type), y = cellKey(b, index, type);
      if (x === null && y === null) return 0;
      if (x === null) return 1;   /* unknown values sink, whichever the direction */
      if (y === null) return -1;
      var c = x < y ? -1 : x > y ? 1 : 0;
      return direction === "ascending" ? c : -c;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  function setUpSorting(table) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, index) {
      var button = th.querySelector(".sv-sort");
      if (!button) return;
      button.addEventListener("click", function () {
        var next = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
        Array.prototype.forEach.call(heads, function (other) { other.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", next);
        sortTable(table, index, th.getAttribute("data-type") || "text", next);
      });
    });
  }

  function setUpFilters(form) {
    var root = form.closest(".sv-compare");
    var table = root && root.querySelector("table");
    var counter = root && root.querySelector(".sv-count");
    if (!table) return;
    var selects = form.querySelectorAll("select[data-filter]");
    function apply() {
      var rows = table.tBodies[0].rows, shown = 0;
      Array.prototype.forEach.call(rows, function (row) {
        var ok = Array.prototype.every.call(selects, function (select) {
          if (!select.value) return true;
          var have = (row.getAttribute("data-" + select.getAttribute("data-filter")) || "").split(" ");
          return have.indexOf(select.value) !== -1;
        });
        row.hidden = !ok;
        if (ok) shown += 1;
      });
      if (counter) {
        counter.textContent = counter.getAttribute("data-template")
          .replace("{shown}", String(shown)).replace("{total}", String(rows.length));
      }
    }
    Array.prototype.forEach.call(selects, function (select) { select.addEventListener("change", apply); });
    form.addEventListener("reset", function () { setTimeout(apply, 0); });
    apply();
  }

  /* The language links in the header lead to the other language's home page; keep the reader on the
     same page instead. Both languages have the same page paths; only their roots differ. */
  function siteRoot() {
    var config = document.getElementById("__config");
    var base = ".";
    try { base = JSON.parse(config.textContent).base || "."; } catch (e) { /* keep "." */ }
    return new URL(base.replace(/\/?$/, "/"), window.location.href);
  }

  function setUpLanguageLinks() {
    var root = siteRoot();
    var here = window.location.href.split("#")[0].split("?")[0];
    var within = here.indexOf(root.href) === 0 ? here.slice(root.href.length) : "";
    var links = document.querySelectorAll("a[hreflang]");
    Array.prototype.forEach.call(links, function (link) {
      var target = new URL(link.getAttribute("href"), window.location.href);
      var href = target.href.replace(/\/?$/, "/") + within;
      link.setAttribute("href", href);
      link.setAttribute("data-sv-same-page", "true");
    });
  }

  function start() {
    document.querySelectorAll("table.sv-sortable").forEach(setUpSorting);
    document.querySelectorAll("form.sv-filters").forEach(setUpFilters);
    setUpLanguageLinks();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
