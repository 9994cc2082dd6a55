// The library and the search page show their grid before the total is counted when counting takes long (a
// filter few assets match, over a large library): ask for the total once the page is on screen and put it in place.
(function () {
  "use strict";
  var holder = document.querySelector("[data-count-url]");
  if (!holder) return;
  fetch(holder.getAttribute("data-count-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (total) { holder.textContent = total ? total.words : ""; })
    .catch(function () { holder.textContent = ""; });
}());
