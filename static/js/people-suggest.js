// Granting a role by name: as the admin types, the people whose username or name starts with it are offered in
// the field's <datalist> (GET /api/users/lookup/). Without this script the field takes an exact username, and the
// server names an unknown one.
(function () {
  "use strict";
  document.querySelectorAll("input[data-people-lookup]").forEach(function (field) {
    var list = document.getElementById(field.getAttribute("list"));
    if (!list) return;
    var timer = null;
    var asked = "";

    function fill(people) {
      list.textContent = "";
      people.forEach(function (person) {
        var option = document.createElement("option");
        option.value = person.username;
        if (person.name) option.label = person.name;
        list.appendChild(option);
      });
    }

    function ask() {
      var text = field.value.trim();
      if (!text || text === asked) return;
      asked = text;
      fetch(field.dataset.peopleLookup + "?q=" + encodeURIComponent(text), {
        credentials: "same-origin", headers: { Accept: "application/json" }
      }).then(function (response) { return response.ok ? response.json() : []; })
        .then(function (people) { if (field.value.trim() === text) fill(people); }, function () {});
    }

    field.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 150);
    });
  });
})();
