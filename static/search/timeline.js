// The timeline's scrubber: dragging the range names the month under it, letting go opens that month (the
// month links beside it work without script).
(function () {
  const range = document.getElementById("scrubber-range");
  const label = document.getElementById("scrubber-label");
  if (!range || !label) return;
  const months = Array.from(document.querySelectorAll(".scrubber-months a"));
  range.addEventListener("input", function () {
    const month = months[Number(range.value)];
    if (!month) return;
    label.textContent = month.dataset.label;
    range.setAttribute("aria-valuetext", month.dataset.label);
  });
  range.addEventListener("change", function () {
    const month = months[Number(range.value)];
    if (month) window.location.assign(month.href);
  });
})();
