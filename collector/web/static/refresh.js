// Refreshes every [data-fragment] element from its URL without reloading the page.
// Without JavaScript the pages are complete; a reload updates them.
(function () {
  "use strict";
  var ms = parseInt(document.body.getAttribute("data-refresh"), 10);
  if (!(ms >= 1000) || !window.fetch) {
    return;
  }
  var last = {};
  function refreshOne(el) {
    var url = el.getAttribute("data-fragment");
    if (!url) {
      return;
    }
    fetch(url, { cache: "no-cache", credentials: "same-origin" })
      .then(function (r) {
        return r.ok ? r.text() : null;
      })
      .then(function (html) {
        if (html === null || html === last[url]) {
          return;
        }
        last[url] = html;
        el.innerHTML = html;
      })
      .catch(function () {
        // Offline or the server restarts: keep what is shown and try again next time.
      });
  }
  function refresh() {
    if (document.hidden) {
      return;
    }
    var els = document.querySelectorAll("[data-fragment]");
    for (var i = 0; i < els.length; i++) {
      refreshOne(els[i]);
    }
  }
  setInterval(refresh, ms);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      refresh();
    }
  });
})();
