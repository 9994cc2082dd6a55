// The library's selection: tick images (shift-click ticks the range since the last one), tick a whole page, then
// act on them from the bar, which shows itself once something is ticked. Without this script the boxes and the
// bar still work: the bar is always there and the server says if nothing was ticked.
(function () {
  "use strict";
  var form = document.querySelector("form[data-selection]");
  if (!form) return;
  var count = form.querySelector("[data-selection-count]");
  var actions = form.querySelector("[data-selection-actions]");
  var pageButton = form.querySelector('[data-select="page"]');
  var noneButton = form.querySelector('[data-select="none"]');
  var last = null;

  function boxes() {
    return Array.prototype.slice.call(form.querySelectorAll('.tile-select input[type="checkbox"]'));
  }

  function update() {
    var all = boxes();
    var ticked = all.filter(function (box) { return box.checked; }).length;
    all.forEach(function (box) { box.closest(".asset-tile").classList.toggle("is-selected", box.checked); });
    count.textContent = ticked === 0 ? "Nothing selected: tick images, or select the page."
      : ticked + (ticked === 1 ? " image" : " images") + " selected";
    actions.hidden = ticked === 0;
    pageButton.hidden = ticked === all.length;
    noneButton.hidden = ticked === 0;
  }

  form.addEventListener("click", function (event) {
    var box = event.target.closest('.tile-select input[type="checkbox"]');
    if (!box) return;
    var all = boxes();
    if (event.shiftKey && last && last !== box && all.indexOf(last) >= 0) {
      var from = Math.min(all.indexOf(last), all.indexOf(box));
      var to = Math.max(all.indexOf(last), all.indexOf(box));
      all.slice(from, to + 1).forEach(function (other) { other.checked = box.checked; });
    }
    last = box;
    update();
  });
  form.addEventListener("change", update);

  pageButton.addEventListener("click", function () {
    boxes().forEach(function (box) { box.checked = true; });
    update();
  });
  noneButton.addEventListener("click", function () {
    boxes().forEach(function (box) { box.checked = false; });
    last = null;
    update();
  });

  // Enter in a menu's field sends that menu's action, not the form's first button.
  form.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.target.tagName !== "INPUT") return;
    var panel = event.target.closest(".action-panel");
    if (!panel) return;
    event.preventDefault();
    panel.querySelector('button[type="submit"]').click();
  });

  // One menu open at a time.
  form.querySelectorAll(".action-menu").forEach(function (menu) {
    menu.addEventListener("toggle", function () {
      if (!menu.open) return;
      form.querySelectorAll(".action-menu[open]").forEach(function (other) { if (other !== menu) other.open = false; });
    });
  });

  // Tiles swapped in when their previews are ready (library-refresh.js) come unticked: count again.
  new MutationObserver(update).observe(form.querySelector(".asset-grid"), { childList: true });
  update();
})();
