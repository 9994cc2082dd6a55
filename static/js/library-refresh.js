// Tiles still waiting for their previews: ask which assets are done, then swap just those tiles
// for their fresh rendering, so the grid fills in without reloading the page the person is reading;
// the others say how long they will likely wait.
(function () {
  "use strict";
  var grid = document.querySelector(".asset-grid[data-status-url]");
  if (!grid) return;
  var delay = 1500;

  function tile(root, uid) {
    return root.querySelector('.asset-tile[data-uid="' + uid + '"]');
  }

  function swapTiles(done) {
    return fetch(window.location.href, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        done.forEach(function (uid) {
          var current = tile(grid, uid);
          var replacement = tile(fresh, uid);
          if (!current) return;
          if (replacement) current.replaceWith(document.importNode(replacement, true));
          else current.removeAttribute("data-processing");  // no longer on this page: stop asking
        });
      });
  }

  // "Waiting: 412 images ahead, about 3 minutes" in place of the tile's "Processing…".
  function showWaits(waiting) {
    Object.keys(waiting).forEach(function (uid) {
      var placeholder = grid.querySelector('.asset-tile[data-uid="' + uid + '"] .processing');
      if (!placeholder) return;
      placeholder.textContent = waiting[uid].words;
      placeholder.setAttribute("aria-label", waiting[uid].words);
    });
  }

  function poll() {
    var waiting = grid.querySelectorAll(".asset-tile[data-processing]");
    if (!waiting.length) return;
    var url = new URL(grid.dataset.statusUrl, window.location.href);
    waiting.forEach(function (item) { url.searchParams.append("uid", item.dataset.uid); });
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data) showWaits(data.waiting || {});
        return data && data.done.length ? swapTiles(data.done) : null;
      })
      .then(function () { delay = Math.min(delay * 1.5, 15000); }, function () { delay = Math.min(delay * 2, 30000); })
      .then(function () { window.setTimeout(poll, delay); });
  }
  window.setTimeout(poll, 200);  // the first answer brings the waits; then less and less often
})();
