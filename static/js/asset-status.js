// While an asset's previews are being made, ask the server now and then: say how long it will likely wait,
// and reload once it is done.
(function () {
  "use strict";
  var holder = document.querySelector("[data-status-url]");
  if (!holder) return;
  var url = holder.dataset.statusUrl;
  var delay = 1000;

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data && data.done) {
          window.location.reload();
          return;
        }
        var words = holder.querySelector("[data-wait-words]");
        if (words && data && data.waiting) words.textContent = data.waiting.words;
        delay = Math.min(delay * 1.5, 10000);
        window.setTimeout(poll, delay);
      })
      .catch(function () {
        delay = Math.min(delay * 2, 30000);
        window.setTimeout(poll, delay);
      });
  }
  window.setTimeout(poll, delay);
})();
