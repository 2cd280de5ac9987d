/* What Material's bundle would load that a page does not need. This script runs just before the bundle
   (theme/main.html); the bundle's other requests and messages go through unaltered.

   1. Search on demand. Material 9.8 starts its search worker and downloads search/search_index.json (two
      thirds of a first visit's bytes) as every page loads, and has no setting to wait. Both are held back
      until the reader first reaches for the search: the search box gets focus (a click, a tap, or the "/",
      "s" and "f" keys, which focus it), the search toggle opens, or the address asks for a search or a
      highlight (?q=, ?h=).
   2. Sitemaps. For every <link rel="alternate"> in the head, the bundle fetches "sitemap.xml" next to the
      link's address. The page's hreflang links name the same page in each language on the published site
      (theme/main.html), where no sitemap lies and, when previewing, another host. Only a language root's
      own sitemap is fetched; the others are answered as failed without a request, which the bundle
      already treats as "no sitemap".
   3. Chinese queries. The worker cuts each run of Chinese characters in a query into words it has in its
      index, but its loop never tries the run's last character: 小羊驼 becomes 小, 低秩适配 becomes 低 + 秩,
      whatever the index holds. A query message ({type: 2, data: "…"}) therefore gets one more character
      after each run, 〇, which no word in the index ends with, so the run is cut in full and the extra
      character itself is never searched for (unless nothing in the run matches at all). */
(function () {
  "use strict";

  var INDEX = /\/search\/search_index\.json(?:[?#]|$)/;
  var SITEMAP = /\/sitemap\.xml(?:[?#]|$)/;
  var WORKER = /\/workers\/search\.[^/]*\.js(?:[?#]|$)/;
  var started = false;
  var waiting = [];

  function start() {
    if (started) return;
    started = true;
    waiting.splice(0).forEach(function (go) { go(); });
  }

  function whenStarted(go) {
    if (started) go(); else waiting.push(go);
  }

  /* The index: Material requests it with XMLHttpRequest; its send() waits. */
  var open = XMLHttpRequest.prototype.open;
  var send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, url) {
    var address = new URL(String(url), window.location.href);
    this.svSearchIndex = INDEX.test(address.pathname);
    this.svRefused = SITEMAP.test(address.pathname) && !isRootSitemap(address);
    return open.apply(this, arguments);
  };
  XMLHttpRequest.prototype.send = function () {
    var request = this, args = arguments;
    if (request.svRefused) {
      setTimeout(function () { request.dispatchEvent(new ProgressEvent("error")); }, 0);
      return undefined;
    }
    if (!request.svSearchIndex) return send.apply(request, args);
    whenStarted(function () { send.apply(request, args); });
  };

  /* Language roots: this one (Material's config "base") and those the language selector links to. */
  function isRootSitemap(address) {
    if (address.origin !== window.location.origin) return false;
    var roots = [];
    try { roots.push(JSON.parse(document.getElementById("__config").textContent).base || "."); } catch (e) { roots.push("."); }
    Array.prototype.forEach.call(document.querySelectorAll("a[hreflang]"), function (a) {
      roots.push(a.getAttribute("data-sv-root") || a.getAttribute("href"));  /* site.js points them at this page */
    });
    return roots.some(function (root) {
      return new URL("sitemap.xml", new URL(root.replace(/\/?$/, "/"), window.location.href)).href === address.href;
    });
  }

  /* The worker: a stand-in that keeps listeners and messages until the real one starts. */
  var RealWorker = window.Worker;
  function LateWorker(url, options) {
    var self = this;
    self.real = null;
    self.listeners = [];
    self.queue = [];
    whenStarted(function () {
      self.real = new RealWorker(url, options);
      self.listeners.forEach(function (l) { self.real.addEventListener(l[0], l[1], l[2]); });
      self.queue.splice(0).forEach(function (m) { self.real.postMessage(m[0], m[1]); });
    });
  }
  LateWorker.prototype.addEventListener = function (type, listener, options) {
    this.listeners.push([type, listener, options]);
    if (this.real) this.real.addEventListener(type, listener, options);
  };
  LateWorker.prototype.removeEventListener = function (type, listener, options) {
    this.listeners = this.listeners.filter(function (l) { return l[0] !== type || l[1] !== listener; });
    if (this.real) this.real.removeEventListener(type, listener, options);
  };
  var QUERY = 2, HAN = /\p{sc=Han}+/gu, END = "\u3007";
  LateWorker.prototype.postMessage = function (message, transfer) {
    if (message && message.type === QUERY && typeof message.data === "string") {
      message = { type: QUERY, data: message.data.replace(HAN, function (run) { return run + END; }) };
    }
    if (this.real) this.real.postMessage(message, transfer); else this.queue.push([message, transfer]);
  };
  LateWorker.prototype.terminate = function () {
    if (this.real) this.real.terminate();
  };
  if (RealWorker) {
    window.Worker = function (url, options) {
      return WORKER.test(String(url)) ? new LateWorker(url, options) : new RealWorker(url, options);
    };
    window.Worker.prototype = RealWorker.prototype;
  }

  /* What counts as reaching for the search. */
  function isSearch(target) {
    return target instanceof Element && !!target.closest(".md-search, [for=__search], #__search");
  }
  document.addEventListener("focusin", function (event) { if (isSearch(event.target)) start(); }, true);
  document.addEventListener("pointerdown", function (event) { if (isSearch(event.target)) start(); }, true);
  document.addEventListener("change", function (event) { if (event.target && event.target.id === "__search") start(); }, true);
  var query = new URLSearchParams(window.location.search);
  if (query.has("q") || query.has("h")) start();
})();
