// Browsing with no words, the search page comes before its facets (a second statement over a sample of the
// library): fetch them once the page is on screen and put them in the sidebar.
(function () {
  "use strict";
  var aside = document.querySelector("[data-facets-url]");
  if (!aside) return;
  fetch(aside.getAttribute("data-facets-url"), { credentials: "same-origin", headers: { Accept: "text/html", "X-Fragment": "facets" } })
    .then(function (response) { return response.ok ? response.text() : ""; })
    .then(function (html) { aside.innerHTML = html; })
    .catch(function () { aside.innerHTML = ""; })
    .then(function () { aside.removeAttribute("aria-busy"); });
}());
